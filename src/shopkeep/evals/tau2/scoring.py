"""τ²-bench's scoring of one conversation, and pass^k over trials.

As τ² does (`tau2/evaluator/`): a conversation that did not end with a stop signal scores 0; the
reward is the product of the task's reward basis (default DB and COMMUNICATE): DB is 1 when the
database after the conversation equals the database after the task's expected actions, both
started from the same copy; COMMUNICATE is 1 when every `communicate_info` string is in some
reply (case-insensitive, the reply's commas removed). ACTION matches each expected action to a
tool call of the trajectory. NL assertions (an LLM judge) and env assertions (code run on τ²'s
own environment) are not scored here: they are reported as unjudged and left out of the reward.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from math import comb
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from shopkeep.evals.tau2.tasks import RewardType, Task

Termination = Literal[
    "user_stop", "transfer", "out_of_scope", "handoff", "max_turns", "agent_error", "user_error"
]
SCORED: frozenset[str] = frozenset({"user_stop", "transfer", "out_of_scope", "handoff"})
"""Ends τ² scores (its USER_STOP and AGENT_STOP); any other end scores 0. A handoff to the
human queue ends the conversation as τ²'s user does on a transfer."""
SUCCESS_TOLERANCE = 1e-6
"""τ²'s: a trial succeeds when its reward is within this of 1."""


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class ToolCallRecord(Record):
    """A tool call in τ²'s shape (`tau2.data_model.message.ToolCall`)."""

    id: str
    name: str
    arguments: dict[str, Any]
    requestor: Literal["assistant", "user"] = "assistant"


class Tau2Message(Record):
    """A message of the trajectory in τ²'s shape: an assistant message carries text or one tool
    call; a tool message answers the call with the same id."""

    role: Literal["assistant", "user", "tool"]
    content: str | None = None
    tool_calls: list[ToolCallRecord] | None = None
    id: str | None = None
    """The tool call a tool message answers."""
    turn: int | None = None
    """The customer turn it belongs to (0: the greeting)."""


class CommunicateCheck(Record):
    info: str
    met: bool


class ActionCheck(Record):
    action_id: str
    name: str
    met: bool


class Reward(Record):
    reward: float
    basis: list[str]
    breakdown: dict[str, float]
    """Each component of the basis that was scored."""
    db_match: bool | None
    db_diff: list[str]
    """Where the database after the conversation differs from the expected one (the first few)."""
    communicate: list[CommunicateCheck]
    actions: list[ActionCheck]
    """Diagnostics, as τ² computes them: which expected actions a tool call matched."""
    unjudged: list[str]
    """Components of the basis not scored here (NL assertions need a judge model)."""
    note: str | None = None

    @property
    def success(self) -> bool:
        return abs(self.reward - 1.0) <= SUCCESS_TOLERANCE


def canonical(document: Mapping[str, Any]) -> str:
    """The database as τ² hashes it: JSON with sorted keys."""
    return json.dumps(document, sort_keys=True)


def communicated(info: str, replies: Sequence[str]) -> bool:
    """τ²'s test: the string, lower-cased, in some reply lower-cased with its commas removed."""
    return any(info.lower() in reply.lower().replace(",", "") for reply in replies if reply)


