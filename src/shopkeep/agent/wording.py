"""Freer wording for a strong model: it may reword a reply, never add to it. A rewording is kept
only if every fact in it (numbers, amounts, ids, codes, emails) is one the template reply held."""

from __future__ import annotations

import re

from shopkeep.agent.jobs import Language
from shopkeep.llm import ChatRequest, Completion, Message, ModelGateway

FACT = re.compile(
    r"[#＃]?[A-Z]{1,3}\d{5,}|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b[A-Z]{2,}\d+\b|\d[\d,]*(?:\.\d+)?"
)
LANGUAGE_NAMES = {"en": "English", "zh": "Simplified Chinese", "ko": "Korean"}


def facts(text: str) -> set[str]:
    return {m.group(0).replace(",", "").lstrip("#＃") for m in FACT.finditer(text)}


def grounded(template: str, reworded: str) -> bool:
    """True when the rewording states no fact the template didn't: the model may drop or
    reorder, but not invent or alter a number, id, code or amount."""
    return bool(reworded.strip()) and facts(reworded) <= facts(template)


def reword(
    gateway: ModelGateway, reply: str, lang: Language, conversation_id: str
) -> tuple[str, Completion]:
    """The model's rewording if grounded in the template reply, else the template reply."""
    request = ChatRequest(
        messages=(
            Message.system(
                "You are a friendly shop assistant. Rewrite the reply below so it reads "
                f"naturally in {LANGUAGE_NAMES[lang]}. Keep every fact, number, id, code and "
                "amount exactly as written; add nothing that is not in it."
            ),
            Message.user(reply),
        ),
        max_tokens=400,
    )
    completion = gateway.complete(request, conversation_id=conversation_id, purpose="reword")
    text = completion.text.strip()
    return (text if grounded(reply, text) else reply), completion
