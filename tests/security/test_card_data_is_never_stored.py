"""Card data is never stored beyond a gateway token, the brand and the last four digits: every
cell of every table is read after a card number reaches the shop through each interface (typed
into the chat, sent as agent checkout's payment data, given to the MCP tools)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import anyio
import pytest
from acp_bench import ship_to
from chat_bench import BUY_SPEAKER, Chat
from fastapi.testclient import TestClient
from mcp_bench import in_process, refused, token_for
from pydantic import SecretStr
from security_bench import CARD, OLIVIA, changed_tables, shop_state, stored_cells, where_stored
from sqlalchemy import inspect

from shopkeep.api import create_app
from shopkeep.logs import mask_card_numbers
from shopkeep.settings import AcpSettings, Settings
from shopkeep.store import Store, StoreError
from shopkeep.store.agent_checkout import (
    AgentCheckout,
    Buyer,
    PaymentToken,
    SessionChanges,
    SessionLine,
)
from shopkeep.store.customers import PaymentMethodInput
from shopkeep.store.models import PaymentSource

CARD_COLUMNS = re.compile(
    r"(^|_)(pan|card_?number|cvv|cvc|cvv2|security_code|expiry|expiration|exp_month|exp_year)($|_)"
)


def test_that_no_table_has_a_column_for_card_numbers_or_security_codes(shop: Store) -> None:
    schema = inspect(shop.db.engine)
    columns = {
        f"{table}.{column['name']}"
        for table in schema.get_table_names()
        for column in schema.get_columns(table)
    }
    assert not [c for c in columns if CARD_COLUMNS.search(c.split(".", 1)[1])]
    card_columns = {c.split(".", 1)[1] for c in columns if c.startswith("payment_methods.")}
    assert card_columns == {
        "id",
        "customer_id",
        "position",
        "source",
        "brand",
        "last_four",
        "token",
        "balance_minor",
        "currency",
    }


def test_that_the_demo_shops_cards_are_kept_as_a_token_and_the_last_four_digits(
    shop: Store,
) -> None:
    cards = [
        m
        for c in shop.customers.page(limit=1000)
        for m in c.payment_methods
        if m.source == PaymentSource.CREDIT_CARD
    ]
    assert cards
    for method in cards:
        assert method.last_four is not None and re.fullmatch(r"\d{4}", method.last_four)
    holding = {(t, c) for t, c, text in stored_cells(shop) if mask_card_numbers(text) != text}
    assert holding <= _NOT_CARDS, holding


_NOT_CARDS = {("customers", "phone"), ("knowledge_fts_data", "id")}
"""Columns whose long numbers are not card numbers: a phone number with its country code can
pass the card check, and so can the internal id of a segment of SQLite's full-text index."""


def test_that_a_card_number_typed_into_chat_is_kept_nowhere_after_a_checkout(
    shop: Store, tmp_path: Path
) -> None:
    chat = Chat.open(shop, tmp_path / "data")
    olivia = chat.browser()
    chat.sign_in(olivia, OLIVIA)
    conversation_id = chat.start(olivia)
    staged = chat.send(
        olivia, conversation_id, f"{BUY_SPEAKER}. My card is {CARD}, expiry 12/29, CVV 737."
    )
    assert staged["staged"]["action"] == "place_order"
    placed = chat.send(olivia, conversation_id, "yes")
    assert [e for e in placed["events"] if e["kind"] == "order_placed"]
    assert where_stored(shop, CARD) == []
    assert not [(t, c) for t, c, text in stored_cells(shop) if re.search(r"CVV\W{0,3}737", text)]


API_KEY = "a checkout key for the security suite"