def db_diff(expected: Any, found: Any, *, limit: int = 12, path: str = "") -> list[str]:
    """Where `found` differs from `expected`, as `path: expected X, found Y`."""
    out: list[str] = []

    def walk(e: Any, f: Any, where: str) -> None:
        if len(out) >= limit or e == f:
            return
        if isinstance(e, dict) and isinstance(f, dict):
            for key in sorted(set(e) | set(f), key=str):
                if len(out) >= limit:
                    return
                named = isinstance(key, str) and key.isidentifier()
                inner = (
                    f"{where}.{key}" if named and where else key if named else f"{where}[{key!r}]"
                )
                if key not in e:
                    out.append(f"{inner}: not expected, found {_short(f[key])}")
                elif key not in f:
                    out.append(f"{inner}: expected {_short(e[key])}, missing")
                else:
                    walk(e[key], f[key], inner)
            return
        if isinstance(e, list) and isinstance(f, list) and len(e) == len(f):
            for index, (a, b) in enumerate(zip(e, f, strict=True)):
                walk(a, b, f"{where}[{index}]")
            return
        out.append(f"{where}: expected {_short(e)}, found {_short(f)}")

    walk(expected, found, path)
    return out


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def score(
    task: Task,
    *,
    termination: Termination,
    replies: Sequence[str],
    calls: Sequence[ToolCallRecord],
    database: Mapping[str, Any] | None,
    expected_database: Mapping[str, Any] | None,
) -> Reward:
    """One conversation, scored as τ²'s `evaluate_simulation` with evaluation type ALL."""
    criteria = task.evaluation_criteria
    basis = [str(b) for b in criteria.reward_basis] if criteria is not None else []
    if termination not in SCORED:
        return Reward(
            reward=0.0,
            basis=basis,
            breakdown={},
            db_match=None,
            db_diff=[],
            communicate=[],
            actions=[],
            unjudged=[],
            note=f"the conversation ended early ({termination}): τ² scores that 0",
        )
    if criteria is None:
        return Reward(
            reward=1.0,
            basis=[],
            breakdown={},
            db_match=None,
            db_diff=[],
            communicate=[],
            actions=[],
            unjudged=[],
            note="the task has no evaluation criteria",
        )
    breakdown: dict[str, float] = {}
    # DB: τ² compares the two databases only when the task lists actions (or assertions).
    db_match: bool | None = True
    differences: list[str] = []
    if criteria.actions is not None or criteria.env_assertions is not None:
        if database is None or expected_database is None:
            raise ValueError("scoring the database needs both databases")
        db_match = canonical(database) == canonical(expected_database)
        if not db_match:
            differences = db_diff(expected_database, database)
    communicate = [
        CommunicateCheck(info=info, met=communicated(info, replies))
        for info in criteria.communicate_info or []
    ]
    actions = [
        ActionCheck(
            action_id=action.action_id,
            name=action.name,
            met=any(action.matches(c.name, c.arguments) for c in calls),
        )
        for action in criteria.actions or []
    ]
    unjudged: list[str] = []
    reward = 1.0
    bases = set(criteria.reward_basis)
    if RewardType.DB in bases:
        breakdown[RewardType.DB.value] = 1.0 if db_match else 0.0
        reward *= breakdown[RewardType.DB.value]
    if RewardType.ENV_ASSERTION in bases and criteria.env_assertions:
        unjudged.append(RewardType.ENV_ASSERTION.value)
    if RewardType.ACTION in bases:
        breakdown[RewardType.ACTION.value] = 1.0 if all(a.met for a in actions) else 0.0
        reward *= breakdown[RewardType.ACTION.value]
    if RewardType.COMMUNICATE in bases:
        breakdown[RewardType.COMMUNICATE.value] = 1.0 if all(c.met for c in communicate) else 0.0
        reward *= breakdown[RewardType.COMMUNICATE.value]
    if RewardType.NL_ASSERTION in bases and criteria.nl_assertions:
        unjudged.append(RewardType.NL_ASSERTION.value)
    return Reward(
        reward=reward,
        basis=basis,
        breakdown=breakdown,
        db_match=db_match,
        db_diff=differences,
        communicate=communicate,
        actions=actions,
        unjudged=unjudged,
        note=(
            f"not scored here: {', '.join(unjudged)} (the reward leaves them out)"
            if unjudged
            else None
        ),
    )


def pass_hat_k(trials: Sequence[Sequence[bool]], k: int) -> float | None:
    """τ²'s pass^k: per task with n trials of which c succeeded, C(c, k) / C(n, k) — the chance
    that k trials drawn from them all succeed — averaged over the tasks with at least k trials.
    None when no task has k trials."""
    if k < 1:
        raise ValueError("k is at least 1")
    values = [comb(sum(t), k) / comb(len(t), k) for t in trials if len(t) >= k]
    return sum(values) / len(values) if values else None
