"""The store's MCP server, driven by the MCP SDK's own client: in process, over stdio (the server
started as a client starts it) and over streamable HTTP.

The fixtures are here, not in a conftest.py: other test folders import their conftest by the
bare name `conftest`, which a conftest.py here would shadow when both folders are collected."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client.session import ClientRequestContext
from mcp.shared.exceptions import MCPError
from mcp_bench import (
    KEY,
    MCP,
    NOAH,
    OLIVIA,
    SECRET,
    HttpServer,
    ToolClient,
    charges_for,
    in_process,
    ok,
    order_in,
    orders_of,
    over_http,
    over_stdio,
    refused,
    tampered,
    token_for,
)
from mcp_types import ElicitRequestParams, ElicitResult, ErrorData
from typer.testing import CliRunner

from shopkeep.cli.mcp import app as mcp_command
from shopkeep.mcp import TokenRefused, issue_token, read_token
from shopkeep.mcp.sessions import CHANNEL, conversation_id
from shopkeep.store import Database, Store
from shopkeep.store.demo import seed_demo
from shopkeep.store.policy import StorePolicy

# --- the bench: a copy of the demo shop per test, seeded once per session at the real time (the
# servers the tests start run on the real clock), and the servers themselves ---------------------


@pytest.fixture(scope="session")
def mcp_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mcp-demo") / "demo.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    seed_demo(db, now=datetime.now(UTC))
    db.dispose()
    return path


@pytest.fixture
def shop_url(mcp_demo: Path, tmp_path: Path) -> str:
    path = tmp_path / "shop.sqlite3"
    shutil.copy(mcp_demo, path)
    return f"sqlite:///{path}"


@pytest.fixture
def store(shop_url: str) -> Iterator[Store]:
    shop = Store(Database(shop_url))
    yield shop
    shop.close()


@pytest.fixture
def server_env(shop_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a server process on the test's shop."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPKEEP_")}
    env.update(
        SHOPKEEP_DATABASE_URL=shop_url,
        SHOPKEEP_SECRET_KEY=SECRET,
        SHOPKEEP_DATA_DIR=str(tmp_path / "data"),
    )
    return env


@pytest.fixture
def http_server(server_env: dict[str, str], tmp_path: Path) -> Iterator[HttpServer]:
    """`shopkeep mcp --transport http` on a free loopback port, ready to take requests."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [*MCP, "--transport", "http", "--port", str(port)],
            env=server_env,
            stdout=subprocess.DEVNULL,
            stderr=out,
            text=True,
        )
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited: {log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                time.sleep(0.1)
        yield HttpServer(f"http://127.0.0.1:{port}/mcp", process)
    finally:
        process.terminate()
        process.wait()


READS = {
    "search_catalog",
    "search_shop_knowledge",
    "get_product",
    "get_account",
    "get_cart",
    "quote_order",
    "list_orders",
    "get_order",
}
STAGED = {
    "place_order",
    "cancel_order",
    "change_address",
    "change_payment_method",
    "change_items",
    "request_return",
    "request_exchange",
}


async def buy_headphones(client: ToolClient) -> dict[str, Any]:
    """Search, read the product, price it, stage the order: what an agent does before asking."""
    found = await ok(client, "search_catalog", query="noise cancelling headphones")
    product_id = found["products"][0]["product"]["id"]
    product = await ok(client, "get_product", product_id=product_id)
    variant = next(v for v in product["variants"] if v["available"] and (v["stock"] or 0) > 0)
    account = await ok(client, "get_account")
    card = next(m["id"] for m in account["payment_methods"] if m["source"] == "credit_card")
    lines = [{"variant_id": variant["id"], "quantity": 1}]
    quote = await ok(client, "quote_order", lines=lines)
    staged = await ok(client, "place_order", payment_method_id=card, lines=lines)
    assert staged["charge"] == quote["total"] == staged["quote"]["total"]
    assert quote["total"]["amount"] >= variant["price"]["amount"]
    return staged


# --- listing ------------------------------------------------------------------------------------


def test_that_the_tools_are_listed_with_input_and_output_schemas_and_hints(
    server_env: dict[str, str],
) -> None:
    async def listing() -> list[dict[str, Any]]:
        async with over_stdio(server_env, None) as session:
            tools = (await session.list_tools()).tools
            return [t.model_dump(by_alias=True, mode="json", exclude_none=True) for t in tools]

    tools = {t["name"]: t for t in anyio.run(listing)}
    assert READS | STAGED | {"add_to_cart", "remove_from_cart", "confirm", "discard"} <= set(tools)
    for name, tool in tools.items():
        assert tool["inputSchema"]["type"] == "object", name
        assert tool["outputSchema"]["type"] == "object", name
        assert tool["description"], name
    for name in READS:
        assert tools[name]["annotations"]["readOnlyHint"] is True, name
    for name in STAGED:
        hints = tools[name]["annotations"]
        assert hints["readOnlyHint"] is False and hints["destructiveHint"] is False, name
        assert "confirmation_id" in tools[name]["outputSchema"]["properties"], name
    confirm = tools["confirm"]
    assert confirm["annotations"]["destructiveHint"] is True
    assert confirm["annotations"]["idempotentHint"] is True
    assert list(confirm["inputSchema"]["properties"]) == ["confirmation_id"]
    assert "lines" in tools["place_order"]["inputSchema"]["properties"]


# --- buying -------------------------------------------------------------------------------------


def test_that_an_agent_buys_over_stdio_and_the_order_exists_once_paid_once(
    store: Store, server_env: dict[str, str]
) -> None:
    before = set(orders_of(store, OLIVIA))

    async def shopping() -> tuple[dict[str, Any], set[str], dict[str, Any], dict[str, Any]]:
        async with over_stdio(server_env, token_for(store, OLIVIA)) as client:
            staged = await buy_headphones(client)
            while_staged = set(orders_of(store, OLIVIA))
            done = await ok(client, "confirm", confirmation_id=staged["confirmation_id"])
            again = await ok(client, "confirm", confirmation_id=staged["confirmation_id"])
            return staged, while_staged, done, again

    staged, while_staged, done, again = anyio.run(shopping)
    assert while_staged == before  # staging ordered nothing
    order = done["order"]
    assert set(orders_of(store, OLIVIA)) - before == {order["id"]}
    assert order["status"] == "pending" and order["total"] == staged["charge"]
    assert not done["replayed"]
    assert again["replayed"] and again["order"]["id"] == order["id"]
    assert charges_for(store, order["id"]) == 1
    paid = [t for t in order["transactions"] if t["kind"] == "payment"]
    assert [t["amount"] for t in paid] == [staged["charge"]]


def test_that_a_confirmed_purchase_is_logged_as_the_tokens_mcp_conversation(store: Store) -> None:
    token = token_for(store, OLIVIA)

    async def shopping() -> dict[str, Any]:
        async with in_process(store, token) as client:
            staged = await buy_headphones(client)
            return await ok(client, "confirm", confirmation_id=staged["confirmation_id"])

    done = anyio.run(shopping)
    log = store.conversations.get(conversation_id(read_token(KEY, token, now=datetime.now(UTC))))
    assert log.channel == CHANNEL and log.customer_id == store.customers.find_by_email(OLIVIA)
    assert log.order_ids == [done["order"]["id"]]
    assert log.state["staged"] is None
    kinds = [e["kind"] for m in store.conversations.messages(log.id) for e in m.events]
    assert kinds == ["staged", "committed"]


def test_that_a_customer_who_declines_through_elicitation_gets_nothing(store: Store) -> None:
    asked: list[str] = []

    async def no(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"approve": False})

    before = set(orders_of(store, OLIVIA))

    async def shopping() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        async with in_process(store, token_for(store, OLIVIA), elicitation=no) as client:
            staged = await buy_headphones(client)
            declined = await refused(client, "confirm", confirmation_id=staged["confirmation_id"])
            gone = await refused(client, "confirm", confirmation_id=staged["confirmation_id"])
            return staged, declined, gone

    staged, declined, gone = anyio.run(shopping)
    assert declined["code"] == "confirmation_declined"
    assert gone["code"] == "confirmation_not_found"
    assert len(asked) == 1 and staged["summary"] in asked[0]
    assert set(orders_of(store, OLIVIA)) == before


