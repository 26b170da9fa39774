"""Every route of the HTTP API is one of: open to anyone, a shopper's (their own browser's
conversations), agent checkout's (the merchant's API key), staff's (a console sign-in) or a
manager's; the staff and manager routes refuse everyone else, whatever cookie they bring."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from chat_bench import Chat, error_of
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from security_bench import OLIVIA

from shopkeep.api.analytics import CHARTS
from shopkeep.settings import AcpSettings
from shopkeep.store import Store

AGENT = {"username": "agent", "password": "agent-demo"}
MANAGER = {"username": "manager", "password": "manager-demo"}

OPEN = {
    "/health",
    "/metrics",
    "/api/staff/login",
    "/api/staff/logout",
    "/api/knowledge/search",  # the shop's policy and documents: nothing about anyone
}
SHOPPER = re.compile(r"^/api/(session|demo/customers|me|cart|conversations)(/|$)")
CHECKOUT = re.compile(r"^/checkout_sessions(/|$)")
STAFF = re.compile(r"^/api/(staff|console)(/|$)")
MANAGER_ONLY = re.compile(r"^/api/analytics(/|$)")


def kind_of(path: str) -> str:
    if path in OPEN:
        return "open"
    for kind, pattern in (
        ("manager", MANAGER_ONLY),
        ("staff", STAFF),
        ("shopper", SHOPPER),
        ("checkout", CHECKOUT),
    ):
        if pattern.match(path):
            return kind
    return "unknown"


@pytest.fixture
def chat(shop: Store, tmp_path: Path) -> Chat:
    return Chat.open(shop, tmp_path / "data", "not asked")


def routes(chat: Chat) -> list[tuple[str, str]]:
    paths: dict[str, dict[str, Any]] = chat.app.openapi()["paths"]
    return [(method.upper(), path) for path, operations in paths.items() for method in operations]


def handoff(chat: Chat) -> tuple[str, int]:
    """A guest's conversation waiting for a person, and its handoff."""
    guest = chat.browser()
    conversation_id = chat.start(guest)
    assert chat.send(guest, conversation_id, "I want to talk to a human")["handed_off"]
    handoff_id = chat.shop.conversations.get(conversation_id).open_handoff_id
    assert handoff_id is not None
    return conversation_id, handoff_id


def filled(path: str, conversation_id: str, handoff_id: int) -> str:
    return (
        path.replace("{conversation_id}", conversation_id)
        .replace("{handoff_id}", str(handoff_id))
        .replace("{name}", CHARTS[0])
    )


def staff_cookie(secret: str, username: str, role: str) -> str:
    payload = base64.b64encode(json.dumps({"staff": username, "staff_role": role}).encode())
    return TimestampSigner(secret).sign(payload).decode()


def test_that_every_route_of_the_api_is_open_a_shoppers_checkouts_staffs_or_a_managers(
    chat: Chat,
) -> None:
    unknown = [(m, p) for m, p in routes(chat) if kind_of(p) == "unknown"]
    assert unknown == [], "a new route: say who may call it in this test's kinds"
    kinds = {kind_of(p) for _, p in routes(chat)}
    assert kinds == {"open", "shopper", "checkout", "staff", "manager"}


def test_that_staff_and_manager_routes_refuse_everyone_without_a_staff_sign_in(
    chat: Chat,
) -> None:
    conversation_id, handoff_id = handoff(chat)
    before = chat.shop.conversations.handoff(handoff_id)

    olivia = chat.browser()
    chat.sign_in(olivia, OLIVIA)
    forged = chat.browser()
    forged.cookies.set("shopkeep_session", staff_cookie("not the shop's key", "manager", "manager"))
    departed = chat.browser()
    assert departed.post("/api/staff/login", json=AGENT).status_code == 200
    chat.shop.staff.deactivate("agent")
    strangers = {
        "no cookie": chat.browser(),
        "a customer": olivia,
        "a forged staff cookie": forged,
        "a deactivated agent": departed,
    }

    guarded = [
        (m, p)
        for m, p in routes(chat)
        if kind_of(p) in ("staff", "manager") and p != "/api/staff/me"
    ] + [("GET", "/api/staff/me")]
    assert len(guarded) >= 11
    for who, browser in strangers.items():
        for method, template in guarded:
            path = filled(template, conversation_id, handoff_id)
            body = {"text": "closing this", "note": "n"} if method == "POST" else None
            answer = browser.request(method, path, json=body)
            assert answer.status_code == 401, (who, method, path, answer.text)
            assert error_of(answer)["code"] == "staff_login_required"
            assert "@example" not in answer.text
    assert chat.shop.conversations.handoff(handoff_id) == before
    roles = [m.role for m in chat.shop.conversations.messages(conversation_id)]
    assert "staff" not in roles