def checkout(shop: Store, tmp_path: Path, token: str, notes: str | None = None) -> dict[str, Any]:
    """An agent's checkout of one speaker, paid with `token` as the payment credential."""
    client = TestClient(
        create_app(
            Settings(data_dir=tmp_path / "data"),
            store=shop,
            acp_settings=AcpSettings(api_key=SecretStr(API_KEY), webhook_poll_seconds=0),
        )
    )
    headers = {"Authorization": f"Bearer {API_KEY}", "API-Version": "2026-04-17"}

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = client.post(
            path, json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
        )
        document: dict[str, Any] = answer.json()
        return document

    opened = post(
        "/checkout_sessions",
        {
            "currency": "usd",
            "line_items": [{"id": "pebble-boom-black"}],
            "buyer": {"email": "ada.park@example.com", "first_name": "Ada", "last_name": "Park"},
            "fulfillment_details": ship_to(),
            **({"order_notes": notes} if notes else {}),
        },
    )
    payment = {
        "handler_id": "sandbox_card",
        "instrument": {"type": "card", "credential": {"type": "card", "token": token}},
    }
    return post(f"/checkout_sessions/{opened['id']}/complete", {"payment_data": payment})


def test_that_agent_checkout_keeps_the_payment_token_and_no_card_number(
    shop: Store, tmp_path: Path
) -> None:
    done = checkout(shop, tmp_path, "tok_visa_4242")
    assert done["status"] == "completed"
    assert "tok_visa_4242" not in str(done)  # the credential is not sent back
    stored = {f"{t}.{c}" for t, c, text in stored_cells(shop) if "tok_visa_4242" in text}
    assert stored <= {"payment_methods.token", "sandbox_gateway_records.method_ref"}, stored


def test_that_a_card_number_sent_as_agent_checkouts_payment_token_is_kept_nowhere(
    shop: Store, tmp_path: Path
) -> None:
    refused = checkout(shop, tmp_path, CARD)
    assert refused["type"] == "invalid_request", refused
    assert refused["param"] == "$.payment_data.instrument.credential.token", refused
    assert "never a card number" in refused["message"]
    assert CARD not in str(refused)
    assert where_stored(shop, CARD) == []


def test_that_the_store_refuses_a_card_number_as_agent_checkouts_token_before_changing_anything(
    shop: Store,
) -> None:
    # The API refuses it first; the store refuses it too, for any other caller.
    checkout = AgentCheckout(shop.ctx)
    opened = checkout.create(
        SessionChanges(
            lines=[SessionLine(variant_id="pebble-boom-black")],
            buyer=Buyer(email="ada.park@example.com", first_name="Ada", last_name="Park"),
        )
    )
    before = shop_state(shop)
    with pytest.raises(StoreError) as refused:
        checkout.complete(opened.id, PaymentToken(handler="sandbox_card", token=CARD))
    assert refused.value.code == "invalid_request"
    assert checkout.get(opened.id).status == opened.status
    assert changed_tables(before, shop_state(shop)) == []
    assert where_stored(shop, CARD) == []


def test_that_the_store_refuses_a_card_number_as_a_payment_methods_token(shop: Store) -> None:
    customer_id = shop.customers.find_by_email(OLIVIA)
    with pytest.raises(StoreError):
        shop.customers.add_payment_method(
            customer_id,
            PaymentMethodInput(
                id="credit_card_1111",
                source=PaymentSource.CREDIT_CARD,
                brand="visa",
                last_four="1111",
                token=CARD,
            ),
        )
    assert where_stored(shop, CARD) == []


def test_that_a_card_number_given_to_the_mcp_tools_is_refused_and_kept_nowhere(
    shop: Store,
) -> None:
    before = shop_state(shop)

    async def paying() -> list[dict[str, Any]]:
        async with in_process(shop, token_for(shop, OLIVIA)) as client:
            lines = [{"variant_id": "pebble-boom-black", "quantity": 1}]
            return [
                await refused(client, "place_order", payment_method_id=CARD, lines=lines),
                await refused(client, "quote_order", coupon_code=CARD, lines=lines),
            ]

    refusals = anyio.run(paying)
    assert [r["code"] for r in refusals] == ["payment_method_not_found", "coupon_not_found"]
    assert changed_tables(before, shop_state(shop)) == []
    assert where_stored(shop, CARD) == []