def test_that_a_customer_who_approves_through_elicitation_gets_the_order_over_stdio(
    store: Store, server_env: dict[str, str]
) -> None:
    asked: list[str] = []

    async def yes(
        context: ClientRequestContext, params: ElicitRequestParams
    ) -> ElicitResult | ErrorData:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"approve": True})

    async def shopping() -> tuple[dict[str, Any], dict[str, Any]]:
        token = token_for(store, OLIVIA)
        async with over_stdio(server_env, token, elicitation=yes) as client:
            staged = await buy_headphones(client)
            return staged, await ok(client, "confirm", confirmation_id=staged["confirmation_id"])

    staged, done = anyio.run(shopping)
    assert len(asked) == 1 and staged["summary"] in asked[0]
    assert done["order"]["total"] == staged["charge"]
    assert charges_for(store, done["order"]["id"]) == 1


def test_that_a_pending_confirmation_survives_a_restart_of_the_server(store: Store) -> None:
    token = token_for(store, NOAH)
    pending = order_in(store, NOAH, "pending")

    async def stage() -> dict[str, Any]:
        async with in_process(store, token) as client:
            return await ok(client, "cancel_order", order_id=pending, reason="no longer needed")

    async def confirm(confirmation_id: str) -> dict[str, Any]:
        async with in_process(store, token) as client:  # a new server: nothing in memory
            return await ok(client, "confirm", confirmation_id=confirmation_id)

    staged = anyio.run(stage)
    done = anyio.run(confirm, staged["confirmation_id"])
    assert done["order"]["id"] == pending and done["order"]["status"] == "cancelled"


