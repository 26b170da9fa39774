"""The report of an eval run: report.json (metrics, per job, per language, every scenario's
result and transcript) and report.html (one self-contained page with plots), several runs
side by side."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from shopkeep.evals.metrics import Metrics, measure, measure_by
from shopkeep.evals.runner import ScenarioResult, SuiteRun
from shopkeep.plots import STYLE as _STYLE
from shopkeep.plots import svg

JOB = "per_job"
LANGUAGE = "per_language"


def run_report(run: SuiteRun) -> dict[str, Any]:
    """One run: its metrics, the same per job and per language, and every scenario."""
    return {
        "mode": run.mode,
        "model": run.model,
        "price_entry": run.price_entry,
        "started_at": run.started_at.isoformat(),
        "wall_seconds": run.wall_seconds,
        **measure(run.results, run.price_entries).model_dump(mode="json"),
        JOB: _dump(measure_by(run.results, run.price_entries, lambda r: r.job)),
        LANGUAGE: _dump(measure_by(run.results, run.price_entries, lambda r: r.language)),
        "scenarios": [r.model_dump(mode="json") for r in run.results],
    }


def _dump(groups: dict[str, Metrics]) -> dict[str, Any]:
    return {name: m.model_dump(mode="json") for name, m in groups.items()}


def report_data(runs: Sequence[SuiteRun], *, suite: str) -> dict[str, Any]:
    """The first run's figures at the top, and every run (the first included) under "runs"."""
    if not runs:
        raise ValueError("a report needs at least one run")
    reports = [run_report(run) for run in runs]
    return {
        "generated_at": datetime.now(UTC).isoformat(),
        "suite": suite,
        **reports[0],
        "runs": reports,
    }


def write_report(runs: Sequence[SuiteRun], folder: Path, *, suite: str) -> tuple[Path, Path]:
    """DIR/report.json and DIR/report.html; returns both paths."""
    data = report_data(runs, suite=suite)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, html_path = folder / "report.json", folder / "report.html"
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    html_path.write_text(render_html(data, runs), encoding="utf-8")
    return json_path, html_path


# --- plots ----------------------------------------------------------------------------------


def _label(run: SuiteRun) -> str:
    return f"{run.mode} ({run.model})"


def grouped_bars(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    ylabel: str,
    percent: bool = False,
) -> str:
    """One group of bars per category, one bar per series (run) in each group."""
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(max(5.0, 0.6 * len(categories) * max(1, len(series))), 3.2))
        ax = figure.subplots()
        width = 0.8 / max(1, len(series))
        for index, (name, values) in enumerate(series.items()):
            positions = [c + (index - (len(series) - 1) / 2) * width for c in range(len(values))]
            bars = ax.bar(positions, values, width, label=name)
            ax.bar_label(bars, labels=[_value(v, percent) for v in values], fontsize=7, padding=1)
        ax.set_xticks(range(len(categories)), list(categories), rotation=30, ha="right")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        if percent:
            ax.set_ylim(0, 1.1)
            ax.yaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
        if len(series) > 1:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return svg(figure)


def _value(value: float, percent: bool) -> str:
    if percent:
        return f"{value:.0%}"
    if value and abs(value) < 0.01:
        return f"{value:.2g}"
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def latency_plot(runs: Sequence[SuiteRun]) -> str:
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(6, 3.2))
        ax = figure.subplots()
        for run in runs:
            latencies = [t.wall_seconds for r in run.results for t in r.turns]
            if latencies:
                ax.hist(latencies, bins=30, histtype="step", linewidth=1.5, label=_label(run))
        ax.set_xlabel("seconds per turn")
        ax.set_ylabel("turns")
        ax.set_title("Turn latency")
        ax.legend(fontsize=7)
        return svg(figure)


