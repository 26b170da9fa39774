"""A conversation's state between turns: who the customer is, the jobs in progress, the action
awaiting a yes. Persisted as JSON after every turn, so any process can take the next one."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from shopkeep.agent.jobs import Job, Language


class Frame(BaseModel):
    """A job in progress: what it has gathered so far and what it last asked for."""

    job: Job
    slots: dict[str, Any] = Field(default_factory=dict)
    asked: str | None = None
    """The slot the last reply asked for, so a bare answer ("the second one", "yes") fills it."""


class Staged(BaseModel):
    """A consequential action shown to the customer in full and waiting for their explicit yes."""

    action: str
    job: Job
    args: dict[str, Any]
    shown: str
    """The summary exactly as the customer saw it."""
    turn: int
    """The turn it was staged in; only a yes in a later turn commits it."""
    key: str
    """Made when staged, so a retried commit is the same payment or change, never a second."""


class State(BaseModel):
    language: Language = "en"
    customer_id: str | None = None
    """Known from a login, or once the customer has proved who they are in this conversation."""
    logged_in: bool = False
    turn: int = 0
    stack: list[Frame] = Field(default_factory=list)
    """Jobs in progress; the last is the one being worked on, the ones below were interrupted."""
    staged: Staged | None = None
    misunderstood: int = 0
    """Turns in a row the assistant could not understand; at 3 a human takes over."""
    out_of_scope: int = 0
    handed_off: bool = False
    shown_products: list[str] = Field(default_factory=list)
    """Product ids of the last list shown, for "the second one"."""
    shown_orders: list[str] = Field(default_factory=list)
    verify_attempts: int = 0

    @property
    def frame(self) -> Frame | None:
        return self.stack[-1] if self.stack else None

    def push(self, job: Job, **slots: Any) -> Frame:
        frame = Frame(job=job, slots=dict(slots))
        self.stack.append(frame)
        return frame

    def drop(self, frame: Frame) -> None:
        if frame in self.stack:
            self.stack.remove(frame)