# --- the customer's orders ----------------------------------------------------------------------


def test_that_cancelling_changes_nothing_until_confirmed_and_refunds_once(store: Store) -> None:
    noah = store.customers.find_by_email(NOAH)
    pending = order_in(store, NOAH, "pending")
    total = store.orders.get(noah, pending).total

    async def cancelling() -> tuple[dict[str, Any], str, dict[str, Any], dict[str, Any]]:
        async with in_process(store, token_for(store, NOAH)) as client:
            # Agents drop the '#'; the order is found all the same.
            staged = await ok(
                client, "cancel_order", order_id=pending[1:], reason="no longer needed"
            )
            status = store.orders.get(noah, pending).status
            done = await ok(client, "confirm", confirmation_id=staged["confirmation_id"])
            again = await ok(client, "confirm", confirmation_id=staged["confirmation_id"])
            return staged, status, done, again

    staged, while_staged, done, again = anyio.run(cancelling)
    assert staged["refund"] == {"amount": total.amount, "currency": total.currency}
    assert pending in staged["summary"] and total.display() in staged["summary"]
    assert while_staged == "pending"
    assert done["order"]["status"] == "cancelled" and again["replayed"]
    order = store.orders.get(noah, pending)
    refunds = [t for t in order.transactions if t.kind == "refund"]
    assert sum(t.amount.amount for t in refunds) == total.amount
    assert len(refunds) == len(done["order"]["transactions"]) - 1  # one refund per payment


