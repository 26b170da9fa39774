"""The questions a reply asks, as comparable text: the engine counts them so that it never asks
the same question a third time, and the evaluation counts them the same way."""

from __future__ import annotations

import re
import unicodedata

_SENTENCE = re.compile(r"[^.!?。！？\n]*[?？]")
_NUMBER = re.compile(r"\d+")


def normalized(text: str) -> str:
    """Case, full/half width and spacing do not matter."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def questions(reply: str) -> set[str]:
    """The questions a reply asks: its sentences ending in a question mark, normalised (case,
    width, spacing; numbers count as the same)."""
    return {
        _NUMBER.sub("#", normalized(found.group()))
        for found in _SENTENCE.finditer(reply)
        if len(normalized(found.group())) > 1
    }
