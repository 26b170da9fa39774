"""Which language (en / zh / ko) a customer's message is written in, from its characters."""

from __future__ import annotations

import re
import unicodedata

from shopkeep.agent.extract import words
from shopkeep.agent.jobs import Language

_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
# Strings that look Latin but say nothing about the customer's language: order ids, emails,
# links, codes such as WELCOME10 or 50ml, and bare numbers.
_NEUTRAL = re.compile(
    r"[\w.%+-]+@[\w.-]+|https?://\S+|www\.\S+|#?\s?[wl]\d{7}\b|\b[a-z]*\d[a-z\d]*\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?", re.IGNORECASE)
# Words that show the customer is writing English, not just typing a name, a product or "ok".
_ENGLISH_WORDS = words(
    """
    a an the i i'm im me my mine you your we our it it's its is are was were be been am do does
    did don't can can't could would will should shall have has had what where when why how which
    who want need like please and or but not with for from to of in on at this that these those
    there here any some order orders buy return cancel change help thanks thank hi hello hey
    there's what's where's how's let's i'll i'd i've isn't aren't doesn't didn't won't
    """
)
# Loan words a Chinese or Korean speaker types without switching language.
_INTERNATIONAL = words(
    "ok okay okey k yes no yeah yep nope thanks thx ty hi hello bye lol haha sorry"
)


def detect_language(text: str, previous: Language | None = None) -> Language:
    """The language of `text`; a message that carries none of its own keeps `previous`."""
    fallback: Language = previous or "en"
    if _mostly_english(text):
        # "what time does Heukdang close on saturday? and r they open on 월요일?": a Korean or
        # Chinese word in an English sentence is a name or a quote, not the language.
        return "en"
    if _HANGUL.search(text):
        return "ko"
    if _HAN.search(text):
        # Japanese mixes Han with kana; the shop does not speak it, so stay where we were.
        return fallback if _KANA.search(text) else "zh"
    if _KANA.search(text):
        return fallback
    plain = _NEUTRAL.sub(" ", unicodedata.normalize("NFKC", text))
    words = [w.lower() for w in _WORD.findall(plain)]
    words = [w for w in words if w not in _INTERNATIONAL]
    if not words:
        return fallback
    if fallback == "en":
        return "en"
    # After a Chinese or Korean turn, a name ("Siyu Wang 10001") or a product name typed in
    # Latin letters is not a switch to English; a real English sentence is.
    if any(w in _ENGLISH_WORDS for w in words) or len(words) >= 4:
        return "en"
    return fallback


_CJK_RUN = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\u3400-\u9fff\uf900-\ufaff]+")


def _mostly_english(text: str) -> bool:
    """At least three English words, and twice as many as runs of Korean or Chinese letters."""
    runs = len(_CJK_RUN.findall(text))
    if not runs:
        return False
    plain = _NEUTRAL.sub(" ", unicodedata.normalize("NFKC", text))
    english = sum(1 for w in _WORD.findall(plain) if w.lower() in _ENGLISH_WORDS)
    return english >= 3 and english >= 2 * runs