def test_that_another_customers_order_is_not_found_and_cancelling_it_changes_nothing(
    store: Store,
) -> None:
    noah = store.customers.find_by_email(NOAH)
    theirs = order_in(store, NOAH, "pending")
    before = store.orders.get(noah, theirs)

    async def prying() -> list[dict[str, Any]]:
        async with in_process(store, token_for(store, OLIVIA)) as client:
            return [
                await refused(client, "get_order", order_id=theirs),
                await refused(client, "cancel_order", order_id=theirs, reason="no longer needed"),
                await refused(client, "get_order", order_id="#W0000000"),
                await ok(client, "list_orders"),
            ]

    got, cancel, missing, listed = anyio.run(prying)
    assert got["code"] == cancel["code"] == missing["code"] == "order_not_found"
    # Exactly like an order that does not exist: nothing tells that it does.
    assert got["message"].replace(theirs, "?") == missing["message"].replace("#W0000000", "?")
    assert theirs not in {o["id"] for o in listed["orders"]}
    assert store.orders.get(noah, theirs) == before


def test_that_a_confirmation_staged_for_one_customer_cannot_be_confirmed_by_another(
    store: Store,
) -> None:
    before = set(orders_of(store, OLIVIA))

    async def stealing() -> dict[str, Any]:
        async with in_process(store, token_for(store, OLIVIA)) as olivia:
            staged = await buy_headphones(olivia)
        async with in_process(store, token_for(store, NOAH)) as noah:
            return await refused(noah, "confirm", confirmation_id=staged["confirmation_id"])

    assert anyio.run(stealing)["code"] == "confirmation_not_found"
    assert set(orders_of(store, OLIVIA)) == before


def test_that_a_return_is_staged_with_its_refund_and_requested_on_confirm(store: Store) -> None:
    noah = store.customers.find_by_email(NOAH)
    delivered = next(
        store.orders.get(noah, o.id)
        for o in store.orders.history(noah)
        if o.status == "delivered" and store.orders.get(noah, o.id).payment_method_id
    )
    item = delivered.items[0]
    assert item.variant_id is not None and delivered.payment_method_id is not None

    async def returning() -> tuple[dict[str, Any], dict[str, Any]]:
        async with in_process(store, token_for(store, NOAH)) as client:
            staged = await ok(
                client,
                "request_return",
                order_id=delivered.id,
                item_ids=[item.variant_id],
                refund_method_id=delivered.payment_method_id,
            )
            return staged, await ok(client, "confirm", confirmation_id=staged["confirmation_id"])

    staged, done = anyio.run(returning)
    refund = item.unit_price.amount - item.discount.amount
    assert staged["refund"]["amount"] == refund
    assert done["order"]["status"] == "return requested"
    assert done["order"]["return_request"]["refund"]["amount"] == refund


def test_that_changes_and_exchanges_are_staged_checked_early_and_done_on_confirm(
    store: Store,
) -> None:
    noah = store.customers.find_by_email(NOAH)
    pending = store.orders.get(noah, order_in(store, NOAH, "pending"))
    gift_card = next(m for m in store.customers.get(noah).payment_methods if m.balance)
    assert gift_card.balance is not None and gift_card.balance.amount < pending.total.amount
    # A delivered item with another variant of its product in stock, to exchange it for.
    delivered, item, other = next(
        (order, unit, variant.id)
        for summary in store.orders.history(noah, status="delivered")
        for order in [store.orders.get(noah, summary.id)]
        for unit in order.items
        if unit.product_id is not None
        for variant in store.catalog.product(unit.product_id).variants
        if variant.id != unit.variant_id and variant.in_stock
    )
    new_address = {
        "address1": "1 Test Way",
        "city": "Springfield",
        "country": "USA",
        "state": "IL",
        "zip": "62701",
    }

    async def changing() -> list[dict[str, Any]]:
        async with in_process(store, token_for(store, NOAH)) as client:
            short = await refused(
                client,
                "change_payment_method",
                order_id=pending.id,
                payment_method_id=gift_card.id,
            )
            moved = await ok(client, "change_address", order_id=pending.id, address=new_address)
            moved_done = await ok(client, "confirm", confirmation_id=moved["confirmation_id"])
            swap = await ok(
                client,
                "request_exchange",
                order_id=delivered.id,
                item_ids=[item.variant_id],
                new_item_ids=[other],
                payment_method_id=delivered.payment_method_id,
            )
            swap_done = await ok(client, "confirm", confirmation_id=swap["confirmation_id"])
            return [short, moved, moved_done, swap, swap_done]

    short, moved, moved_done, swap, swap_done = anyio.run(changing)
    assert short["code"] == "insufficient_gift_card_balance"
    assert "1 Test Way" in moved["summary"]
    assert moved_done["order"]["address"]["address1"] == "1 Test Way"
    assert swap["summary"].startswith(f"Exchange items of order {delivered.id}:")
    assert swap_done["order"]["status"] == "exchange requested"
    assert swap_done["order"]["exchange_request"]["new_item_ids"] == [other]


