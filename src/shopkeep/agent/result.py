"""What one turn of the assistant gives back to its shells (terminal, web, evals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shopkeep.llm import UsageRecord


@dataclass(frozen=True)
class TurnResult:
    conversation_id: str
    reply: str
    language: str
    job: str | None
    """The job the turn worked on, if any."""
    handed_off: bool
    """The conversation is (now) with the human queue."""
    staged: dict[str, Any] | None
    """The consequential action awaiting the customer's explicit yes, as shown to them."""
    events: tuple[dict[str, Any], ...] = ()
    """What happened, each with a "kind": "staged", "committed" (with "action", "staged_turn",
    "turn" and the action's ids), "order_placed" ("order_id", "total_minor", "currency"),
    "refused" (a store refusal: "code"), "guard" (a guard stopped something: "reason"),
    "handoff" ("reason"), "verified" ("customer_id"), "shown" (products listed in the reply:
    "product_ids")."""
    usage: tuple[UsageRecord, ...] = field(default=())
    """Every model call of the turn."""
    wall_seconds: float = 0.0

    @property
    def model_seconds(self) -> float:
        return sum(u.wall_seconds for u in self.usage)
