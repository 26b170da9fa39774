"""The web surface, attacked as a running server was: framing the chat (clickjacking), staff
sign-in by brute force, weak manager passwords and cookies that outlive a logout, cross-site
staff actions, a huge body, hundreds of live streams from one cookie, a stranger spending a
customer's rate limit, Retry-After that ignores the line, database files others can read, and
the staff's login name shown to shoppers."""

from __future__ import annotations

import stat
import threading
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from chat_bench import Chat, error_of, serving
from fastapi.testclient import TestClient
from security_bench import NOAH, OLIVIA

from shopkeep.agent.tools import IdentityPolicy
from shopkeep.api import create_app
from shopkeep.api.admission import Admission
from shopkeep.settings import AcpSettings, Settings, WebSettings
from shopkeep.store import Database, Store
from shopkeep.store.errors import WeakPassword

MERCHANT = "https://merchant.example"


@pytest.fixture
def chat(shop: Store, tmp_path: Path) -> Chat:
    return Chat.open(shop, tmp_path / "data")


def staff_in(chat: Chat, username: str = "manager", password: str = "manager-demo") -> TestClient:
    client = chat.browser()
    signed = client.post("/api/staff/login", json={"username": username, "password": password})
    assert signed.status_code == 200, signed.text
    return client


# --- headers: no framing, no sniffing, no referrer leaks, a CSP ------------------------------


@pytest.mark.parametrize("path", ["/", "/console", "/analytics", "/api/session", "/health"])
def test_that_no_page_may_be_framed_by_another_site_and_every_answer_is_hardened(
    chat: Chat, path: str
) -> None:
    answer = chat.browser().get(path)
    csp = answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "same-origin"


def test_that_only_the_merchants_own_origins_may_frame_the_chat_and_nothing_else(
    shop: Store, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", web=WebSettings(frame_ancestors=[MERCHANT]))
    base = Chat.open(shop, tmp_path / "data")
    app = create_app(
        settings,
        store=shop,
        assistant=base.app.state.chat.assistant,
        acp_settings=AcpSettings(webhook_poll_seconds=0),
    )
    client = TestClient(app)
    chat_page = client.get("/")
    assert f"frame-ancestors {MERCHANT}" in chat_page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in chat_page.headers
    for path in ("/console", "/analytics", "/api/session"):
        other = client.get(path)
        assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"], path
        assert other.headers["X-Frame-Options"] == "DENY"


# --- cross-site requests ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # a page of another port or subdomain
    ],
)
def test_that_a_state_changing_call_from_another_sites_page_is_refused(
    chat: Chat, headers: dict[str, str]
) -> None:
    manager = staff_in(chat)
    guest = chat.browser()
    conversation_id = chat.start(guest)
    handoff = chat.send(guest, conversation_id, "I want to talk to a human")
    assert handoff["handed_off"]
    handoff_id = chat.shop.conversations.get(conversation_id).open_handoff_id
    before = chat.shop.conversations.get(conversation_id)
    for method, path, body in [
        ("POST", f"/api/console/handoffs/{handoff_id}/take", None),
        ("POST", "/api/staff/logout", None),
        ("POST", f"/api/conversations/{conversation_id}/messages", {"text": "yes"}),
        ("POST", "/api/session", {"customer_id": None}),
    ]:
        client = manager if path.startswith(("/api/console", "/api/staff")) else guest
        refused = client.request(method, path, json=body, headers=headers)
        assert refused.status_code == 403, (path, refused.text)
        assert error_of(refused)["code"] == "cross_origin_refused"
    after = chat.shop.conversations.get(conversation_id)
    assert (after.version, after.status) == (before.version, before.status)
    assert manager.get("/api/staff/me").status_code == 200  # not signed out either
    same = manager.post("/api/staff/logout", headers={"Origin": "http://testserver"})
    assert same.status_code == 200