def test_that_an_agent_is_refused_the_managers_routes_and_a_manager_is_not(chat: Chat) -> None:
    agent, manager = chat.browser(), chat.browser()
    assert agent.post("/api/staff/login", json=AGENT).status_code == 200
    assert manager.post("/api/staff/login", json=MANAGER).status_code == 200
    # The agent's own cookie, rewritten to name the manager's role and its signature kept:
    # the cookie holds only a server-side session's token now, so add the old role claims.
    signed = agent.cookies["shopkeep_session"]
    payload, stamp, signature = signed.rsplit(".", 2)
    session = json.loads(base64.b64decode(payload))
    assert "staff_role" not in session and "staff_session" in session
    session.update(staff="manager", staff_role="manager")
    promoted = chat.browser()
    promoted.cookies.set(
        "shopkeep_session",
        f"{base64.b64encode(json.dumps(session).encode()).decode()}.{stamp}.{signature}",
    )

    for method, template in routes(chat):
        if kind_of(template) != "manager":
            continue
        path = filled(template, "", 0)
        refused = agent.request(method, path)
        assert refused.status_code == 403, (path, refused.text)
        assert error_of(refused)["code"] == "manager_only"
        assert manager.request(method, path).status_code == 200, path
        assert promoted.request(method, path).status_code == 401, path

    chat.shop.staff.add("joon", password="a long manager password", role="manager")
    joon = chat.browser()
    assert (
        joon.post(
            "/api/staff/login", json={"username": "joon", "password": "a long manager password"}
        ).status_code
        == 200
    )
    assert joon.get("/api/analytics").status_code == 200
    chat.shop.staff.deactivate("joon")
    assert joon.get("/api/analytics").status_code == 401


def test_that_the_console_and_analytics_pages_hold_no_data_until_the_api_is_asked(
    chat: Chat,
) -> None:
    handoff(chat)
    stranger = chat.browser()
    for page in ("/console", "/analytics"):
        shell = stranger.get(page)
        assert shell.status_code == 200
        assert "@example" not in shell.text and "I want to talk to a human" not in shell.text


def test_that_the_session_cookie_is_signed_http_only_same_site_and_secure_behind_tls(
    shop: Store, tmp_path: Path
) -> None:
    from shopkeep.api import create_app
    from shopkeep.settings import Settings, WebSettings

    for secure in (False, True):
        app = create_app(
            Settings(data_dir=tmp_path / "data", web=WebSettings(secure_cookies=secure)),
            store=shop,
            acp_settings=AcpSettings(webhook_poll_seconds=0),
        )
        base = "https://testserver" if secure else "http://testserver"
        answer = TestClient(app, base_url=base).post("/api/staff/login", json=AGENT)
        assert answer.status_code == 200
        cookie = answer.headers["set-cookie"].lower()
        assert cookie.startswith("shopkeep_session=")
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert ("; secure" in cookie) is secure


def test_that_agent_checkout_refuses_any_caller_without_the_merchants_key(
    shop: Store, tmp_path: Path
) -> None:
    from shopkeep.api import create_app
    from shopkeep.settings import Settings

    def checkout_app(key: str | None) -> TestClient:
        from pydantic import SecretStr

        acp = AcpSettings(api_key=SecretStr(key) if key else None, webhook_poll_seconds=0)
        return TestClient(
            create_app(Settings(data_dir=tmp_path / "data"), store=shop, acp_settings=acp)
        )

    paths = [
        ("POST", "/checkout_sessions"),
        ("GET", "/checkout_sessions/cs_1"),
        ("POST", "/checkout_sessions/cs_1"),
        ("POST", "/checkout_sessions/cs_1/complete"),
        ("POST", "/checkout_sessions/cs_1/cancel"),
    ]
    configured, unconfigured = checkout_app("the merchant's key"), checkout_app(None)
    staff = checkout_app("the merchant's key")
    assert staff.post("/api/staff/login", json=MANAGER).status_code == 200
    for method, path in paths:
        for client, headers, status in (
            (configured, {}, 401),
            (configured, {"Authorization": "Bearer a guess"}, 401),
            (staff, {}, 401),
            (unconfigured, {"Authorization": "Bearer anything"}, 503),
        ):
            answer = client.request(
                method,
                path,
                json={} if method == "POST" else None,
                headers={"API-Version": "2026-04-17", "Idempotency-Key": "k", **headers},
            )
            assert answer.status_code == status, (method, path, headers, answer.text)
            assert "the merchant's key" not in answer.text and "a guess" not in answer.text