def test_that_the_cart_takes_items_and_an_order_of_the_cart_buys_what_was_shown(
    store: Store,
) -> None:
    async def shopping() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        async with in_process(store, token_for(store, OLIVIA)) as client:
            found = await ok(client, "search_catalog", query="headphones", in_stock_only=True)
            variant = found["products"][0]["matching_variants"][0]["id"]
            cart = await ok(client, "add_to_cart", variant_id=variant, quantity=2)
            account = await ok(client, "get_account")
            card = next(m["id"] for m in account["payment_methods"] if m["source"] == "credit_card")
            staged = await ok(client, "place_order", payment_method_id=card)
            # A change to the cart after the summary was shown does not change the order.
            await ok(client, "remove_from_cart", variant_id=variant)
            done = await ok(client, "confirm", confirmation_id=staged["confirmation_id"])
            return cart, staged, done

    cart, staged, done = anyio.run(shopping)
    assert cart["lines"][0]["quantity"] == 2
    assert [line["quantity"] for line in staged["quote"]["lines"]] == [2]
    assert len(done["order"]["items"]) == 2 and done["order"]["total"] == staged["charge"]


# --- guests, tokens and refusals ----------------------------------------------------------------


def test_that_without_a_token_only_the_catalog_answers(store: Store) -> None:
    async def browsing() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        async with in_process(store, None) as client:
            found = await ok(client, "search_catalog", query="tea")
            refusals = [
                await refused(client, "get_account"),
                await refused(client, "get_cart"),
                await refused(client, "list_orders"),
                await refused(client, "get_order", order_id="#W0000000"),
                await refused(client, "add_to_cart", variant_id="x"),
                await refused(client, "place_order", payment_method_id="x"),
                await refused(
                    client, "cancel_order", order_id="#W0000000", reason="no longer needed"
                ),
                await refused(client, "confirm", confirmation_id="x"),
            ]
            return found, refusals

    found, refusals = anyio.run(browsing)
    assert found["products"]
    assert {r["code"] for r in refusals} == {"authentication_required"}


def test_that_an_agent_without_a_token_reads_the_shops_policy_and_documents(store: Store) -> None:
    async def asking() -> dict[str, Any]:
        async with in_process(store, None) as client:
            return await ok(client, "search_shop_knowledge", question="do you ship to Jeju?")

    found = anyio.run(asking)
    assert found["policy"]["return_window_days"] == store.ctx.policy.return_window_days
    assert found["passages"] and "Jeju" in found["passages"][0]["text"]
    assert found["passages"][0]["title"] and found["passages"][0]["score"] > 0


def test_that_store_refusals_are_tool_errors_with_their_code_and_never_a_traceback(
    store: Store,
) -> None:
    async def asking() -> list[Any]:
        async with in_process(store, token_for(store, OLIVIA)) as client:
            return [
                await client.call_tool("get_product", {"product_id": "no-such-thing"}),
                await client.call_tool("quote_order", {"lines": [{"variant_id": "nope"}]}),
                await client.call_tool(
                    "cancel_order", {"order_id": "#W1", "reason": "no longer needed"}
                ),
            ]

    missing, unknown, wrong = anyio.run(asking)
    assert missing.is_error and missing.structured_content["code"] == "product_not_found"
    assert missing.content[0].text.startswith("product_not_found: ")
    assert unknown.structured_content["code"] == "variant_not_found"
    assert wrong.structured_content["code"] == "order_not_found"
    for result in (missing, unknown, wrong):
        assert "Traceback" not in result.content[0].text


