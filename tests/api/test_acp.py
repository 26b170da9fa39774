"""Agent checkout over HTTP (Agentic Commerce Protocol 2026-04-17) on the seeded demo shop.
Every response is checked against the protocol's JSON schema by the `Agent` client."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from acp_bench import Api, Clock, Receiver, card, ship_to, tiny_shop
from sqlalchemy import func, select, update

from shopkeep.api.webhooks import SIGNATURE_HEADER, verify
from shopkeep.store import Database, Store
from shopkeep.store.models import (
    AgentCheckoutSession,
    Customer,
    IdempotencyKey,
    Order,
    SandboxGatewayRecord,
    Variant,
)

CHARGER = "powercube-20k-graphite"  # $49.00, electronics: no campaign applies
SOLD_OUT = "airbeat-pro-sage"  # stock 0
BUYER = {"email": "ada.park@example.com", "first_name": "Ada", "last_name": "Park"}


def count(store: Store, model: Any) -> int:
    with store.db.reading() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def charges(store: Store) -> int:
    with store.db.reading() as s:
        query = select(func.count()).where(SandboxGatewayRecord.operation == "charge")
        return s.scalar(query) or 0


def totals(session: dict[str, Any]) -> dict[str, int]:
    return {t["type"]: t["amount"] for t in session["totals"] if t["type"] != "discount"} | {
        "discount": sum(t["amount"] for t in session["totals"] if t["type"] == "discount")
    }


def messages(session: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    return [(m["type"], m.get("code"), m.get("param")) for m in session["messages"]]


def test_that_an_agent_buys_an_item_by_creating_updating_and_completing_a_session(
    shop: Store, api: Callable[..., Api]
) -> None:
    agent = api(shop).agent
    orders_before = count(shop, Order)

    created = agent.post(
        "/checkout_sessions",
        {"currency": "usd", "line_items": [{"id": CHARGER, "quantity": 2}], "capabilities": {}},
    )
    assert created.status_code == 201
    session = created.json()
    assert session["status"] == "not_ready_for_payment"
    assert session["line_items"][0]["quantity"] == 2
    assert session["line_items"][0]["item"] == {"id": CHARGER}
    assert totals(session)["items_base_amount"] == 9800
    assert ("error", "missing", "$.buyer.email") in messages(session)
    assert ("error", "missing", "$.fulfillment_details.address") in messages(session)

    updated = agent.post(
        f"/checkout_sessions/{session['id']}",
        {
            "buyer": BUYER,
            "fulfillment_details": ship_to(),
            "selected_fulfillment_options": [
                {"type": "shipping", "option_id": "standard", "item_ids": [CHARGER]}
            ],
        },
    )
    assert updated.status_code == 200
    ready = updated.json()
    assert ready["status"] == "ready_for_payment"
    assert ready["messages"] == []
    # $98.00 is over the free-shipping threshold
    assert totals(ready) == {
        "items_base_amount": 9800,
        "discount": 0,
        "subtotal": 9800,
        "fulfillment": 0,
        "total": 9800,
    }

    completed = agent.post(f"/checkout_sessions/{session['id']}/complete", {"payment_data": card()})
    assert completed.status_code == 200
    done = completed.json()
    assert done["status"] == "completed"
    order = done["order"]
    assert order["checkout_session_id"] == session["id"]
    assert order["status"] == "confirmed"
    assert order["line_items"][0]["quantity"] == {"ordered": 2, "current": 2, "fulfilled": 0}

    placed = shop.orders.get(shop.customers.find_by_email(BUYER["email"]), order["id"])
    assert placed.total.amount == 9800
    assert [i.variant_id for i in placed.items] == [CHARGER, CHARGER]
    assert placed.address is not None and placed.address.zip == "62701"
    assert count(shop, Order) == orders_before + 1

    again = agent.get(f"/checkout_sessions/{session['id']}")
    assert again.json()["status"] == "completed"
    assert again.json()["order"]["id"] == order["id"]


def test_that_an_item_without_a_quantity_is_bought_once(
    shop: Store, api: Callable[..., Api]
) -> None:
    agent = api(shop).agent
    session = agent.post(
        "/checkout_sessions",
        {"currency": "usd", "line_items": [{"id": CHARGER}], "buyer": BUYER},
    ).json()
    assert session["line_items"][0]["quantity"] == 1
    assert totals(session)["items_base_amount"] == 4900
    assert totals(session)["fulfillment"] == 599  # under $50: the standard fee


def test_that_a_new_email_buys_as_a_guest_customer_and_a_known_email_as_that_customer(
    shop: Store, api: Callable[..., Api]
) -> None:
    agent = api(shop).agent
    known = shop.customers.page(1)[0]
    bought: dict[str, str] = {}
    for email in ("someone.new@example.com", known.email.upper()):
        session = agent.post(
            "/checkout_sessions",
            {
                "currency": "USD",
                "line_items": [{"id": CHARGER}],
                "buyer": {"email": email, "first_name": "Sam", "last_name": "Lee"},
                "fulfillment_details": ship_to("Sam Lee"),
            },
        ).json()
        done = agent.post(
            f"/checkout_sessions/{session['id']}/complete", {"payment_data": card()}
        ).json()
        assert done["status"] == "completed"
        bought[email] = done["order"]["id"]

    guest_id = shop.customers.find_by_email("someone.new@example.com")
    guest = shop.customers.get(guest_id)
    assert (guest.first_name, guest.last_name) == ("Sam", "Lee")
    assert guest.default_address is not None and guest.default_address.city == "Springfield"
    assert shop.orders.get(guest_id, bought["someone.new@example.com"]).customer_id == guest_id
    assert shop.orders.get(known.id, bought[known.email.upper()]).customer_id == known.id


def test_that_a_declined_payment_keeps_the_session_open_with_a_message_and_places_no_order(
    shop: Store, api: Callable[..., Api]
) -> None:
    agent = api(shop).agent
    session = agent.post(
        "/checkout_sessions",
        {
            "currency": "usd",
            "line_items": [{"id": CHARGER}],
            "buyer": BUYER,
            "fulfillment_details": ship_to(),
        },
    ).json()
    orders = count(shop, Order)
    stock = shop.catalog.variant(CHARGER).stock

    declined = agent.post(
        f"/checkout_sessions/{session['id']}/complete",
        {"payment_data": card("tok_visa_decline_0002")},
    )
    assert declined.status_code == 200
    body = declined.json()
    assert body["status"] == "ready_for_payment"
    assert "order" not in body
    assert ("error", "payment_declined", "$.payment_data") in messages(body)
    assert body["messages"][0]["resolution"] == "requires_buyer_input"
    assert count(shop, Order) == orders
    assert shop.catalog.variant(CHARGER).stock == stock

    # another card, another request: it goes through, and the decline is forgotten
    paid = agent.post(f"/checkout_sessions/{session['id']}/complete", {"payment_data": card()})
    assert paid.json()["status"] == "completed"
    assert paid.json()["messages"] == []
    assert count(shop, Order) == orders + 1


def test_that_a_cancelled_session_can_no_longer_be_changed_completed_or_cancelled(
    shop: Store, api: Callable[..., Api]
) -> None:
    agent = api(shop).agent
    session = agent.post(
        "/checkout_sessions",
        {"currency": "usd", "line_items": [{"id": CHARGER}], "buyer": BUYER},
    ).json()
    cancelled = agent.post(
        f"/checkout_sessions/{session['id']}/cancel",
        {"intent_trace": {"reason_code": "shipping_cost", "trace_summary": "too dear"}},
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "canceled"

    path = f"/checkout_sessions/{session['id']}"
    for attempt in (
        agent.post(f"{path}/cancel"),
        agent.post(f"{path}/complete", {"payment_data": card()}),
        agent.post(path, {"buyer": BUYER}),
    ):
        assert attempt.status_code == 405
        assert attempt.json()["code"] == "checkout_session_closed"
    assert agent.get(path).json()["status"] == "canceled"


def test_that_a_completed_session_is_not_completed_again_under_a_new_key(
    shop: Store, api: Callable[..., Api]
) -> None:
    agent = api(shop).agent
    session = agent.post(
        "/checkout_sessions",
        {
            "currency": "usd",
            "line_items": [{"id": CHARGER}],
            "buyer": BUYER,
            "fulfillment_details": ship_to(),
        },
    ).json()
    path = f"/checkout_sessions/{session['id']}/complete"
    assert agent.post(path, {"payment_data": card()}).json()["status"] == "completed"
    orders, charged = count(shop, Order), charges(shop)

    again = agent.post(path, {"payment_data": card()})
    assert again.status_code == 405
    assert (count(shop, Order), charges(shop)) == (orders, charged)


def test_that_an_unknown_session_is_404_in_the_protocol_error_shape(
    shop: Store, api: Callable[..., Api]
) -> None:
    agent = api(shop).agent
    for response in (
        agent.get("/checkout_sessions/cs_00000000000000000000"),
        agent.post("/checkout_sessions/cs_nope", {"buyer": BUYER}),
        agent.post("/checkout_sessions/cs_nope/complete", {"payment_data": card()}),
        agent.post("/checkout_sessions/%00%ff/cancel"),
    ):
        assert response.status_code == 404
        assert response.json()["type"] == "invalid_request"
        assert response.json()["code"] == "checkout_session_not_found"


def test_that_malformed_or_invalid_requests_are_refused_and_store_nothing(
    shop: Store, api: Callable[..., Api]
) -> None:
    agent = api(shop).agent
    bad_json = agent.post("/checkout_sessions", content=b'{"currency": "usd", "line_items": [')
    assert bad_json.status_code == 400
    assert bad_json.json()["code"] == "invalid_json"

    no_items = agent.post("/checkout_sessions", {"currency": "usd"})
    assert no_items.status_code == 400
    assert no_items.json()["param"] == "$.line_items"

    zero = agent.post(
        "/checkout_sessions", {"currency": "usd", "line_items": [{"id": CHARGER, "quantity": 0}]}
    )
    assert zero.status_code == 400
    assert zero.json()["param"] == "$.line_items[0].quantity"

    unknown = agent.post(
        "/checkout_sessions",
        {"currency": "usd", "line_items": [{"id": CHARGER}, {"id": "no-such-item"}]},
    )
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "invalid_item_id"
    assert unknown.json()["param"] == "$.line_items[1].item.id"

    euro = agent.post("/checkout_sessions", {"currency": "eur", "line_items": [{"id": CHARGER}]})
    assert euro.status_code == 400
    assert euro.json()["param"] == "$.currency"

    assert count(shop, AgentCheckoutSession) == 0
    # the refusals the store made are kept for their keys; the unparsed bodies are not
    assert count(shop, IdempotencyKey) == 2


def test_that_requests_without_the_api_key_or_the_api_version_are_refused(
    shop: Store, api: Callable[..., Api]
) -> None:
    agent = api(shop).agent
    body = {"currency": "usd", "line_items": [{"id": CHARGER}]}

    unauthorised = agent.post("/checkout_sessions", body, headers={"Authorization": "Bearer no"})
    assert unauthorised.status_code == 401

    agent.headers.pop("API-Version")
    missing = agent.post("/checkout_sessions", body)
    assert missing.status_code == 400
    assert missing.json()["code"] == "missing_api_version"
    assert missing.json()["supported_versions"] == ["2026-04-17"]

    old = agent.post("/checkout_sessions", body, headers={"API-Version": "2025-09-29"})
    assert old.status_code == 400
    assert old.json()["code"] == "unsupported_api_version"
    assert count(shop, AgentCheckoutSession) == 0


def test_that_an_item_out_of_stock_is_reported_and_blocks_payment(
    shop: Store, api: Callable[..., Api]
) -> None:
    agent = api(shop).agent
    session = agent.post(
        "/checkout_sessions",
        {
            "currency": "usd",
            "line_items": [{"id": CHARGER}, {"id": SOLD_OUT}],
            "buyer": BUYER,
            "fulfillment_details": ship_to(),
        },
    ).json()
    assert session["status"] == "not_ready_for_payment"
    assert ("error", "out_of_stock", "$.line_items[1]") in messages(session)
    assert session["line_items"][1]["availability_status"] == "out_of_stock"
    orders, charged = count(shop, Order), charges(shop)

    refused = agent.post(f"/checkout_sessions/{session['id']}/complete", {"payment_data": card()})
    assert refused.json()["status"] == "not_ready_for_payment"
    assert (count(shop, Order), charges(shop)) == (orders, charged)

    fixed = agent.post(f"/checkout_sessions/{session['id']}", {"line_items": [{"id": CHARGER}]})
    assert fixed.json()["status"] == "ready_for_payment"


def test_that_a_discount_code_is_applied_and_one_the_shop_refuses_is_reported(
    shop: Store, api: Callable[..., Api]
) -> None:
    agent = api(shop).agent
    session = agent.post(
        "/checkout_sessions",
        {
            "currency": "usd",
            "line_items": [{"id": CHARGER, "quantity": 2}],
            "buyer": BUYER,
            "fulfillment_details": ship_to(),
            "discounts": {"codes": ["SPRING20", "save5"]},
        },
    ).json()
    assert totals(session)["discount"] == 500
    assert totals(session)["total"] == 9300
    assert session["discounts"]["applied"][0]["code"] == "SAVE5"
    assert session["discounts"]["applied"][0]["coupon"]["amount_off"] == 500
    assert session["discounts"]["rejected"] == [
        {
            "code": "SPRING20",
            "reason": "discount_code_expired",
            "message": session["discounts"]["rejected"][0]["message"],
        }
    ]
    assert ("warning", "discount_code_expired", "$.discounts.codes[0]") in messages(session)

    done = agent.post(f"/checkout_sessions/{session['id']}/complete", {"payment_data": card()})
    order = done.json()["order"]
    placed = shop.orders.get(shop.customers.find_by_email(BUYER["email"]), order["id"])
    assert (placed.coupon_code, placed.total.amount) == ("SAVE5", 9300)


def test_that_a_price_changed_since_it_was_shown_is_not_charged_without_review(
    shop: Store, api: Callable[..., Api]
) -> None:
    agent = api(shop).agent
    session = agent.post(
        "/checkout_sessions",
        {
            "currency": "usd",
            "line_items": [{"id": CHARGER}],
            "buyer": BUYER,
            "fulfillment_details": ship_to(),
        },
    ).json()
    with shop.db.transaction() as s:
        s.execute(update(Variant).where(Variant.id == CHARGER).values(price_minor=5900))
    charged = charges(shop)

    changed = agent.post(
        f"/checkout_sessions/{session['id']}/complete", {"payment_data": card()}
    ).json()
    assert changed["status"] == "ready_for_payment"
    assert ("warning", "price_change", "$.totals") in messages(changed)
    assert totals(changed)["total"] == 5900
    assert charges(shop) == charged

    # the new price has now been shown: completing again accepts it
    done = agent.post(f"/checkout_sessions/{session['id']}/complete", {"payment_data": card()})
    assert done.json()["status"] == "completed"
    assert totals(done.json())["total"] == 5900


def test_that_an_update_with_null_clears_a_field_and_leaving_it_out_keeps_it(
    shop: Store, api: Callable[..., Api]
) -> None:
    agent = api(shop).agent
    session = agent.post(
        "/checkout_sessions",
        {
            "currency": "usd",
            "line_items": [{"id": CHARGER}],
            "buyer": BUYER,
            "fulfillment_details": ship_to(),
        },
    ).json()
    path = f"/checkout_sessions/{session['id']}"
    kept = agent.post(path, {"line_items": [{"id": CHARGER, "quantity": 3}]}).json()
    assert kept["buyer"]["email"] == BUYER["email"]
    assert kept["line_items"][0]["quantity"] == 3
    cleared = agent.post(path, {"buyer": None}).json()
    assert "buyer" not in cleared
    assert cleared["status"] == "not_ready_for_payment"


def test_that_a_completed_order_is_sent_as_a_signed_webhook_and_retried_after_a_failure(
    shop: Store, api: Callable[..., Api], receiver: Receiver, clock: Clock
) -> None:
    secret = "whsec_test"
    app = api(shop, webhook_url=receiver.url, webhook_secret=secret)
    receiver.statuses = [500]  # the agent platform fails the first attempt
    session = app.agent.post(
        "/checkout_sessions",
        {
            "currency": "usd",
            "line_items": [{"id": CHARGER}],
            "buyer": BUYER,
            "fulfillment_details": ship_to(),
        },
    ).json()
    done = app.agent.post(f"/checkout_sessions/{session['id']}/complete", {"payment_data": card()})
    order_id = done.json()["order"]["id"]

    # sent right after the completion, and failed
    assert len(receiver.received) == 1
    [first] = shop_deliveries(app, order_id)
    assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
    assert app.service.sender.deliver_due() == 0  # not due before its backoff

    clock.advance(seconds=2)
    assert app.service.sender.deliver_due() == 1
    [delivered] = shop_deliveries(app, order_id)
    assert (delivered.status, delivered.attempts) == ("delivered", 2)

    now = int(clock.now.timestamp())
    assert receiver.received[0].body == receiver.received[1].body
    for sent in receiver.received:
        header = sent.headers[SIGNATURE_HEADER]
        assert verify(secret.encode(), header, sent.body, now=now)
        assert not verify(b"another secret", header, sent.body, now=now)
        assert not verify(secret.encode(), header, sent.body + b" ", now=now)
    event = json.loads(receiver.received[0].body)
    assert event["type"] == "order_create"
    assert event["data"]["id"] == order_id
    assert event["data"]["checkout_session_id"] == session["id"]
    app.agent.spec.validate(event["data"], "Order")


def test_that_order_changes_after_completion_are_sent_as_order_updates(
    shop: Store, api: Callable[..., Api], receiver: Receiver
) -> None:
    app = api(shop, webhook_url=receiver.url, webhook_secret="whsec_test")
    session = app.agent.post(
        "/checkout_sessions",
        {
            "currency": "usd",
            "line_items": [{"id": CHARGER}],
            "buyer": BUYER,
            "fulfillment_details": ship_to(),
        },
    ).json()
    done = app.agent.post(f"/checkout_sessions/{session['id']}/complete", {"payment_data": card()})
    order_id = done.json()["order"]["id"]
    assert app.service.sender.deliver_due() == 0  # nothing new since order_create

    shop.fulfilment.ship(order_id, tracking_ids=["1Z999"], carrier="UPS")
    assert app.service.sender.deliver_due() == 1
    assert app.service.sender.deliver_due() == 0  # told once

    event = json.loads(receiver.received[-1].body)
    assert event["type"] == "order_update"
    assert event["data"]["status"] == "shipped"
    assert event["data"]["fulfillments"][0]["tracking_number"] == "1Z999"
    app.agent.spec.validate(event["data"], "Order")
    assert [d.event for d in shop_deliveries(app, order_id)] == ["order_create", "order_update"]


def test_that_the_openapi_document_and_the_health_check_are_served(
    shop: Store, api: Callable[..., Api]
) -> None:
    client = api(shop).agent.client
    assert client.get("/health").json() == {"status": "ok"}
    document = client.get("/openapi.json").json()
    assert {"/checkout_sessions", "/checkout_sessions/{checkout_session_id}/complete"} <= set(
        document["paths"]
    )
    parameters = document["paths"]["/checkout_sessions"]["post"]["parameters"]
    assert {"API-Version", "Idempotency-Key"} <= {p["name"] for p in parameters}
    assert client.get("/docs").status_code == 200
    assert count(shop, Customer) > 0


def shop_deliveries(app: Api, order_id: str) -> list[Any]:
    deliveries: list[Any] = app.service.checkout.deliveries(order_id)
    return deliveries


def test_that_a_purchase_and_its_order_events_work_on_sqlite_and_postgresql(
    db: Database, clock: Clock, api: Callable[..., Api], receiver: Receiver
) -> None:
    app = api(tiny_shop(db, clock), webhook_url=receiver.url, webhook_secret="s")
    receiver.statuses = [503]
    session = app.agent.post(
        "/checkout_sessions",
        {
            "currency": "usd",
            "line_items": [{"id": "mug-blue", "quantity": 3}],
            "buyer": BUYER,
            "fulfillment_details": ship_to(),
        },
    ).json()
    assert totals(session)["total"] == 3600 + 599
    done = app.agent.post(f"/checkout_sessions/{session['id']}/complete", {"payment_data": card()})
    order_id = done.json()["order"]["id"]
    clock.advance(seconds=2)
    app.store.fulfilment.ship(order_id, tracking_ids=["T1"])
    assert app.service.sender.deliver_due() == 2  # the retried create, and the update
    assert [(d.event, d.status) for d in shop_deliveries(app, order_id)] == [
        ("order_create", "delivered"),
        ("order_update", "delivered"),
    ]
    assert app.store.catalog.variant("mug-blue").stock == 7