def tokens_plot(runs: Sequence[SuiteRun]) -> str:
    """Prompt and completion tokens of each conversation, as box plots per run."""
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(6, 3.2))
        ax = figure.subplots()
        data, labels = [], []
        for run in runs:
            for kind in ("prompt", "completion"):
                data.append(
                    [sum(getattr(t, f"{kind}_tokens") for t in r.turns) for r in run.results]
                )
                labels.append(f"{kind}\n{_label(run)}")
        ax.boxplot(data, tick_labels=labels)
        ax.set_ylabel("tokens per conversation")
        ax.set_title("Tokens per conversation")
        ax.tick_params(axis="x", labelsize=7)
        return svg(figure)


def plots(runs: Sequence[SuiteRun]) -> list[tuple[str, str]]:
    """(title, <svg>) of every plot of the report."""
    measured = {_label(run): run for run in runs}

    def by(key: str) -> tuple[list[str], dict[str, list[float]]]:
        groups = {
            label: measure_by(
                run.results, run.price_entries, lambda r: r.job if key == JOB else r.language
            )
            for label, run in measured.items()
        }
        names = sorted({name for g in groups.values() for name in g})
        return names, {
            label: [g[n].success_rate if n in g else 0.0 for n in names]
            for label, g in groups.items()
        }

    jobs, job_success = by(JOB)
    languages, language_success = by(LANGUAGE)
    entries = list(runs[0].price_entries)
    costs = {
        label: [measure(run.results, run.price_entries).cost_usd.get(e, 0.0) for e in entries]
        for label, run in measured.items()
    }
    return [
        (
            "Success by job",
            grouped_bars("Success by job", jobs, job_success, ylabel="success", percent=True),
        ),
        (
            "Success by language",
            grouped_bars(
                "Success by language", languages, language_success, ylabel="success", percent=True
            ),
        ),
        ("Turn latency", latency_plot(runs)),
        ("Tokens per conversation", tokens_plot(runs)),
        (
            "Cost per price entry",
            grouped_bars("Cost of the run per price entry", entries, costs, ylabel="USD"),
        ),
    ]


# --- page -----------------------------------------------------------------------------------

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1200px;
       padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .6rem; text-align: right;
         vertical-align: top; }
