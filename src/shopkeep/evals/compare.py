"""Suites run across models and modes, side by side in one report: success, policy violations,
tokens, cost per resolved conversation at every price table entry, and latency."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shopkeep.evals.metrics import Metrics, measure
from shopkeep.evals.report import _CSS, cell, e, grouped_bars, latency_plot
from shopkeep.evals.runner import SuiteRun
from shopkeep.evals.tau2.bridge import Tau2Run


@dataclass(frozen=True)
class Compared:
    """One suite on one model in one mode. A τ² run keeps its pass^k beside the metrics."""

    suite: str
    run: SuiteRun
    tau2: Tau2Run | None = None

    @property
    def label(self) -> str:
        return f"{self.suite}: {self.run.mode} ({self.run.model})"

    @property
    def metrics(self) -> Metrics:
        return measure(self.run.results, self.run.price_entries)


def of_tau2(suite: str, run: Tau2Run) -> Compared:
    return Compared(suite=suite, run=run.suite_run(), tau2=run)


def row(entry: Compared) -> dict[str, Any]:
    """What the report says of one suite, model and mode."""
    m = entry.metrics
    conversations = max(1, m.conversations)
    return {
        "suite": entry.suite,
        "kind": "tau2" if entry.tau2 is not None else "scenarios",
        "model": entry.run.model,
        "mode": entry.run.mode,
        "price_entry": entry.run.price_entry,
        "wall_seconds": entry.run.wall_seconds,
        "pass_hat_k": (
            {str(k): v for k, v in entry.tau2.pass_hat().items()} if entry.tau2 else None
        ),
        "prompt_tokens_per_conversation": m.prompt_tokens / conversations,
        "completion_tokens_per_conversation": m.completion_tokens / conversations,
        **m.model_dump(mode="json"),
    }


def write_compare_report(entries: Sequence[Compared], folder: Path) -> tuple[Path, Path]:
    """DIR/compare.json and DIR/compare.html; returns both paths."""
    if not entries:
        raise ValueError("a comparison needs at least one run")
    rows = [row(entry) for entry in entries]
    data = {"generated_at": datetime.now(UTC).isoformat(), "runs": rows}
    folder.mkdir(parents=True, exist_ok=True)
    json_path, html_path = folder / "compare.json", folder / "compare.html"
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    html_path.write_text(render_html(data, entries), encoding="utf-8")
    return json_path, html_path


# --- plots ----------------------------------------------------------------------------------


def plots(entries: Sequence[Compared]) -> list[tuple[str, str]]:
    labels = [entry.label for entry in entries]
    rows = [row(entry) for entry in entries]
    entries_priced = list(entries[0].run.price_entries)
    return [
        (
            "Success",
            grouped_bars(
                "Success (τ²: pass^1)",
                labels,
                {"success": [r["success_rate"] for r in rows]},
                ylabel="success",
                percent=True,
            ),
        ),
        (
            "Policy violations",
            grouped_bars(
                "Policy violations",
                labels,
                {"violations": [float(r["policy_violations"]) for r in rows]},
                ylabel="violations",
            ),
        ),
        (
            "Tokens per conversation",
            grouped_bars(
                "Tokens per conversation (mean)",
                labels,
                {
                    "prompt": [r["prompt_tokens_per_conversation"] for r in rows],
                    "completion": [r["completion_tokens_per_conversation"] for r in rows],
                },
                ylabel="tokens",
            ),
        ),
        (
            "Cost per resolved conversation",
            grouped_bars(
                "Cost per resolved conversation at each price",
                labels,
                {
                    entry: [r["cost_usd_per_resolved"].get(entry) or 0.0 for r in rows]
                    for entry in entries_priced
                },
                ylabel="USD",
            ),
        ),
        (
            "Turn latency p50 / p95",
            grouped_bars(
                "Turn latency",
                labels,
                {
                    "p50": [r["turn_latency_p50_s"] or 0.0 for r in rows],
                    "p95": [r["turn_latency_p95_s"] or 0.0 for r in rows],
                },
                ylabel="seconds",
            ),
        ),
        ("Turn latency (distribution)", latency_plot([entry.run for entry in entries])),
    ]


# --- page -----------------------------------------------------------------------------------

_COLUMNS = [
    ("conversations", "conversations"),
    ("success_rate", "success rate"),
    ("policy_violations", "violations"),
    ("errors", "errors"),
    ("handoff_rate", "handoff rate"),
    ("turn_latency_p50_s", "latency p50 (s)"),
    ("turn_latency_p95_s", "latency p95 (s)"),
    ("prompt_tokens_per_conversation", "prompt tokens / conversation"),
    ("completion_tokens_per_conversation", "completion tokens / conversation"),
    ("prompt_tokens_per_resolved", "prompt tokens / resolved"),
]


def table(rows: Sequence[dict[str, Any]], labels: Sequence[str]) -> str:
    prices = list(rows[0]["cost_usd_per_resolved"])
    head = "".join(f"<th>{e(name)}</th>" for _, name in _COLUMNS)
    head += "<th>pass^k (τ²)</th>"
    head += "".join(f"<th>cost / resolved at {e(p)} (USD)</th>" for p in prices)
    body = []
    for name, r in zip(labels, rows, strict=True):
        cells = "".join(f"<td>{cell(key, r.get(key))}</td>" for key, _ in _COLUMNS)
        passes = r["pass_hat_k"]
        cells += (
            "<td>" + " · ".join(f"k={k}: {v:.0%}" for k, v in passes.items()) + "</td>"
            if passes
            else "<td>–</td>"
        )
        cells += "".join(
            "<td>–</td>"
            if r["cost_usd_per_resolved"].get(p) is None
            else f"<td>{r['cost_usd_per_resolved'][p]:.6f}</td>"
            for p in prices
        )
        body.append(f"<tr><td>{e(name)}</td>{cells}</tr>")
    return f"<table><tr><th></th>{head}</tr>{''.join(body)}</table>"


def render_html(data: dict[str, Any], entries: Sequence[Compared]) -> str:
    labels = [entry.label for entry in entries]
    figures = "".join(
        f"<figure>{picture}<figcaption>{e(title)}</figcaption></figure>"
        for title, picture in plots(entries)
    )
    failed = "".join(
        f"<li>{e(entry.label)}: "
        + e(", ".join(r.id for r in entry.run.results if not r.success) or "none")
        + "</li>"
        for entry in entries
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>shopkeep eval compare</title><style>{_CSS}</style></head>
<body>
<h1>shopkeep eval compare</h1>
<p class="meta">{e(data["generated_at"])} · {len(entries)} runs. Cost per resolved conversation
is what every model call of the run would cost at each entry of the price table, over the
conversations resolved.</p>
{table(data["runs"], labels)}
<div class="plots">{figures}</div>
<h2>Failed conversations</h2>
<ul>{failed}</ul>
</body></html>
"""
