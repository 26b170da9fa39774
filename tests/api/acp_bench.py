"""The checkout API's test bench: a client that checks every response against the Agentic
Commerce Protocol's own JSON schemas, a clock, a tiny shop, and request helpers."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import jsonschema  # type: ignore[import-untyped]
from fastapi.testclient import TestClient

from shopkeep.api.settings import AcpSettings
from shopkeep.store import Database, Money, Store
from shopkeep.store.catalog import ProductInput, VariantInput
from shopkeep.store.payments import PaymentGateway, SandboxGateway

EVAL_NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
API_KEY = "test-api-key"
SPEC_NAME = "acp-2026-04-17"


def spec_dir() -> Path:
    """The protocol's files, kept beside the repository (../shared/acp-2026-04-17), or where
    SHOPKEEP_ACP_SPEC_DIR says."""
    configured = os.environ.get("SHOPKEEP_ACP_SPEC_DIR")
    if configured:
        return Path(configured)
    repo = Path(__file__).resolve().parents[2]
    return (repo.parent / "shared" / SPEC_NAME).resolve()


class AcpSpec:
    """Validates a document against one definition of the protocol's JSON schema bundle."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.bundle = bundle
        self._validators: dict[str, jsonschema.Draft202012Validator] = {}

    def validate(self, instance: Any, definition: str) -> None:
        validator = self._validators.get(definition)
        if validator is None:
            schema = {
                "$schema": self.bundle["$schema"],
                "$defs": self.bundle["$defs"],
                "$ref": f"#/$defs/{definition}",
            }
            validator = jsonschema.Draft202012Validator(
                schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
            )
            self._validators[definition] = validator
        validator.validate(instance)


@dataclass
class Clock:
    now: datetime = EVAL_NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def tiny_shop(db: Database, clock: Clock, gateway: PaymentGateway | None = None) -> Store:
    """A one-product shop on any database (the `db` fixture: SQLite and PostgreSQL)."""
    store = Store(db, clock=clock, gateway=gateway or SandboxGateway(db, clock))
    store.catalog.put_product(
        ProductInput(
            id="mug",
            category="home",
            name={"en": "Stoneware Mug"},
            variants=[
                VariantInput(
                    id="mug-blue", options={"color": "blue"}, price=Money(1200, "USD"), stock=10
                )
            ],
        )
    )
    return store


class Agent:
    """An agent platform's client of the checkout API: sends the headers the protocol asks
    for, a fresh Idempotency-Key per POST unless given one, and validates every response
    against the protocol's JSON schema."""

    def __init__(self, client: TestClient, spec: AcpSpec) -> None:
        self.client = client
        self.spec = spec
        self.headers = {"Authorization": f"Bearer {API_KEY}", "API-Version": "2026-04-17"}

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        key: str | None = "",
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        sent = dict(self.headers)
        if key is not None:
            sent["Idempotency-Key"] = key or str(uuid.uuid4())
        sent.update(headers or {})
        if content is not None:
            sent.setdefault("Content-Type", "application/json")
            response = self.client.post(path, content=content, headers=sent)
        else:
            response = self.client.post(path, json=body, headers=sent)
        self.check(response)
        return response

    def get(self, path: str, *, headers: dict[str, str] | None = None) -> httpx.Response:
        response = self.client.get(path, headers={**self.headers, **(headers or {})})
        self.check(response)
        return response

    def check(self, response: httpx.Response) -> None:
        document = response.json()
        if response.status_code >= 400:
            self.spec.validate(document, "Error")
        elif document.get("status") == "completed":
            self.spec.validate(document, "CheckoutSessionWithOrder")
        else:
            self.spec.validate(document, "CheckoutSession")


@dataclass
class Api:
    app: Any
    agent: Agent
    store: Store
    settings: AcpSettings

    @property
    def service(self) -> Any:
        return self.app.state.acp


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An agent platform's webhook endpoint on loopback, answering with `statuses` in turn
    (then 200)."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)


def ship_to(name: str = "Ada Park") -> dict[str, Any]:
    return {
        "name": name,
        "phone_number": "15551234567",
        "address": {
            "name": name,
            "line_one": "1 Main St",
            "line_two": "Apt 2",
            "city": "Springfield",
            "state": "IL",
            "country": "US",
            "postal_code": "62701",
        },
    }


def card(token: str = "tok_visa_4242") -> dict[str, Any]:
    return {
        "handler_id": "sandbox_card",
        "instrument": {"type": "card", "credential": {"type": "spt", "token": token}},
    }
