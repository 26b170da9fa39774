"""Idempotency-Key on the checkout API, on SQLite and on PostgreSQL: replays, conflicts, requests
in flight, missing keys and the keys' 24 hours."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import pytest
from acp_bench import Api, Clock, card, ship_to, tiny_shop
from sqlalchemy import func, select

from shopkeep.store import Database, Money, Store
from shopkeep.store.agent_checkout import RequestKeys
from shopkeep.store.errors import IdempotencyKeyInFlight
from shopkeep.store.models import AgentCheckoutSession, IdempotencyKey, Order, SandboxGatewayRecord
from shopkeep.store.payments import GatewayResult, SandboxGateway

BUYER = {"email": "kim@example.com", "first_name": "Min", "last_name": "Kim"}
MUG = {"currency": "usd", "line_items": [{"id": "mug-blue", "quantity": 2}], "capabilities": {}}


def count(store: Store, model: Any) -> int:
    with store.db.reading() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def charges(store: Store) -> int:
    with store.db.reading() as s:
        query = select(func.count()).where(SandboxGatewayRecord.operation == "charge")
        return s.scalar(query) or 0


def ready_session(app: Api) -> str:
    body = {**MUG, "buyer": BUYER, "fulfillment_details": ship_to()}
    session = app.agent.post("/checkout_sessions", body).json()
    assert session["status"] == "ready_for_payment"
    return str(session["id"])


def test_that_a_replayed_complete_returns_the_original_response_and_charges_once(
    db: Database, clock: Clock, api: Callable[..., Api]
) -> None:
    app = api(tiny_shop(db, clock))
    path = f"/checkout_sessions/{ready_session(app)}/complete"

    first = app.agent.post(path, {"payment_data": card()}, key="complete-1")
    assert first.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    assert first.headers["Idempotency-Key"] == "complete-1"

    # the same body with its keys in another order is the same request
    reordered = {"payment_data": dict(reversed(list(card().items())))}
    replay = app.agent.post(path, reordered, key="complete-1")
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert (count(app.store, Order), charges(app.store)) == (1, 1)


def test_that_a_replayed_create_returns_the_same_session_and_opens_no_other(
    db: Database, clock: Clock, api: Callable[..., Api]
) -> None:
    app = api(tiny_shop(db, clock))
    first = app.agent.post("/checkout_sessions", MUG, key="create-1")
    replay = app.agent.post("/checkout_sessions", MUG, key="create-1")
    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert count(app.store, AgentCheckoutSession) == 1


def test_that_a_key_reused_with_another_body_is_refused_with_422(
    db: Database, clock: Clock, api: Callable[..., Api]
) -> None:
    app = api(tiny_shop(db, clock))
    app.agent.post("/checkout_sessions", MUG, key="create-1")
    other = {**MUG, "line_items": [{"id": "mug-blue", "quantity": 3}]}
    conflict = app.agent.post("/checkout_sessions", other, key="create-1")
    assert conflict.status_code == 422
    assert conflict.json()["code"] == "idempotency_conflict"
    # null is not the same as absent
    with_null = app.agent.post("/checkout_sessions", {**MUG, "buyer": None}, key="create-1")
    assert with_null.status_code == 422
    assert count(app.store, AgentCheckoutSession) == 1


def test_that_a_post_without_an_idempotency_key_is_refused_with_400_and_changes_nothing(
    db: Database, clock: Clock, api: Callable[..., Api]
) -> None:
    app = api(tiny_shop(db, clock))
    session_id = ready_session(app)
    for path, body in (
        ("/checkout_sessions", MUG),
        (f"/checkout_sessions/{session_id}", {"buyer": None}),
        (f"/checkout_sessions/{session_id}/complete", {"payment_data": card()}),
        (f"/checkout_sessions/{session_id}/cancel", {}),
    ):
        refused = app.agent.post(path, body, key=None)
        assert refused.status_code == 400
        assert refused.json()["code"] == "idempotency_key_required"
    assert app.agent.get(f"/checkout_sessions/{session_id}").json()["status"] == (
        "ready_for_payment"
    )
    assert (count(app.store, AgentCheckoutSession), count(app.store, Order)) == (1, 0)


class HeldGateway:
    """The sandbox gateway, but each charge waits until the test lets it go."""

    name = "held sandbox"

    def __init__(self, inner: SandboxGateway) -> None:
        self.inner = inner
        self.charging = threading.Event()
        self.go = threading.Event()

    def charge(self, *, key: str, method_ref: str, amount: Money) -> GatewayResult:
        self.charging.set()
        self.go.wait()
        return self.inner.charge(key=key, method_ref=method_ref, amount=amount)

    def refund(self, *, key: str, method_ref: str, amount: Money) -> GatewayResult:
        return self.inner.refund(key=key, method_ref=method_ref, amount=amount)

    def lookup(self, key: str) -> GatewayResult | None:
        return self.inner.lookup(key)


def test_that_a_repeat_while_the_first_request_is_in_flight_gets_409_and_one_charge(
    db: Database, clock: Clock, api: Callable[..., Api]
) -> None:
    gateway = HeldGateway(SandboxGateway(db, clock))
    app = api(tiny_shop(db, clock, gateway))
    path = f"/checkout_sessions/{ready_session(app)}/complete"
    body = {"payment_data": card()}
    answers: list[httpx.Response] = []
    first = threading.Thread(target=lambda: answers.append(app.agent.post(path, body, key="k1")))
    first.start()
    gateway.charging.wait()

    in_flight = app.agent.post(path, body, key="k1")
    assert in_flight.status_code == 409
    assert in_flight.json()["code"] == "idempotency_in_flight"
    assert int(in_flight.headers["Retry-After"]) >= 1
    other_body = app.agent.post(path, {"payment_data": card("tok_other")}, key="k1")
    assert other_body.status_code == 422

    gateway.go.set()
    first.join()
    [done] = answers
    assert done.status_code == 200
    assert done.json()["status"] == "completed"
    replay = app.agent.post(path, body, key="k1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == done.json()
    assert (count(app.store, Order), charges(app.store)) == (1, 1)


def test_that_keys_are_kept_24_hours_and_then_purged(
    db: Database, clock: Clock, api: Callable[..., Api]
) -> None:
    app = api(tiny_shop(db, clock))
    first = app.agent.post("/checkout_sessions", MUG, key="old-key")

    clock.advance(hours=23)
    replay = app.agent.post("/checkout_sessions", MUG, key="old-key")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]

    clock.advance(hours=1, seconds=1)
    app.agent.post("/checkout_sessions", MUG, key="new-key")  # any POST purges expired keys
    with app.store.db.reading() as s:
        assert list(s.scalars(select(IdempotencyKey.key))) == ["new-key"]
    reused = app.agent.post(
        "/checkout_sessions", {**MUG, "line_items": [{"id": "mug-blue"}]}, key="old-key"
    )
    assert reused.status_code == 201
    assert "Idempotent-Replayed" not in reused.headers
    assert count(app.store, AgentCheckoutSession) == 3


def test_that_a_key_is_its_endpoints_own(
    db: Database, clock: Clock, api: Callable[..., Api]
) -> None:
    app = api(tiny_shop(db, clock))
    session_id = ready_session(app)
    app.agent.post("/checkout_sessions", MUG, key="shared")
    update = app.agent.post(f"/checkout_sessions/{session_id}", {"order_notes": "hi"}, key="shared")
    assert update.status_code == 200
    assert "Idempotent-Replayed" not in update.headers


def test_that_a_key_whose_request_outlived_its_lease_can_be_run_again(
    db: Database, clock: Clock
) -> None:
    keys = RequestKeys(tiny_shop(db, clock).ctx, lease=timedelta(seconds=60))
    held = keys.claim("scope", "k", "body")
    assert held.holder is not None
    with pytest.raises(IdempotencyKeyInFlight):
        keys.claim("scope", "k", "body")

    clock.advance(seconds=61)  # its worker is taken to have died
    again = keys.claim("scope", "k", "body")
    assert again.holder not in (None, held.holder)
    keys.finish("scope", "k", held.holder, 200, "{}")  # the dead one's late answer is ignored
    keys.finish("scope", "k", again.holder or "", 201, '{"id": "x"}')
    assert keys.claim("scope", "k", "body").body == '{"id": "x"}'
