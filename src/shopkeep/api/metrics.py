"""Prometheus metrics of the server at GET /metrics, in the text exposition format.

Each app counts into its own registry (several apps in one process, as tests make, never mix):

- `shopkeep_http_requests_total{method, route, status}`: requests answered, by the route's
  template (`/api/conversations/{conversation_id}`; `unmatched` for paths no route serves).
- `shopkeep_http_request_duration_seconds{method, route}`: a histogram of the time from the
  request to the end of the response (a stream's whole life for SSE).
- `shopkeep_chat_turns_total{job, language}`: chat turns run by this worker (`job` `none`
  when the turn worked on no job, e.g. while a person holds the conversation).
- `shopkeep_chat_turn_duration_seconds{job, language}`: a histogram of the turns' latency.
- `shopkeep_model_tokens_total{kind}`: model tokens of those turns, `prompt` or `completion`.
- `shopkeep_handoff_queue{status}`: conversations in the human queue now, `waiting` or
  `taken`, read from the database at each scrape (so every worker reports the shop's queue).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shopkeep.store.models import OPEN_HANDOFF_STATUSES
from shopkeep.store.shop import Store

if TYPE_CHECKING:
    from shopkeep.agent.result import TurnResult

# Turns run from under a second (templates) to tens of seconds (a small model on 2 cores).
TURN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0)


class ServerMetrics:
    """The app's metrics, in a registry of their own."""

    def __init__(self, store: Callable[[], Store]) -> None:
        """`store`: the store to count the queue in, looked up at each scrape."""
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "shopkeep_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "shopkeep_http_request_duration_seconds",
            "Time from an HTTP request to the end of its response",
            ["method", "route"],
            registry=self.registry,
        )
        self.turns = Counter(
            "shopkeep_chat_turns",
            "Chat turns run, by job and language",
            ["job", "language"],
            registry=self.registry,
        )
        self.turn_seconds = Histogram(
            "shopkeep_chat_turn_duration_seconds",
            "Latency of a chat turn, by job and language",
            ["job", "language"],
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self.tokens = Counter(
            "shopkeep_model_tokens",
            "Model tokens of the chat turns, prompt or completion",
            ["kind"],
            registry=self.registry,
        )
        self.registry.register(HandoffQueue(store))

    def observe_turn(
        self,
        *,
        job: str | None,
        language: str,
        seconds: float,
        prompt_tokens: int,
        completion_tokens: int,
    ) -> None:
        labels = {"job": job or "none", "language": language}
        self.turns.labels(**labels).inc()
        self.turn_seconds.labels(**labels).observe(seconds)
        self.tokens.labels(kind="prompt").inc(prompt_tokens)
        self.tokens.labels(kind="completion").inc(completion_tokens)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class HandoffQueue(Collector):
    """The human queue's size, counted in the database when scraped."""

    def __init__(self, store: Callable[[], Store]) -> None:
        self.store = store

    def describe(self) -> list[Metric]:
        # Described without a query: registering must not touch the database.
        return [self._family()]

    def collect(self) -> Iterator[Metric]:
        counts = dict.fromkeys(OPEN_HANDOFF_STATUSES, 0)
        for handoff in self.store().conversations.queue(status=OPEN_HANDOFF_STATUSES):
            counts[handoff.status] = counts.get(handoff.status, 0) + 1
        family = self._family()
        for status, count in counts.items():
            family.add_metric([status], count)
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "shopkeep_handoff_queue",
            "Conversations in the human queue now, waiting or taken",
            labels=["status"],
        )


class RequestMetrics:
    """ASGI middleware counting every HTTP request by the template of the route that served it
    (a label per path would grow with every conversation id)."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = _route_template(scope)
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method=method, route=route, status=str(status)).inc()
            self.metrics.request_seconds.labels(method=method, route=route).observe(
                time.perf_counter() - started
            )


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    mounted, app_root = str(scope.get("root_path", "")), str(scope.get("app_root_path", ""))
    if "endpoint" in scope and mounted != app_root:
        return f"{mounted[len(app_root) :]}/{{path}}"  # a mount (the static files): not each file
    return "unmatched"


def _observe_turn(metrics: ServerMetrics) -> Callable[[TurnResult], None]:
    def observe(result: TurnResult) -> None:
        metrics.observe_turn(
            job=result.job,
            language=result.language,
            seconds=result.wall_seconds,
            prompt_tokens=sum(u.prompt_tokens for u in result.usage),
            completion_tokens=sum(u.completion_tokens for u in result.usage),
        )

    return observe


def install_metrics(app: FastAPI) -> None:
    """Count what the app serves and expose it at GET /metrics."""
    # The routes look the store up per request (a test may put another in): so does the scrape.
    metrics = ServerMetrics(lambda: app.state.store)
    app.state.metrics = metrics
    app.state.chat.observers.append(_observe_turn(metrics))
    app.add_middleware(RequestMetrics, metrics=metrics)

    @app.get(
        "/metrics",
        response_class=Response,
        tags=["service"],
        summary="Prometheus metrics (text exposition format)",
        responses={200: {"content": {"text/plain": {}}}},
    )
    def get_metrics() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