th:first-child, td:first-child, td.text { text-align: left; }
.plots { display: flex; flex-wrap: wrap; gap: 1rem; }
.plots figure { margin: 0; }
.plots svg { max-width: 100%; height: auto; }
.pass { color: #1a7f37; } .fail { color: #cf222e; }
details { margin: .2rem 0; } summary { cursor: pointer; }
.turn { margin: .3rem 0 .3rem 1rem; white-space: pre-wrap; }
.user { color: #0550ae; } .meta { color: #777; font-size: 12px; }
"""

_ROWS: list[tuple[str, str]] = [
    ("success_rate", "success rate"),
    ("resolved", "resolved"),
    ("conversations", "conversations"),
    ("unwanted_actions", "actions not asked for"),
    ("policy_violations", "policy violations"),
    ("errors", "errors"),
    ("handoff_rate", "handoff rate"),
    ("conversion_rate", "conversion rate"),
    ("asked_again", "questions asked again"),
    ("asked_third_time", "questions asked a third time"),
    ("turns_per_conversation", "turns per conversation"),
    ("turn_latency_p50_s", "turn latency p50 (s)"),
    ("turn_latency_p95_s", "turn latency p95 (s)"),
    ("model_seconds_p50_s", "model time per turn p50 (s)"),
    ("model_seconds_p95_s", "model time per turn p95 (s)"),
    ("engine_overhead_p50_ms", "engine overhead p50 (ms)"),
    ("engine_overhead_p95_ms", "engine overhead p95 (ms)"),
    ("prompt_tokens", "prompt tokens"),
    ("completion_tokens", "completion tokens"),
    ("prompt_tokens_per_resolved", "prompt tokens per resolved"),
    ("completion_tokens_per_resolved", "completion tokens per resolved"),
]


def e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def cell(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if key.endswith("_rate"):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 100 else f"{value:,.0f}"
    return e(value)


def metrics_table(reports: Sequence[dict[str, Any]], labels: Sequence[str]) -> str:
    head = "".join(f"<th>{e(label)}</th>" for label in labels)
    rows = [
        f"<tr><td>{e(name)}</td>"
        + "".join(f"<td>{cell(key, r[key])}</td>" for r in reports)
        + "</tr>"
        for key, name in _ROWS
    ]
    for entry in reports[0]["cost_usd"]:
        rows.append(
            f"<tr><td>cost at {e(entry)} (USD)</td>"
            + "".join(f"<td>{r['cost_usd'].get(entry, 0.0):.6f}</td>" for r in reports)
            + "</tr>"
        )
    return f"<table><tr><th></th>{head}</tr>{''.join(rows)}</table>"


def group_table(reports: Sequence[dict[str, Any]], labels: Sequence[str], key: str) -> str:
    names = sorted({name for r in reports for name in r[key]})
    head = "".join(
        f"<th>{e(label)}<br>success</th><th>not asked for</th><th>violations</th><th>p50 s</th>"
        for label in labels
    )
    rows = []
    for name in names:
        cells = []
        for r in reports:
            m = r[key].get(name)
            if m is None:
                cells.append("<td>–</td><td>–</td><td>–</td><td>–</td>")
                continue
            cells.append(
                f"<td>{m['resolved']}/{m['conversations']} ({m['success_rate']:.0%})</td>"
                f"<td>{m['unwanted_actions']}</td>"
                f"<td>{m['policy_violations']}</td>"
                f"<td>{cell('p50', m['turn_latency_p50_s'])}</td>"
            )
        rows.append(f"<tr><td>{e(name)}</td>{''.join(cells)}</tr>")
    return f"<table><tr><th></th>{head}</tr>{''.join(rows)}</table>"


def scenario_html(result: ScenarioResult) -> str:
    verdict = (
        '<span class="pass">pass</span>' if result.success else '<span class="fail">fail</span>'
    )
    problems = [e(f"not asked for: {u.detail}") for u in result.unwanted]
    problems += [e(f) for f in result.failures]
    problems += [
        e(f"violation ({v.kind}{f', turn {v.turn}' if v.turn else ''}): {v.detail}")
        for v in result.violations
    ]
    if result.error:
        problems.append(e(f"error: {result.error}"))
    turns = "".join(
        f'<div class="turn"><span class="user">user: {e(t.user)}</span>\n'
        f"assistant: {e(t.reply)}\n"
        f'<span class="meta">{e(t.job or "-")} · {t.wall_seconds:.2f} s · '
        f"{t.prompt_tokens}+{t.completion_tokens} tokens · "
        f"{e(', '.join(str(ev.get('kind')) for ev in t.events) or 'no events')}</span></div>"
        for t in result.turns
    )
    listed = "".join(f"<li>{p}</li>" for p in problems)
    return (
        f"<details><summary>{verdict} <b>{e(result.id)}</b> {e(result.title)} "
        f'<span class="meta">{e(result.job)} · {e(result.language)} · '
        f"{e(', '.join(result.tags))}</span></summary>"
        f"{f'<ul>{listed}</ul>' if listed else ''}{turns}</details>"
    )


def render_html(data: dict[str, Any], runs: Sequence[SuiteRun]) -> str:
    reports: list[dict[str, Any]] = data["runs"]
    labels = [_label(run) for run in runs]
    figures = "".join(
        f"<figure>{picture}<figcaption>{e(title)}</figcaption></figure>"
        for title, picture in plots(runs)
    )
    scenarios = "".join(
        f"<h3>{e(label)}</h3>" + "".join(scenario_html(r) for r in run.results)
        for label, run in zip(labels, runs, strict=True)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>shopkeep eval: {e(data["suite"])}</title><style>{_CSS}</style></head>
<body>
<h1>shopkeep eval: {e(data["suite"])}</h1>
<p class="meta">{e(data["generated_at"])} · {e(", ".join(labels))}</p>
<h2>Overall</h2>
{metrics_table(reports, labels)}
<div class="plots">{figures}</div>
<h2>Per job</h2>
{group_table(reports, labels, JOB)}
<h2>Per language</h2>
{group_table(reports, labels, LANGUAGE)}
<h2>Scenarios</h2>
{scenarios}
</body></html>
"""
