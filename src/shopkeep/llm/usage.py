"""Token usage per model call and per conversation: the record, where it goes, and totals."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from shopkeep.llm.chat import TokenCounts
from shopkeep.llm.errors import ModelError
from shopkeep.llm.pricing import Price


class UsageLogInvalid(ModelError):
    code = "usage_log_invalid"


@dataclass(frozen=True)
class UsageRecord:
    """One model call: tokens, time and cost, attributed to a conversation."""

    conversation_id: str
    purpose: str
    backend: str
    model: str
    price_entry: str
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    wall_seconds: float
    cpu_seconds: float
    """CPU time the model spent on the call. Local backend: over the steps that computed it, the
    CPU time of the thread computing and of the process's native threads (llama.cpp's OpenMP
    workers); the other Python threads of the process are not counted. Remote backends: 0."""
    queue_seconds: float
    """How long the call waited for the local model to finish other calls."""
    cost_pico_usd: int
    finish_reason: str
    """The backend's (stop, length, tool_calls...), or "error" when the call raised and
    "abandoned" when its stream was closed before the reply: then the tokens are those the
    backend had processed, the time that until then."""
    started_at: datetime
    tokens_estimated: bool = False

    @property
    def tokens(self) -> TokenCounts:
        return TokenCounts(self.prompt_tokens, self.cached_tokens, self.completion_tokens)

    def to_json(self) -> str:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> UsageRecord:
        """The record a line of a usage log holds; ValueError naming the field that is wrong."""
        data: Any = json.loads(line)
        if not isinstance(data, dict):
            kind = {list: "array", str: "string", bool: "boolean", type(None): "null"}
            raise ValueError(f"a JSON {kind.get(type(data), 'number')}, not an object")
        missing = {f.name for f in fields(cls) if f.name != "tokens_estimated"} - data.keys()
        if missing:
            raise ValueError(f"missing fields: {', '.join(sorted(missing))}")
        return cls(
            **{
                f.name: _field_value(f.name, f.type, data[f.name])
                for f in fields(cls)
                if f.name in data
            }
        )


def _field_value(name: str, kind: object, value: Any) -> Any:
    """`value` as the record's field `name` of type `kind` (an annotation string) takes it."""
    if kind == "str":
        ok, wanted = isinstance(value, str), "a string"
    elif kind == "bool":
        ok, wanted = isinstance(value, bool), "true or false"
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        wanted = "a whole number, 0 or more"
    elif kind == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and math.isfinite(value) and value >= 0
        wanted = "a number, 0 or more"
    elif kind == "datetime":
        wanted = "an ISO 8601 date and time"
        try:
            return datetime.fromisoformat(value)
        except (TypeError, ValueError):
            ok = False
    else:  # pragma: no cover - a field added without a check
        raise AssertionError(f"no check for the field {name} of type {kind}")
    if not ok:
        shown = json.dumps(value, ensure_ascii=False)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise ValueError(f"field {name!r} must be {wanted}, not {shown}")
    return value


class UsageSink(Protocol):
    """Where usage records go. The agent layer persists them; tests keep them in memory."""

    def record(self, usage: UsageRecord) -> None: ...


@dataclass(frozen=True)
class UsageTotals:
    calls: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    cost_pico_usd: int = 0

    @classmethod
    def of(cls, records: Iterable[UsageRecord]) -> UsageTotals:
        total = cls()
        for r in records:
            total = cls(
                calls=total.calls + 1,
                prompt_tokens=total.prompt_tokens + r.prompt_tokens,
                cached_tokens=total.cached_tokens + r.cached_tokens,
                completion_tokens=total.completion_tokens + r.completion_tokens,
                wall_seconds=total.wall_seconds + r.wall_seconds,
                cpu_seconds=total.cpu_seconds + r.cpu_seconds,
                cost_pico_usd=total.cost_pico_usd + r.cost_pico_usd,
            )
        return total

    @property
    def tokens(self) -> TokenCounts:
        return TokenCounts(self.prompt_tokens, self.cached_tokens, self.completion_tokens)


class UsageLedger:
    """In memory, safe to share between threads."""

    def __init__(self) -> None:
        self._records: list[UsageRecord] = []
        self._lock = threading.Lock()

    def record(self, usage: UsageRecord) -> None:
        with self._lock:
            self._records.append(usage)

    def records(self, conversation_id: str | None = None) -> list[UsageRecord]:
        with self._lock:
            return [
                r
                for r in self._records
                if conversation_id is None or r.conversation_id == conversation_id
            ]

    def totals(self, conversation_id: str) -> UsageTotals:
        return UsageTotals.of(self.records(conversation_id))


class JsonlUsageLog:
    """Appends one JSON line per call; `shopkeep model cost` reads it back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, usage: UsageRecord) -> None:
        line = usage.to_json() + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line)


def read_usage_log(path: Path) -> list[UsageRecord]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageLogInvalid(f"cannot read the usage log {path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise UsageLogInvalid(
            f"{path} is not a usage log: not UTF-8 text (byte {error.start})"
        ) from None
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(UsageRecord.from_json(line))
        except (ValueError, TypeError) as error:
            raise UsageLogInvalid(f"{path}, line {number}: not a usage record ({error})") from None
    return records


def by_conversation(records: Iterable[UsageRecord]) -> dict[str, list[UsageRecord]]:
    grouped: dict[str, list[UsageRecord]] = {}
    for r in records:
        grouped.setdefault(r.conversation_id, []).append(r)
    return grouped


def cost_under(records: Sequence[UsageRecord], price: Price) -> int:
    """What these calls would have cost at another price, in pico-USD."""
    return sum(price.cost_pico_usd(r.tokens) for r in records)


def cost_table(
    records: Sequence[UsageRecord], prices: Mapping[str, Price]
) -> dict[str, dict[str, int]]:
    """conversation id → price entry → pico-USD."""
    return {
        conversation: {name: cost_under(calls, price) for name, price in prices.items()}
        for conversation, calls in by_conversation(records).items()
    }
