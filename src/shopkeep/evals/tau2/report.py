"""The report of τ²-bench runs: report.json (pass^k, every trial's reward, trajectory and
transcript) and report.html (one page with plots, the runs side by side)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from shopkeep.evals.metrics import measure
from shopkeep.evals.report import _CSS, cell, e, grouped_bars, latency_plot, tokens_plot
from shopkeep.evals.tau2.bridge import Tau2Run, TrialRun, task_job
from shopkeep.evals.tau2.tasks import Task
from shopkeep.llm.pricing import usd
from shopkeep.plots import STYLE, svg


def label(run: Tau2Run) -> str:
    return f"{run.mode} ({run.model}; customer {run.user_model})"


def run_data(run: Tau2Run, tasks: Sequence[Task]) -> dict[str, Any]:
    """One run: pass^k, the average reward, the shared metrics (tokens, latency, cost,
    violations), the simulated customer's own cost, and every task's trials."""
    metrics = measure(run.suite_run().results, run.price_entries)
    by_task = run.by_task()
    described = {t.id: t for t in tasks}
    user_turns = [u for r in run.results for u in r.user_turns]
    return {
        "mode": run.mode,
        "model": run.model,
        "user_model": run.user_model,
        "price_entry": run.price_entry,
        "tasks_file": run.tasks_file,
        "database_file": run.database_file,
        "trials": run.trials,
        "max_turns": run.max_turns,
        "seed": run.seed,
        "started_at": run.started_at.isoformat(),
        "wall_seconds": run.wall_seconds,
        "pass_hat_k": {str(k): v for k, v in run.pass_hat().items()},
        "average_reward": run.average_reward(),
        "terminations": _count(r.termination for r in run.results),
        **metrics.model_dump(mode="json"),
        "customer_simulator": {
            "messages": len(user_turns),
            "prompt_tokens": sum(u.prompt_tokens for u in user_turns),
            "completion_tokens": sum(u.completion_tokens for u in user_turns),
            "seconds": sum(u.wall_seconds for u in user_turns),
            "cost_usd": float(usd(sum(u.cost_pico_usd for u in user_turns))),
        },
        "tasks": [
            {
                "id": task_id,
                "job": task_job(described[task_id]) if task_id in described else None,
                "reason_for_call": described[task_id].reason_for_call
                if task_id in described
                else None,
                "rewards": [r.reward.reward for r in trials],
                "successes": sum(r.success for r in trials),
                "trials": [r.model_dump(mode="json") for r in trials],
            }
            for task_id, trials in by_task.items()
        ],
    }


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def write_tau2_report(
    runs: Sequence[Tau2Run], tasks: Sequence[Task], folder: Path
) -> tuple[Path, Path]:
    """DIR/report.json and DIR/report.html; returns both paths."""
    if not runs:
        raise ValueError("a report needs at least one run")
    reports = [run_data(run, tasks) for run in runs]
    data = {"generated_at": datetime.now(UTC).isoformat(), **reports[0], "runs": reports}
    folder.mkdir(parents=True, exist_ok=True)
    json_path, html_path = folder / "report.json", folder / "report.html"
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    html_path.write_text(render_html(data, runs), encoding="utf-8")
    return json_path, html_path


# --- plots ----------------------------------------------------------------------------------


def pass_hat_plot(runs: Sequence[Tau2Run]) -> str:
    """pass^k against k, one line per run: how reliability falls as trials must all succeed."""
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(5, 3.2))
        ax = figure.subplots()
        for run in runs:
            values = run.pass_hat()
            if values:
                ax.plot(list(values), list(values.values()), marker="o", label=label(run))
        ax.set_xlabel("k (trials that must all succeed)")
        ax.set_ylabel("pass^k")
        ax.set_ylim(0, 1.05)
        ax.yaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
        most = max((len(run.pass_hat()) for run in runs), default=1)
        ax.set_xlim(0.5, most + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("pass^k")
        ax.legend(fontsize=7)
        return svg(figure)


def plots(runs: Sequence[Tau2Run]) -> list[tuple[str, str]]:
    task_ids = list(dict.fromkeys(r.task_id for run in runs for r in run.results))
    rewards = {
        label(run): [
            sum(r.reward.reward for r in run.by_task().get(t, []))
            / max(1, len(run.by_task().get(t, [])))
            for t in task_ids
        ]
        for run in runs
    }
    jobs = sorted({r.conversation.job for run in runs for r in run.results})
    by_job = {
        label(run): [
            _share([r.success for r in run.results if r.conversation.job == job]) for job in jobs
        ]
        for run in runs
    }
    suites = [run.suite_run() for run in runs]
    return [
        ("pass^k", pass_hat_plot(runs)),
        (
            "Average reward per task",
            grouped_bars(
                "Average reward per task",
                [f"task {t}" for t in task_ids],
                rewards,
                ylabel="reward",
                percent=True,
            ),
        ),
        (
            "Success by job",
            grouped_bars("Success by job", jobs, by_job, ylabel="success", percent=True),
        ),
        ("Turn latency", latency_plot(suites)),
        ("Tokens per conversation", tokens_plot(suites)),
    ]


def _share(values: Sequence[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


# --- page -----------------------------------------------------------------------------------

_ROWS = [
    ("average_reward", "average reward"),
    ("unwanted_actions", "actions not asked for"),
    ("policy_violations", "policy violations"),
    ("asked_again", "questions asked again"),
    ("asked_third_time", "questions asked a third time"),
    ("errors", "conversations stopped by an error"),
    ("handoff_rate", "handoff rate"),
    ("turns", "assistant turns"),
    ("turn_latency_p50_s", "turn latency p50 (s)"),
    ("turn_latency_p95_s", "turn latency p95 (s)"),
    ("engine_overhead_p50_ms", "engine overhead p50 (ms)"),
    ("prompt_tokens", "assistant prompt tokens"),
    ("completion_tokens", "assistant completion tokens"),
    ("prompt_tokens_per_resolved", "prompt tokens per resolved"),
]


def summary_table(reports: Sequence[dict[str, Any]], labels: Sequence[str]) -> str:
    head = "".join(f"<th>{e(name)}</th>" for name in labels)
    most = max((len(r["pass_hat_k"]) for r in reports), default=0)
    rows = [
        "<tr><td>tasks × trials</td>"
        + "".join(f"<td>{len(r['tasks'])} × {r['trials']}</td>" for r in reports)
        + "</tr>"
    ]
    for k in range(1, most + 1):
        rows.append(
            f"<tr><td>pass^{k}</td>"
            + "".join(
                f"<td>{r['pass_hat_k'][str(k)]:.1%}</td>"
                if str(k) in r["pass_hat_k"]
                else "<td>–</td>"
                for r in reports
            )
            + "</tr>"
        )
    for key, name in _ROWS:
        rows.append(
            f"<tr><td>{e(name)}</td>"
            + "".join(f"<td>{cell(key, r.get(key))}</td>" for r in reports)
            + "</tr>"
        )
    for entry in reports[0]["cost_usd_per_resolved"]:
        rows.append(
            f"<tr><td>cost per resolved at {e(entry)} (USD)</td>"
            + "".join(
                "<td>–</td>"
                if r["cost_usd_per_resolved"].get(entry) is None
                else f"<td>{r['cost_usd_per_resolved'][entry]:.6f}</td>"
                for r in reports
            )
            + "</tr>"
        )
    rows.append(
        "<tr><td>customer simulator tokens (prompt + completion)</td>"
        + "".join(
            f"<td>{r['customer_simulator']['prompt_tokens']:,} + "
            f"{r['customer_simulator']['completion_tokens']:,}</td>"
            for r in reports
        )
        + "</tr>"
    )
    rows.append(
        "<tr><td>how conversations ended</td>"
        + "".join(
            f"<td class=text>{e(', '.join(f'{k} {v}' for k, v in r['terminations'].items()))}</td>"
            for r in reports
        )
        + "</tr>"
    )
    return f"<table><tr><th></th>{head}</tr>{''.join(rows)}</table>"


def trial_html(run: TrialRun) -> str:
    verdict = '<span class="pass">pass</span>' if run.success else '<span class="fail">fail</span>'
    r = run.reward
    facts = [
        f"reward {r.reward:g} ("
        + (", ".join(f"{k} {v:g}" for k, v in r.breakdown.items()) or "unscored")
        + ")",
        f"ended: {run.termination}",
    ]
    problems = [e(f) for f in run.conversation.failures]
    problems += [
        e(f"violation ({v.kind}{f', turn {v.turn}' if v.turn else ''}): {v.detail}")
        for v in run.conversation.violations
    ]
    if run.conversation.error:
        problems.append(e(f"error: {run.conversation.error}"))
    problems += [e(f"expected action refused by the store: {x}") for x in run.expected_errors]
    lines = []
    for m in run.trajectory:
        if m.tool_calls:
            for call in m.tool_calls:
                lines.append(
                    f'<div class="turn meta">tool call: {e(call.name)}'
                    f"({e(json.dumps(call.arguments, ensure_ascii=False))})</div>"
                )
        elif m.role == "tool":
            lines.append(f'<div class="turn meta">tool: {e(m.content)}</div>')
        elif m.role == "user":
            lines.append(
                f'<div class="turn"><span class="user">customer: {e(m.content)}</span></div>'
            )
        else:
            lines.append(f'<div class="turn">assistant: {e(m.content)}</div>')
    listed = "".join(f"<li>{p}</li>" for p in problems)
    return (
        f"<details><summary>{verdict} <b>task {e(run.task_id)}</b> trial {run.trial + 1} "
        f'<span class="meta">{e(" · ".join(facts))} · {run.wall_seconds:.1f} s</span></summary>'
        f'<p class="meta">{e(run.conversation.title)}</p>'
        f"{f'<ul>{listed}</ul>' if listed else ''}{''.join(lines)}</details>"
    )


def render_html(data: dict[str, Any], runs: Sequence[Tau2Run]) -> str:
    reports: list[dict[str, Any]] = data["runs"]
    labels = [label(run) for run in runs]
    figures = "".join(
        f"<figure>{picture}<figcaption>{e(title)}</figcaption></figure>"
        for title, picture in plots(runs)
    )
    trials = "".join(
        f"<h3>{e(name)}</h3>" + "".join(trial_html(r) for r in run.results)
        for name, run in zip(labels, runs, strict=True)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>shopkeep on τ²-bench: {e(data["tasks_file"])}</title><style>{_CSS}</style></head>
<body>
<h1>shopkeep on τ²-bench retail</h1>
<p class="meta">{e(data["generated_at"])} · tasks {e(data["tasks_file"])} · database
{e(data["database_file"])} · {e(", ".join(labels))}</p>
<p class="meta">Scored as τ² scores: the database after the conversation against the database
after the task's expected actions, and the information the task says must be communicated; a
conversation that does not end with the customer's stop signal (or a handoff) scores 0.
pass^k: the chance that k trials of a task all succeed, averaged over the tasks.</p>
<h2>Overall</h2>
{summary_table(reports, labels)}
<div class="plots">{figures}</div>
<h2>Trials</h2>
{trials}
</body></html>
"""
