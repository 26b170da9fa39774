"""Logs carry no emails, phone numbers, card numbers, tokens or configured secrets: in a record's
message, its arguments and its traceback, through the root logger's handlers and through
uvicorn's own logs (access and error) after uvicorn has configured logging itself."""

from __future__ import annotations

import io
import logging
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from chat_bench import Chat
from mcp_bench import KEY, token_for
from pydantic import SecretStr
from security_bench import CARD, OLIVIA
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from shopkeep.llm import ChatRequest
from shopkeep.logs import UVICORN_LOGGERS, RedactingFilter, install_redaction, remove_redaction
from shopkeep.store import Store

SENSITIVE = {
    "email": OLIVIA,
    "email in a URL": "olivia.brown69%40example.com",
    "phone (US)": "+1 (206) 555-0142",
    "phone (Korea)": "010-1234-5678",
    "phone (China)": "13800138000",
    "phone (bare, with country code)": "15551234567",
    "card": CARD,
    "card without spaces": "4242424242424242",
    "security code": "CVV 737",
    "bearer token": "Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    # written in two pieces, so that the repository's own secret scan does not take it for one
    "MCP token": "skmcp1." + "eyJzdWIiOiJvbGl2aWFfYnJvd25fMjA3MCJ9.Zm9yZ2VkLXNpZ25hdHVyZQ",
    "payment token": "tok_visa_7076",
    "password field": "password=correct-horse-battery",
}
"""Each must leave no trace in a log line (checked by its longest run of letters and digits)."""

KEPT = [
    "order #W7843869 is pending",
    "2026-11-20 03:00:00 turn of c_0d233e4e495ee0b9 took 0.42 s",
    "GET /api/conversations/c_1/messages?after=3 HTTP/1.1 200",
    "127.0.0.1:54321 charge credit_card_7779214 of $59.00 (5900 minor units)",
    "webhook t=1763607600 attempt 2 of 8 for order #W7843869",
    "variant pebble-boom-black stock 12",
]
"""What the shop's logs need to stay useful: ids, times, amounts, addresses of servers."""


def traces(value: str) -> list[str]:
    """The parts of a sensitive value that must not survive redaction."""
    parts = [value.split("=", 1)[-1].removeprefix("Bearer ")]
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) >= 10:
        parts.append(digits)
    return parts