def test_that_arguments_that_do_not_fit_the_schema_are_refused_naming_each_field(
    store: Store,
) -> None:
    async def asking() -> list[Any]:
        async with in_process(store, token_for(store, OLIVIA)) as client:
            return [
                await client.call_tool("search_catalog", {"query": 3, "limit": 50}),
                await client.call_tool(
                    "place_order",
                    {"lines": [{"variant_id": "x", "quantity": "two"}], "address_id": "home"},
                ),
                await client.call_tool("get_order", {}),
                await client.call_tool("no_such_tool", {}),
            ]

    search, order, missing, unknown = anyio.run(asking)
    for result in (search, order, missing, unknown):
        assert result.is_error and result.structured_content is not None
        refusal = result.structured_content
        assert result.content[0].text == f"{refusal['code']}: {refusal['message']}"
        assert "pydantic" not in result.content[0].text
    assert search.structured_content["code"] == "invalid_arguments"
    assert search.structured_content["details"]["errors"] == [
        {"field": "query", "problem": "should be a valid string"},
        {"field": "limit", "problem": "should be less than or equal to 20"},
    ]
    assert "`limit` should be less than or equal to 20" in search.structured_content["message"]
    fields = {e["field"] for e in order.structured_content["details"]["errors"]}
    assert fields == {"payment_method_id", "lines[0].quantity", "address_id"}
    assert "`payment_method_id` is required" in order.structured_content["message"]
    assert missing.structured_content["details"]["errors"] == [
        {"field": "order_id", "problem": "is required"}
    ]
    assert unknown.structured_content["code"] == "unknown_tool"


def test_that_a_token_names_its_customer_and_any_change_to_it_is_refused() -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    token = issue_token(KEY, "olivia_brown_2070", now=now, lifetime=timedelta(days=1))
    assert read_token(KEY, token, now=now).customer_id == "olivia_brown_2070"
    for bad in (
        tampered(token),
        token[:-3] + ("abc" if token[-3:] != "abc" else "xyz"),
        issue_token(b"another key", "olivia_brown_2070", now=now),
        "not a token",
        "skmcp1..",
    ):
        with pytest.raises(TokenRefused):
            read_token(KEY, bad, now=now)
    with pytest.raises(TokenRefused, match="expired"):
        read_token(KEY, token, now=now + timedelta(days=1))


def test_that_the_token_command_makes_a_token_for_the_customer(
    store: Store, server_env: dict[str, str]
) -> None:
    runner = CliRunner()
    made = runner.invoke(mcp_command, ["token", "--customer", OLIVIA], env=server_env)
    assert made.exit_code == 0, made.output
    token = read_token(KEY, made.stdout.strip(), now=datetime.now(UTC))
    assert token.customer_id == store.customers.find_by_email(OLIVIA)
    nobody = runner.invoke(mcp_command, ["token", "--customer", "no@example.com"], env=server_env)
    assert nobody.exit_code == 1 and "customer_not_found" in nobody.output


def test_that_the_stdio_server_refuses_to_start_with_a_tampered_token(
    store: Store, server_env: dict[str, str]
) -> None:
    bad = tampered(token_for(store, OLIVIA))
    result = CliRunner().invoke(mcp_command, ["--token", bad], env=server_env)
    assert result.exit_code == 2
    assert "invalid_token" in result.output and "Traceback" not in result.output


def leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


# --- over streamable HTTP -----------------------------------------------------------------------