# --- staff sign-in ---------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["12345678", "password1", "qwertyuiop", "manager123", "short"])
def test_that_a_short_or_common_password_is_refused_for_staff(shop: Store, password: str) -> None:
    with pytest.raises(WeakPassword):
        shop.staff.add("joon", password=password, role="manager")
    assert all(m.username != "joon" for m in shop.staff.all())


def test_that_repeated_wrong_passwords_slow_down_and_then_lock_the_account_and_the_address(
    chat: Chat,
) -> None:
    attacker = chat.browser()
    statuses = []
    for guess in range(20):
        answer = attacker.post(
            "/api/staff/login", json={"username": "manager", "password": f"guess-{guess}"}
        )
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["Retry-After"]) >= 1
            assert error_of(answer)["code"] == "too_many_tries"
    assert statuses[:3] == [401, 401, 401]
    assert statuses.count(401) < 10  # the shop's clock is stopped: the waits never pass here
    # The right password is not even checked while locked, from this address...
    right = attacker.post(
        "/api/staff/login", json={"username": "manager", "password": "manager-demo"}
    )
    assert right.status_code == 429
    # ... nor for this account from another address.
    elsewhere = TestClient(chat.app, client=("203.0.113.9", 50000))
    also = elsewhere.post(
        "/api/staff/login", json={"username": "manager", "password": "manager-demo"}
    )
    assert also.status_code == 429


def test_that_after_logout_or_deactivation_the_old_cookie_opens_nothing(chat: Chat) -> None:
    manager = staff_in(chat)
    kept = manager.cookies.get("shopkeep_session")
    assert manager.get("/api/analytics").status_code == 200
    assert manager.post("/api/staff/logout").status_code == 200
    replay = chat.browser()
    replay.cookies.set("shopkeep_session", kept)
    assert replay.get("/api/analytics").status_code == 401
    assert replay.get("/api/console/queue").status_code == 401

    agent = staff_in(chat, "agent", "agent-demo")
    agent_cookie = agent.cookies.get("shopkeep_session")
    chat.shop.staff.deactivate("agent")
    replay.cookies.set("shopkeep_session", agent_cookie)
    assert replay.get("/api/console/queue").status_code == 401


# --- resources -------------------------------------------------------------------------------


