"""The analytics API for managers: figures and charts computed from the conversation log."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

import matplotlib
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from pydantic import BaseModel, Field

from shopkeep.api.chat import MoneyOut
from shopkeep.api.errors import ErrorOut, Refused
from shopkeep.api.session import StaffUser, require_manager
from shopkeep.llm.pricing import format_usd, usd
from shopkeep.plots import STYLE, svg
from shopkeep.store.analytics import DEFINITIONS, AnalyticsReport, Figures
from shopkeep.store.shop import Store

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Sign in as staff first"},
    403: {"model": ErrorOut, "description": "Signed in, but not as a manager"},
    422: {"model": ErrorOut, "description": "Not a date, an unknown time zone, or a bad range"},
}

router = APIRouter(prefix="/api", tags=["analytics"], responses=ERRORS)

Manager = Annotated[StaffUser, Depends(require_manager)]
Start = Annotated[
    date | None, Query(description="First day (YYYY-MM-DD); default: 29 days before `end`")
]
End = Annotated[date | None, Query(description="Last day (YYYY-MM-DD); default: today")]
Zone = Annotated[
    str, Query(max_length=64, description="The days' time zone (IANA name, e.g. Asia/Seoul)")
]


# --- what goes over the wire ----------------------------------------------------------------


class FiguresOut(BaseModel):
    conversations: int
    resolved: int
    resolution_rate: float | None
    handed_off: int
    handoff_rate: float | None
    orders: int
    converted: int
    conversion_rate: float | None
    revenue: list[MoneyOut] = Field(description="One amount per currency, the shop's first")
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    cost_pico_usd: int = Field(description="Exact, in 10**-12 USD")
    cost_usd: str = Field(description="The same in USD, an exact decimal string")
    cost_display: str = Field(description="The same for people, to six decimals")
    replies: int
    latency_p50_seconds: float | None
    latency_p95_seconds: float | None

    @classmethod
    def fields_of(cls, f: Figures) -> dict[str, Any]:
        return {
            "conversations": f.conversations,
            "resolved": f.resolved,
            "resolution_rate": f.resolution_rate,
            "handed_off": f.handed_off,
            "handoff_rate": f.handoff_rate,
            "orders": f.orders,
            "converted": f.converted,
            "conversion_rate": f.conversion_rate,
            "revenue": [MoneyOut.of(m) for m in f.revenue],
            "prompt_tokens": f.prompt_tokens,
            "cached_tokens": f.cached_tokens,
            "completion_tokens": f.completion_tokens,
            "cost_pico_usd": f.cost_pico_usd,
            "cost_usd": f"{usd(f.cost_pico_usd).normalize():f}",
            "cost_display": format_usd(f.cost_pico_usd),
            "replies": f.replies,
            "latency_p50_seconds": f.latency_p50_seconds,
            "latency_p95_seconds": f.latency_p95_seconds,
        }


class DayOut(FiguresOut):
    day: date


class JobOut(FiguresOut):
    job: str


class LanguageOut(FiguresOut):
    language: str


class AnalyticsOut(BaseModel):
    start: date
    end: date
    timezone: str
    currency: str = Field(description="The shop's currency")
    totals: FiguresOut
    per_day: list[DayOut]
    per_job: list[JobOut]
    per_language: list[LanguageOut]
    charts: dict[str, str] = Field(description="Each chart's name and the URL of its SVG")
    definitions: dict[str, str] = Field(description="What each figure means")


# --- charts ---------------------------------------------------------------------------------

# Matplotlib's style is process-wide state (rc_context); requests draw in threads, one at a time.
_drawing = threading.Lock()

METRICS = ("conversations", "rates", "revenue", "tokens", "cost", "latency")
GROUPINGS = ("day", "job", "language")
CHARTS = tuple(f"{by}-{metric}" for by in GROUPINGS for metric in METRICS)
"""Every chart: each metric over time (per day), per job and per language."""


def _nan(value: float | None) -> float:
    return float("nan") if value is None else value


def _series(figures: Sequence[Figures], metric: str, currency: str) -> dict[str, list[float]]:
    """The values a chart of `metric` shows, one list per series."""
    if metric == "conversations":
        return {
            "conversations": [f.conversations for f in figures],
            "with a purchase": [f.converted for f in figures],
            "handed off": [f.handed_off for f in figures],
        }
    if metric == "rates":
        return {
            "resolution": [_nan(f.resolution_rate) for f in figures],
            "handoff": [_nan(f.handoff_rate) for f in figures],
            "conversion": [_nan(f.conversion_rate) for f in figures],
        }
    if metric == "revenue":
        currencies = dict.fromkeys(m.currency for f in figures for m in f.revenue) or {currency: 1}
        return {c: [f.revenue_in(c).to_float() for f in figures] for c in currencies}
    if metric == "tokens":
        return {
            "prompt": [f.prompt_tokens for f in figures],
            "completion": [f.completion_tokens for f in figures],
        }
    if metric == "cost":
        return {"USD": [float(usd(f.cost_pico_usd)) for f in figures]}
    return {
        "p50": [_nan(f.latency_p50_seconds) for f in figures],
        "p95": [_nan(f.latency_p95_seconds) for f in figures],
    }


TITLES = {
    "conversations": ("Conversations", "conversations"),
    "rates": ("Resolution, handoff and conversion", "share of conversations"),
    "revenue": ("Revenue", "revenue"),
    "tokens": ("Tokens", "tokens"),
    "cost": ("Model cost", "USD"),
    "latency": ("Latency per turn", "seconds"),
}
COUNTS = ("conversations", "tokens")
"""Metrics counted in whole numbers: no ticks between them."""
MIN_SLOTS = 4
"""A chart of fewer groups keeps the room of this many, so one group is not one wide bar."""


def _day_ticks(days: Sequence[date]) -> tuple[list[int], list[str]]:
    """At most eight labelled days, evenly spaced back from the last (today, often); the year
    under the first label and where a new year starts."""
    step = max(1, math.ceil(len(days) / 8))
    positions = list(range(len(days) - 1, -1, -step))[::-1]
    labels = []
    for previous, index in zip([None, *positions], positions, strict=False):
        day = days[index]
        new_year = previous is None or days[previous].year != day.year
        labels.append(f"{day:%b} {day.day}" + (f"\n{day.year}" if new_year else ""))
    return positions, labels


def _label(value: float, metric: str) -> str:
    if math.isnan(value):
        return ""
    if metric == "rates":
        return f"{value:.0%}"
    if metric in COUNTS:
        return f"{value:,.0f}"
    return f"{value:,.2f}" if value >= 0.01 or value == 0 else f"{value:.2g}"


def _draw(
    title: str,
    ticks: tuple[list[int], list[str]],
    series: dict[str, list[float]],
    metric: str,
    *,
    over_time: bool,
    ylabel: str,
) -> str:
    """One chart: a value per slot (a day, a job...) for each series, as bars side by side
    (tokens: stacked), or as lines for rates and latency over time."""
    slots = len(next(iter(series.values())))
    x = list(range(slots))
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(6, 2.8))
        ax = figure.subplots()
        if over_time and metric in ("rates", "latency"):
            for name, values in series.items():
                ax.plot(x, values, marker="o", markersize=3, linewidth=1.5, label=name)
        elif metric == "tokens":
            bottom = [0.0] * slots
            for name, values in series.items():
                ax.bar(x, values, 0.7, bottom=bottom, label=name)
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        else:
            width = 0.8 / len(series)
            labelled = not over_time and slots * len(series) <= 24
            for index, (name, values) in enumerate(series.items()):
                offset = (index - (len(series) - 1) / 2) * width
                bars = ax.bar([p + offset for p in x], values, width, label=name)
                if labelled:
                    labels = [_label(v, metric) for v in values]
                    ax.bar_label(bars, labels=labels, fontsize=7, padding=1)
        positions, labels = ticks
        ax.set_xticks(positions, labels, rotation=0 if over_time or slots <= 4 else 30)
        pad = 0.0 if over_time else max(0.0, (MIN_SLOTS - slots) / 2)
        ax.set_xlim(-0.6 - pad, slots - 0.4 + pad)
        ax.set_ylabel(ylabel)
        # The legend goes between the title and the plot: every chart keeps the same width.
        ax.set_title(title, pad=16 if len(series) > 1 else 6)
        if metric in COUNTS:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if metric == "rates":
            ax.set_ylim(0, 1.1)
            ax.yaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
        elif any(v > 0 for values in series.values() for v in values):
            ax.margins(y=0.15)
            ax.set_ylim(bottom=0)
        else:
            ax.set_ylim(0, 1)  # nothing to show: an empty axis, not one around zero
        if len(series) > 1:
            ax.legend(
                fontsize=7,
                loc="lower left",
                bbox_to_anchor=(0.0, 1.0),
                ncols=len(series),
                frameon=False,
                borderaxespad=0.2,
            )
        return svg(figure)


def chart(report: AnalyticsReport, name: str) -> str:
    """The chart `name` (one of CHARTS) of `report`, as an <svg> element."""
    by, metric = name.split("-", 1)
    title, ylabel = TITLES[metric]
    if metric == "revenue" and len(report.totals.revenue) == 1:
        ylabel = report.currency
    if by == "day":
        figures = [d.figures for d in report.per_day]
        ticks = _day_ticks([d.day for d in report.per_day])
        title = f"{title} per day"
    else:
        groups = report.per_job if by == "job" else report.per_language
        figures = [g.figures for g in groups]
        ticks = (list(range(len(groups))), [g.key for g in groups])
        title = f"{title} per {by}"
    series = _series(figures, metric, report.currency)
    if not figures:  # no conversations: no groups to draw
        series = {name: [] for name in series}
    with _drawing:
        return _draw(title, ticks, series, metric, over_time=by == "day", ylabel=ylabel)


# --- routes ---------------------------------------------------------------------------------


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


DESCRIPTION = "\n\n".join(f"**{name}**: {text}" for name, text in DEFINITIONS.items())


@router.get(
    "/analytics",
    response_model=AnalyticsOut,
    summary="The assistant's figures over a date range (managers)",
    description="Computed from the conversation log on every call.\n\n" + DESCRIPTION,
)
def get_analytics(
    request: Request,
    _: Manager,
    start: Start = None,
    end: End = None,
    timezone: Zone = "UTC",
) -> AnalyticsOut:
    report = _store(request).analytics.report(start, end, timezone=timezone)
    query = urlencode({"start": report.start, "end": report.end, "timezone": report.timezone})
    return AnalyticsOut(
        start=report.start,
        end=report.end,
        timezone=report.timezone,
        currency=report.currency,
        totals=FiguresOut(**FiguresOut.fields_of(report.totals)),
        per_day=[DayOut(day=d.day, **FiguresOut.fields_of(d.figures)) for d in report.per_day],
        per_job=[JobOut(job=g.key, **FiguresOut.fields_of(g.figures)) for g in report.per_job],
        per_language=[
            LanguageOut(language=g.key, **FiguresOut.fields_of(g.figures))
            for g in report.per_language
        ],
        charts={
            name: request.app.url_path_for("get_chart", name=name) + "?" + query for name in CHARTS
        },
        definitions=DEFINITIONS,
    )


@router.get(
    "/analytics/charts/{name}.svg",
    summary="One chart of the analytics as SVG (managers)",
    description="`name`: one of " + ", ".join(CHARTS) + "; the range as for /api/analytics.",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, 404: {"model": ErrorOut}},
)
def get_chart(
    request: Request,
    name: str,
    _: Manager,
    start: Start = None,
    end: End = None,
    timezone: Zone = "UTC",
) -> Response:
    if name not in CHARTS:
        raise Refused(404, "unknown_chart", f"No chart '{name}'; there are: {', '.join(CHARTS)}.")
    report = _store(request).analytics.report(start, end, timezone=timezone)
    return Response(
        chart(report, name),
        media_type="image/svg+xml",
        headers={"Cache-Control": "private, no-store"},
    )