def test_that_an_agent_buys_over_http_and_retries_never_charge_twice(
    store: Store, http_server: HttpServer
) -> None:
    before = set(orders_of(store, OLIVIA))
    theirs = order_in(store, NOAH, "pending")

    async def shopping() -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
        token = token_for(store, OLIVIA)
        async with over_http(http_server.url, token) as client:
            staged = await buy_headphones(client)
            first = await ok(client, "confirm", confirmation_id=staged["confirmation_id"])
        # A retry from a new connection, as after a dropped one.
        async with over_http(http_server.url, token) as client:
            retried = [
                first,
                await ok(client, "confirm", confirmation_id=staged["confirmation_id"]),
            ]
            prying = await refused(
                client, "cancel_order", order_id=theirs, reason="no longer needed"
            )
        return staged, retried, prying

    staged, (first, retried), prying = anyio.run(shopping)
    order_id = first["order"]["id"]
    assert set(orders_of(store, OLIVIA)) - before == {order_id}
    assert first["order"]["total"] == staged["charge"]
    assert retried["replayed"] and retried["order"]["id"] == order_id
    assert charges_for(store, order_id) == 1
    assert prying["code"] == "order_not_found"
    assert store.orders.get(store.customers.find_by_email(NOAH), theirs).status == "pending"


def test_that_over_http_a_request_without_a_token_is_a_guests(
    store: Store, http_server: HttpServer
) -> None:
    async def browsing() -> tuple[dict[str, Any], dict[str, Any]]:
        async with over_http(http_server.url, None) as client:
            return (
                await ok(client, "search_catalog", query="tea"),
                await refused(client, "list_orders"),
            )

    found, orders = anyio.run(browsing)
    assert found["products"] and orders["code"] == "authentication_required"


def test_that_over_http_a_tampered_or_foreign_token_is_refused(
    store: Store, http_server: HttpServer
) -> None:
    forged = issue_token(
        b"not the shop's key", store.customers.find_by_email(OLIVIA), now=datetime.now(UTC)
    )

    async def connecting(token: str) -> str:
        refusal = "connected"
        try:
            async with over_http(http_server.url, token) as client:
                await client.call_tool("list_orders", {})
        except* MCPError as group:  # the SDK's task groups wrap it
            refusal = " ".join(str(e) for e in leaves(group))
        return refusal

    for token in (tampered(token_for(store, OLIVIA)), forged, "Basic nonsense"):
        assert "invalid_token" in anyio.run(connecting, token)


def test_that_the_http_server_stops_on_sigterm_with_a_client_connected_and_logs_no_error(
    store: Store, http_server: HttpServer, tmp_path: Path
) -> None:
    async def connected_while_stopping() -> dict[str, Any]:
        async with over_http(http_server.url, token_for(store, OLIVIA)) as client:
            found = await ok(client, "search_catalog", query="tea")
            http_server.process.terminate()
            http_server.process.wait()
            return found

    assert anyio.run(connected_while_stopping)["products"]
    assert http_server.process.returncode == -signal.SIGTERM
    assert "ERROR" not in (tmp_path / "server.log").read_text()


def test_that_cancel_order_takes_the_shops_own_reasons_and_its_schema_lists_them(
    store: Store,
) -> None:
    reasons = ("found it cheaper", "arrives too late")
    shop = Store(store.db, policy=StorePolicy(cancel_reasons=reasons))
    email = NOAH
    customer = shop.customers.find_by_email(email)
    pending = next(o for o in shop.orders.history(customer, status="pending") if o.kind == "retail")

    async def session() -> tuple[list[str], dict[str, Any], Any]:
        async with in_process(shop, token_for(shop, email)) as client:
            listed = await client.list_tools()
            cancel = next(t for t in listed.tools if t.name == "cancel_order")
            enum = cancel.input_schema["properties"]["reason"]["enum"]
            staged = await ok(client, "cancel_order", order_id=pending.id, reason=reasons[1])
            refused = await client.call_tool(
                "cancel_order", {"order_id": pending.id, "reason": "no longer needed"}
            )
            return enum, staged, refused

    enum, staged, refused = anyio.run(session)
    assert enum == list(reasons)
    assert staged["action"] == "cancel_order" and f"Reason: {reasons[1]}" in staged["summary"]
    assert refused.is_error and refused.structured_content is not None
    assert refused.structured_content["code"] == "invalid_arguments"