def test_that_a_huge_body_is_refused_unread(chat: Chat) -> None:
    guest = chat.browser()
    huge = b'{"language": "en", "pad": "' + b"x" * 3_000_000 + b'"}'
    refused = guest.post(
        "/api/conversations", content=huge, headers={"content-type": "application/json"}
    )
    assert refused.status_code == 413
    assert error_of(refused)["code"] == "body_too_large"

    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 100_000

    streamed = guest.post(
        "/api/conversations", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413


def test_that_one_session_and_one_address_hold_only_a_few_live_streams(
    shop: Store, tmp_path: Path
) -> None:
    base = Chat.open(shop, tmp_path / "data")
    web = WebSettings(live_streams_per_session=2, live_streams_per_address=3)
    settings = Settings(data_dir=tmp_path / "data", web=web)
    app = create_app(
        settings,
        store=shop,
        assistant=base.app.state.chat.assistant,
        acp_settings=AcpSettings(webhook_poll_seconds=0),
    )
    with serving(app) as url:
        one = httpx.Client(base_url=url)
        conversation_id = one.post("/api/conversations", json={}).json()["id"]
        live = f"/api/conversations/{conversation_id}/live"
        opened = [one.stream("GET", live) for _ in range(2)]
        for stream in opened:
            assert stream.__enter__().status_code == 200
        third = one.get(live)
        assert third.status_code == 429 and third.json()["error"]["code"] == "too_many_streams"
        # Another session from the same address: one more, then the address is full.
        two = httpx.Client(base_url=url)
        other = two.post("/api/conversations", json={}).json()["id"]
        extra = two.stream("GET", f"/api/conversations/{other}/live")
        assert extra.__enter__().status_code == 200
        assert two.get(f"/api/conversations/{other}/live").status_code == 429
        # A stream closed gives its place back.
        opened[0].__exit__(None, None, None)
        for _ in range(100):
            again = one.stream("GET", live)
            response = again.__enter__()
            if response.status_code == 200:
                again.__exit__(None, None, None)
                break
            again.__exit__(None, None, None)
            threading.Event().wait(0.1)
        else:
            pytest.fail("a closed stream never gave its place back")
        for stream in (opened[1], extra):
            stream.__exit__(None, None, None)


def test_that_a_stranger_cannot_spend_a_verified_customers_rate_limit(
    shop: Store, tmp_path: Path
) -> None:
    """In tau2 mode a stranger who knows Noah's email is verified as him in their own chat;
    their messages count against Noah-from-their-address, never against Noah's own limit."""
    chat = Chat.open(shop, tmp_path / "data", identity=IdentityPolicy.tau2())
    chat.app.state.chat.customer_limit.per_minute = 3
    stranger = TestClient(chat.app, client=("198.51.100.7", 50000))
    spent = chat.start(stranger)
    codes = []
    for text in [f"where is my order? my email is {NOAH}"] + ["where is my order?"] * 5:
        sent = stranger.post(f"/api/conversations/{spent}/messages", json={"text": text})
        codes.append(sent.status_code)
    assert chat.shop.conversations.get(spent).customer_id is not None  # verified as Noah
    assert 429 in codes
    noah = chat.browser()
    chat.sign_in(noah, NOAH)
    own = chat.start(noah)
    assert chat.send(noah, own, "where is my order?")["reply"]


def test_that_retry_after_follows_how_fast_the_line_really_drains() -> None:
    admission = Admission(1, 20)
    admission._turn_seconds = 0.7
    admission._running = 1
    admission._line.extend([object()] * 20)  # type: ignore[list-item]
    refused = admission._busy()
    assert refused.headers is not None
    assert int(refused.headers["Retry-After"]) >= 14  # 21 turns ahead of 0.7 s each


def test_that_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'shop.sqlite3'}")
    try:
        db.migrate()
    finally:
        db.dispose()
    for path in tmp_path.glob("shop.sqlite3*"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_that_shoppers_see_a_staff_members_display_name_never_the_login(chat: Chat) -> None:
    chat.shop.staff.add("j.kim-login", password="a quiet harbour at dusk", role="agent")
    agent = staff_in(chat, "j.kim-login", "a quiet harbour at dusk")
    guest = chat.browser()
    conversation_id = chat.start(guest)
    assert chat.send(guest, conversation_id, "I want to talk to a human")["handed_off"]
    handoff_id = chat.shop.conversations.get(conversation_id).open_handoff_id
    assert agent.post(f"/api/console/handoffs/{handoff_id}/take").status_code == 200
    replied = agent.post(f"/api/console/handoffs/{handoff_id}/reply", json={"text": "Hi there"})
    assert replied.status_code == 200, replied.text
    seen = guest.get(f"/api/conversations/{conversation_id}").text
    assert "j.kim-login" not in seen
    assert "Support" in seen
    assert OLIVIA not in seen


def test_that_a_staff_members_live_queue_ends_when_they_sign_out(chat: Chat) -> None:
    with serving(chat.app) as url, httpx.Client(base_url=url) as staff:
        signed = staff.post(
            "/api/staff/login", json={"username": "agent", "password": "agent-demo"}
        )
        assert signed.status_code == 200
        with staff.stream("GET", "/api/console/live") as live:
            lines = live.iter_lines()
            assert any(line.startswith("event: queue") for line in lines)
            assert staff.post("/api/staff/logout").status_code == 200
            # The server ends the stream at its next look (a stream left open would hang here).
            for _ in lines:
                pass
        assert staff.get("/api/staff/me").status_code == 401
