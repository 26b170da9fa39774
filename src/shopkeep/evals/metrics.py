"""What a run of scenarios measures: success, actions nobody asked for, violations, questions
asked again, handoffs, conversions, tokens, latency, the model's and the engine's own time and
cost at every price, overall and per job and language."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict

from shopkeep.evals.runner import ScenarioResult
from shopkeep.llm.pricing import usd


class Metrics(BaseModel):
    model_config = ConfigDict(frozen=True)

    conversations: int
    resolved: int
    """Conversations that succeeded: every expectation held, no policy violation."""
    errors: int
    """Conversations stopped by a crash or a setup the shop refused."""
    success_rate: float
    unwanted_actions: int
    """Consequential actions the customer did not ask for (each order placed or changed)."""
    conversations_with_unwanted: int
    policy_violations: int
    violations_by_kind: dict[str, int]
    handoff_rate: float
    """Share of conversations that ended with the human queue."""
    conversion_rate: float
    """Share of conversations that placed an order."""
    asked_again: int
    """Replies asking a question an earlier reply of the same conversation asked."""
    asked_third_time: int
    """Replies asking it for the third time or more."""
    turns: int
    turns_per_conversation: float
    model_calls: int
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    prompt_tokens_per_resolved: float | None
    """All prompt tokens spent, over the conversations resolved: the price of a resolution."""
    completion_tokens_per_resolved: float | None
    turn_latency_p50_s: float | None
    turn_latency_p95_s: float | None
    engine_overhead_p50_ms: float | None
    """Per turn, all but the model's time."""
    engine_overhead_p95_ms: float | None
    model_seconds_p50_s: float | None
    """Per turn, the model's time."""
    model_seconds_p95_s: float | None
    cost_usd: dict[str, float]
    """What all the model calls cost at each entry of the price table."""
    cost_usd_per_resolved: dict[str, float | None]


def measure(results: Sequence[ScenarioResult], price_entries: Sequence[str]) -> Metrics:
    n = len(results)
    resolved = sum(r.success for r in results)
    turns = [t for r in results for t in r.turns]
    violations = [v for r in results for v in r.violations]
    kinds: dict[str, int] = {}
    for v in violations:
        kinds[v.kind] = kinds.get(v.kind, 0) + 1
    prompt = sum(t.prompt_tokens for t in turns)
    completion = sum(t.completion_tokens for t in turns)
    cost = {
        entry: float(usd(sum(t.cost_pico_usd.get(entry, 0) for t in turns)))
        for entry in price_entries
    }
    latency = [t.wall_seconds for t in turns]
    overhead = [t.overhead_ms for t in turns]
    return Metrics(
        conversations=n,
        resolved=resolved,
        errors=sum(r.error is not None for r in results),
        success_rate=share(resolved, n),
        unwanted_actions=sum(len(r.unwanted) for r in results),
        conversations_with_unwanted=sum(bool(r.unwanted) for r in results),
        policy_violations=len(violations),
        violations_by_kind=kinds,
        handoff_rate=share(sum(r.handed_off for r in results), n),
        conversion_rate=share(sum(r.converted for r in results), n),
        asked_again=sum(r.repeats.asked_again for r in results),
        asked_third_time=sum(r.repeats.asked_third_time for r in results),
        turns=len(turns),
        turns_per_conversation=len(turns) / n if n else 0.0,
        model_calls=sum(t.model_calls for t in turns),
        prompt_tokens=prompt,
        cached_tokens=sum(t.cached_tokens for t in turns),
        completion_tokens=completion,
        prompt_tokens_per_resolved=prompt / resolved if resolved else None,
        completion_tokens_per_resolved=completion / resolved if resolved else None,
        turn_latency_p50_s=percentile(latency, 50),
        turn_latency_p95_s=percentile(latency, 95),
        engine_overhead_p50_ms=percentile(overhead, 50),
        engine_overhead_p95_ms=percentile(overhead, 95),
        model_seconds_p50_s=percentile([t.model_seconds for t in turns], 50),
        model_seconds_p95_s=percentile([t.model_seconds for t in turns], 95),
        cost_usd=cost,
        cost_usd_per_resolved={e: c / resolved if resolved else None for e, c in cost.items()},
    )


def measure_by(
    results: Sequence[ScenarioResult],
    price_entries: Sequence[str],
    key: Callable[[ScenarioResult], str],
) -> dict[str, Metrics]:
    """The metrics of each group of results (per job, per language), groups sorted by name."""
    groups: dict[str, list[ScenarioResult]] = {}
    for r in results:
        groups.setdefault(key(r), []).append(r)
    return {name: measure(groups[name], price_entries) for name in sorted(groups)}


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def percentile(values: Sequence[float], p: int) -> float | None:
    """The p-th percentile, interpolated between the values (None for none)."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]
