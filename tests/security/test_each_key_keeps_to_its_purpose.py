"""One key per purpose: a signature made for one purpose (session cookies, MCP tokens, webhook
signatures, the merchant's customer tokens) is refused by every other. Replays the finding: with
no webhook secret set, the key that checks webhooks forged a manager's cookie, a customer's
session and an MCP token."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from itertools import permutations
from pathlib import Path

import pytest
from chat_bench import Chat
from itsdangerous import BadSignature, TimestampSigner
from security_bench import NOAH, NOAH_ID

from shopkeep.api import create_app
from shopkeep.api.webhooks import sign, verify
from shopkeep.identity import read_customer, sign_customer
from shopkeep.keys import PURPOSES, derive
from shopkeep.mcp import issue_token
from shopkeep.mcp.tokens import TokenRefused, read_token
from shopkeep.settings import AcpSettings, Settings
from shopkeep.store import Store
from shopkeep.store.errors import IdentityTokenRefused

MASTER = b"the shop's one master key, for the tests"
NOW = datetime.now(UTC)


def cookie(key: bytes, session: dict[str, str]) -> str:
    payload = base64.b64encode(json.dumps(session).encode())
    return TimestampSigner(key.hex()).sign(payload).decode()


def signed_for(purpose: str, key: bytes) -> str:
    """Something valid for `purpose`, signed with `key`."""
    if purpose == "session":
        return cookie(key, {"customer_id": NOAH_ID})
    if purpose == "mcp":
        return issue_token(key, NOAH_ID, now=NOW)
    if purpose == "webhook":
        return sign(key, b'{"type":"order_update"}', int(NOW.timestamp()))
    return sign_customer(key, NOAH_ID, NOAH, expires=NOW + timedelta(minutes=5))


def accepted_as(purpose: str, key: bytes, made: str) -> bool:
    """Whether `made` passes the check of `purpose` done with `key`."""
    try:
        if purpose == "session":
            TimestampSigner(key.hex()).unsign(made)
        elif purpose == "mcp":
            read_token(key, made, now=NOW)
        elif purpose == "webhook":
            return verify(key, made, b'{"type":"order_update"}', now=int(NOW.timestamp()))
        else:
            read_customer(key, made, now=NOW, max_lifetime=timedelta(minutes=10))
    except (BadSignature, TokenRefused, IdentityTokenRefused, ValueError):
        return False
    return True


USED = ("session", "mcp", "webhook", "identity")


def test_that_every_purpose_has_its_own_key() -> None:
    keys = {purpose: derive(MASTER, purpose) for purpose in PURPOSES}  # type: ignore[arg-type]
    assert len(set(keys.values())) == len(PURPOSES)
    assert MASTER not in keys.values()
    settings = Settings(secret_key=MASTER.decode())
    assert {settings.key_for(p) for p in USED} == {keys[p] for p in USED}


@pytest.mark.parametrize("made_for, checked_as", list(permutations(USED, 2)))
def test_that_a_signature_valid_for_one_purpose_is_refused_by_every_other(
    made_for: str, checked_as: str
) -> None:
    settings = Settings(secret_key=MASTER.decode())
    made = signed_for(made_for, settings.key_for(made_for))  # type: ignore[arg-type]
    assert accepted_as(made_for, settings.key_for(made_for), made)  # type: ignore[arg-type]
    # The other purpose's own key refuses it, and so does the master key itself.
    assert not accepted_as(checked_as, settings.key_for(checked_as), made)  # type: ignore[arg-type]
    assert not accepted_as(checked_as, MASTER, made)


def test_that_the_webhook_key_forges_no_cookie_of_a_running_app(
    shop: Store, tmp_path: Path
) -> None:
    """The finding, replayed: the webhook key (the default one, no webhook secret set) signs a
    manager's cookie, Noah's session and an MCP token; the app takes none of them."""
    data = tmp_path / "data"
    chat = Chat.open(shop, data, demo_login=False)
    settings = Settings(data_dir=data)
    webhook_key = settings.key_for("webhook")
    staff = chat.browser()
    for forged in (
        {"staff": "manager", "staff_role": "manager"},  # the cookie as it was before
        {"staff_session": "guessed"},
    ):
        staff.cookies.set("shopkeep_session", cookie(webhook_key, forged))
        assert staff.get("/api/analytics").status_code == 401
        assert staff.get("/api/console/queue").status_code == 401
    noah = chat.browser()
    noah.cookies.set("shopkeep_session", cookie(webhook_key, {"customer_id": NOAH_ID}))
    assert noah.get("/api/me").status_code == 401
    # The master key itself, as cookies were signed before: refused too.
    master = settings.resolved_secret_key().decode("latin-1")
    payload = base64.b64encode(json.dumps({"customer_id": NOAH_ID}).encode())
    noah.cookies.set("shopkeep_session", TimestampSigner(master).sign(payload).decode())
    assert noah.get("/api/me").status_code == 401
    # Even the cookies' own key makes no staff session: sessions are kept on the server.
    session_key = settings.key_for("session")
    staff.cookies.set("shopkeep_session", cookie(session_key, {"staff_session": "guessed"}))
    assert staff.get("/api/console/queue").status_code == 401
    # ... while a customer cookie signed with it is taken: the forgery above failed on the key.
    noah.cookies.set("shopkeep_session", cookie(session_key, {"customer_id": NOAH_ID}))
    assert noah.get("/api/me").status_code == 200
    with pytest.raises(TokenRefused):
        read_token(settings.key_for("mcp"), issue_token(webhook_key, NOAH_ID, now=NOW), now=NOW)


def test_that_webhooks_are_signed_with_the_webhook_key_not_the_master_key(
    shop: Store, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", secret_key=MASTER.decode())
    app = create_app(
        settings,
        store=shop,
        assistant=Chat.open(shop, tmp_path / "data").app.state.chat.assistant,
        acp_settings=AcpSettings(webhook_url="http://127.0.0.1:9/hook", webhook_poll_seconds=0),
    )
    sender = app.state.acp.sender
    assert sender is not None
    assert sender._secret == derive(MASTER, "webhook") != MASTER
