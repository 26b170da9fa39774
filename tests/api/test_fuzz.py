"""A fuzz run of the whole HTTP API from its own OpenAPI document (schemathesis, in process, on
the demo shop): no request gets a server error, and every response is what the document says
its operation answers — a documented status, content type and body. The assistant behind the
chat routes runs on a scripted model here; the live streams (which run until the client
leaves) are left out."""

from __future__ import annotations

import itertools
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from acp_bench import API_KEY, EVAL_NOW
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shopkeep.agent.engine import Assistant
from shopkeep.agent.tools import IdentityPolicy
from shopkeep.api import create_app
from shopkeep.api.acp import AcpService
from shopkeep.api.chat import ChatService
from shopkeep.api.settings import AcpSettings
from shopkeep.llm import ModelGateway, ScriptedBackend
from shopkeep.settings import Settings
from shopkeep.store import Database, Store
from shopkeep.store.agent_checkout import Buyer, SessionChanges, SessionLine, ShipTo
from shopkeep.store.views import AddressInput

TAU2 = IdentityPolicy.tau2()
"""These tests verify guests by email or name + zip: tau2-bench's rule, chosen here."""


REAL_ITEMS = ["powercube-20k-graphite", "airbeat-pro-sage", "ceramide-cream-50ml"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class Aim:
    """Points every other generated request at real data — a fresh real session, real items —
    so the fuzzing reaches past 'not found' into the checkout itself."""

    def __init__(self, service: AcpService) -> None:
        self._service = service
        self._turn = itertools.count()

    def __call__(self, case: Any) -> None:
        turn = next(self._turn)
        if turn % 2:
            return
        if case.path_parameters and "checkout_session_id" in case.path_parameters:
            case.path_parameters["checkout_session_id"] = self._new_session()
        # generated keys repeat a lot ("0"): most repeats would only meet idempotency_conflict
        headers: Any = case.headers if case.headers is not None else {}
        headers["Idempotency-Key"] = str(uuid.uuid4())
        case.headers = headers
        body: Any = case.body
        if not isinstance(body, dict):
            return
        if "currency" in body:
            body["currency"] = "usd"
        if isinstance(body.get("payment_data"), dict):
            body["payment_data"]["handler_id"] = "sandbox_card"
        if isinstance(body.get("line_items"), list):
            for n, item in enumerate(body["line_items"]):
                if isinstance(item, dict):
                    item["id"] = REAL_ITEMS[(turn // 2 + n) % len(REAL_ITEMS)]

    def _new_session(self) -> str:
        address = AddressInput(address1="1 Main St", city="Springfield", country="US", zip="1")
        view = self._service.checkout.create(
            SessionChanges(
                lines=[SessionLine(variant_id=REAL_ITEMS[0], quantity=2)],
                buyer=Buyer(email="fuzz@example.com"),
                ship_to=ShipTo(name="Fuzz", address=address),
            )
        )
        return view.id


ACP = AcpSettings(api_key=SecretStr(API_KEY), webhook_poll_seconds=0)
# The document is read once, when the tests are collected: the app is made on an empty store
# here, and each test binds a copy of the demo shop into it (routes look it up per request).
UNUSED = Database(f"sqlite:///{tempfile.gettempdir()}/shopkeep-fuzz-never-opened.sqlite3")
APP = create_app(Settings(), store=Store(UNUSED), acp_settings=ACP)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).exclude(path_regex=r"/live$")


def _no_secret() -> bytes:
    raise AssertionError("webhooks are off in the fuzz run")


@pytest.fixture
def aim(demo_url: str) -> Iterator[Aim]:
    store = Store(Database(demo_url), clock=lambda: EVAL_NOW)
    empty, no_chat, no_store = APP.state.acp, APP.state.chat, APP.state.store
    APP.state.store = store
    APP.state.acp = AcpService.build(store, ACP, _no_secret)
    # Whatever it is asked, the scripted model picks small talk (the job model's only call).
    model = ScriptedBackend([lambda _request: '{"job": "smalltalk"}'] * 10_000)
    APP.state.chat = ChatService(
        store, Assistant(store, ModelGateway(model), identity=TAU2), Settings().web
    )
    yield Aim(APP.state.acp)
    APP.state.acp, APP.state.chat, APP.state.store = empty, no_chat, no_store
    store.close()


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_that_no_request_gets_a_server_error_or_an_answer_its_schema_does_not_describe(
    case: Any, aim: Aim
) -> None:
    aim(case)
    case.call_and_validate(headers={"Authorization": f"Bearer {API_KEY}"}, checks=CHECKS)
