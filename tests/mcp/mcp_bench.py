"""Helpers of the MCP server's tests: tokens, the SDK's client over each transport, and reading
results and the store."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from subprocess import Popen
from typing import Any, Protocol

import httpx2
from mcp.client.session import ElicitationFnT
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult
from sqlalchemy import func, select

from mcp import Client, ClientSession, StdioServerParameters, stdio_client
from shopkeep.keys import derive
from shopkeep.mcp import StoreForAgents, build_server, issue_token, read_token
from shopkeep.store import Store
from shopkeep.store.models import Order, SandboxGatewayRecord

SECRET = "a test secret, never a real one"
KEY = derive(SECRET.encode(), "mcp")  # the key MCP tokens are signed with
OLIVIA = "olivia.brown69@example.com"  # Visa 7076, PayPal, a gift card
NOAH = "noah.davis68@example.org"  # a pending order and delivered ones
MCP = [sys.executable, "-m", "shopkeep.cli.mcp"]


class ToolClient(Protocol):
    """What the tests need of a client: the SDK's ClientSession and Client both are one."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | None = None
    ) -> CallToolResult: ...


def token_for(store: Store, email: str) -> str:
    return issue_token(KEY, store.customers.find_by_email(email), now=datetime.now(UTC))


def tampered(token: str) -> str:
    """The token with a changed claim and its old signature."""
    prefix, body, signature = token.split(".")
    other = body[:-2] + ("AA" if body[-2:] != "AA" else "BB")
    return f"{prefix}.{other}.{signature}"


@asynccontextmanager
async def in_process(
    store: Store, token: str | None, *, elicitation: ElicitationFnT | None = None
) -> AsyncIterator[ToolClient]:
    """The SDK's own client on the server object (the 2026-07-28 protocol, no transport)."""
    shop = StoreForAgents(store, KEY)
    if token is not None:
        shop.token = read_token(KEY, token, now=datetime.now(UTC))
    async with Client(build_server(shop), elicitation_callback=elicitation) as client:
        yield client


@asynccontextmanager
async def over_stdio(
    env: dict[str, str], token: str | None, *, elicitation: ElicitationFnT | None = None
) -> AsyncIterator[ClientSession]:
    """`shopkeep mcp` started as a subprocess, as an MCP client starts it."""
    server_env = dict(env)
    if token is not None:
        server_env["SHOPKEEP_MCP_TOKEN"] = token
    params = StdioServerParameters(command=MCP[0], args=MCP[1:], env=server_env)
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write, elicitation_callback=elicitation) as session,
    ):
        await session.initialize()
        yield session


@dataclass
class HttpServer:
    url: str
    process: Popen[str]


@asynccontextmanager
async def over_http(
    url: str, token: str | None, *, elicitation: ElicitationFnT | None = None
) -> AsyncIterator[ClientSession]:
    """A client of `shopkeep mcp --transport http`, sending the token as a bearer token."""
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write, elicitation_callback=elicitation) as session,
    ):
        await session.initialize()
        yield session


async def ok(client: ToolClient, name: str, **arguments: Any) -> dict[str, Any]:
    """The structured result of a call that must succeed."""
    result = await client.call_tool(name, arguments)
    assert not result.is_error, (name, result.content)
    assert result.structured_content is not None
    return dict(result.structured_content)


async def refused(client: ToolClient, name: str, **arguments: Any) -> dict[str, Any]:
    """The refusal (code, message, details) of a call that must fail."""
    result = await client.call_tool(name, arguments)
    assert result.is_error, (name, result.structured_content)
    assert result.structured_content is not None, result.content
    return dict(result.structured_content)


def orders_of(store: Store, email: str) -> list[str]:
    customer_id = store.customers.find_by_email(email)
    with store.db.reading() as s:
        return list(s.scalars(select(Order.id).where(Order.customer_id == customer_id)))


def charges_for(store: Store, order_id: str) -> int:
    """How many charges the sandbox gateway made for the order."""
    with store.db.reading() as s:
        count = s.scalar(
            select(func.count())
            .select_from(SandboxGatewayRecord)
            .where(
                SandboxGatewayRecord.key.startswith(order_id),
                SandboxGatewayRecord.operation == "charge",
            )
        )
    return count or 0


def order_in(store: Store, email: str, status: str) -> str:
    customer_id = store.customers.find_by_email(email)
    return next(o.id for o in store.orders.history(customer_id) if o.status == status)