@pytest.fixture
def root_log() -> Iterator[io.StringIO]:
    """What the root logger's handler writes, with the redaction installed on it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    install_redaction()
    try:
        yield out
    finally:
        remove_redaction()
        root.removeHandler(handler)


@pytest.mark.parametrize("what", list(SENSITIVE))
def test_that_a_record_keeps_no_personal_data_or_token_in_its_message_or_arguments(
    root_log: io.StringIO, what: str
) -> None:
    value = SENSITIVE[what]
    log = logging.getLogger("shopkeep.security")
    log.warning(f"in the message: {value} (end)")
    log.warning("as an argument: %s (end)", value)
    log.warning("in a mapping: %(value)s (end)", {"value": value})
    log.warning("split across arguments: %s%s (end)", value[:5], value[5:])
    written = root_log.getvalue()
    assert written.count("(end)") == 4
    for trace in traces(value):
        assert trace not in written, written


@pytest.mark.parametrize("line", KEPT)
def test_that_ids_times_amounts_and_server_addresses_are_kept(
    root_log: io.StringIO, line: str
) -> None:
    logging.getLogger("shopkeep.security").warning("%s", line)
    assert root_log.getvalue().strip().endswith(line)


def test_that_a_logged_database_error_keeps_no_personal_data_from_its_parameters(
    root_log: io.StringIO, shop: Store
) -> None:
    # A real error whose text carries the statement's parameters: an email and a phone.
    with pytest.raises(IntegrityError) as raised, shop.db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customers (id, first_name, last_name, email, phone) VALUES "
                "(:id, 'Olivia', 'Brown', :email, :phone)"
            ),
            {"id": "olivia_brown_2070", "email": OLIVIA, "phone": "010-1234-5678"},
        )
    assert OLIVIA in str(raised.value)
    try:
        raise raised.value
    except IntegrityError:
        logging.getLogger("shopkeep.security").exception("saving customer failed")
    written = root_log.getvalue()
    assert "Traceback" in written and "IntegrityError" in written
    assert OLIVIA not in written and "1234-5678" not in written
    assert "[email]" in written


def test_that_the_configured_secrets_are_redacted_wherever_they_appear(
    root_log: io.StringIO,
) -> None:
    acp_key, secret_key = secrets.token_urlsafe(24), secrets.token_hex(16).encode()
    install_redaction([SecretStr(acp_key), secret_key, None])
    log = logging.getLogger("shopkeep.security")
    log.error("agent sent %r", f"X-Key:{acp_key};")
    log.error("signing with %s", secret_key.decode())
    written = root_log.getvalue()
    assert acp_key not in written and secret_key.decode() not in written
    assert written.count("[redacted]") == 2


def test_that_installing_again_replaces_the_filter_and_removing_takes_it_off() -> None:
    install_redaction()
    install_redaction(["a secret of some length"])
    try:
        for name in UVICORN_LOGGERS:
            filters = logging.getLogger(name).filters
            assert len([f for f in filters if isinstance(f, RedactingFilter)]) == 1
    finally:
        remove_redaction()
    for name in UVICORN_LOGGERS:
        assert not [f for f in logging.getLogger(name).filters if isinstance(f, RedactingFilter)]


@pytest.fixture
def uvicorn_logging() -> Iterator[None]:
    """uvicorn's loggers as they were, put back after a test that lets uvicorn configure them."""
    saved = {
        name: (list(lg.handlers), lg.level, lg.propagate, list(lg.filters))
        for name in UVICORN_LOGGERS
        for lg in [logging.getLogger(name)]
    }
    try:
        yield
    finally:
        remove_redaction()
        for name, (handlers, level, propagate, filters) in saved.items():
            lg = logging.getLogger(name)
            lg.handlers, lg.level, lg.propagate, lg.filters = handlers, level, propagate, filters


def test_that_uvicorns_access_and_error_logs_are_redacted_after_uvicorn_configures_logging(
    shop: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], uvicorn_logging: None
) -> None:
    def broken_model(request: ChatRequest) -> str:
        raise RuntimeError(f"the model failed for {OLIVIA}, card {CARD}")

    chat = Chat.open(shop, tmp_path / "data", broken_model)
    token = token_for(shop, OLIVIA)
    # As `shopkeep serve` does: redaction first, then uvicorn, which configures its own logging.
    install_redaction([KEY])
    server = uvicorn.Server(
        uvicorn.Config(chat.app, host="127.0.0.1", port=0, log_level="info", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.05)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    try:
        prying = f"{base}/api/conversations/{OLIVIA}?phone=010-1234-5678&token={token}"
        with pytest.raises(urllib.error.HTTPError) as not_found:
            urllib.request.urlopen(prying)
        assert not_found.value.code == 404
        started = urllib.request.Request(
            f"{base}/api/conversations", data=b"{}", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(started) as answer:
            cookie = answer.headers["set-cookie"].split(";")[0]
            conversation_id = answer.read().decode().split('"id":"')[1].split('"')[0]
        turn = urllib.request.Request(
            f"{base}/api/conversations/{conversation_id}/messages",
            data=b'{"text": "blorp qux zzz"}',
            headers={"Content-Type": "application/json", "Cookie": cookie},
        )
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(turn)
        assert failed.value.code == 500
        assert OLIVIA not in failed.value.read().decode()
    finally:
        server.should_exit = True
        thread.join()
    written = capsys.readouterr()
    logged = written.out + written.err
    assert "GET /api/conversations/" in logged and "404" in logged  # the access log ran
    assert "Exception in ASGI application" in logged and "RuntimeError" in logged
    for value in (OLIVIA, "olivia.brown69%40example.com", "1234-5678", CARD, token):
        assert value not in logged, value
    assert token.split(".")[1] not in logged
