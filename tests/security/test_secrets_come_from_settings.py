"""Secrets come only from the settings (environment variables, the settings file) or a key file
made per shop in its data directory: none is kept in the repository, none has a default, and
none is echoed back in an error, /metrics, the OpenAPI document or a command's output."""

from __future__ import annotations

import math
import os
import re
import secrets
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from chat_bench import Chat
from fastapi.testclient import TestClient
from pydantic import BaseModel, SecretStr
from security_bench import OLIVIA

from shopkeep.api import create_app
from shopkeep.mcp import issue_token, read_token
from shopkeep.settings import AcpSettings, Settings, WebSettings
from shopkeep.store import Store
from shopkeep.store.context import utcnow

REPO = Path(__file__).resolve().parents[2]

KNOWN_SHAPES = {
    "a private key": r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    "an AWS access key": r"\bAKIA[0-9A-Z]{16}\b",
    "an OpenAI-style API key": r"\bsk-[A-Za-z0-9_-]{20,}",
    "a GitHub token": r"\bgh[pousr]_[A-Za-z0-9]{30,}",
    "a Slack token": r"\bxox[abpr]-[A-Za-z0-9-]{10,}",
    "a Google API key": r"\bAIza[0-9A-Za-z_-]{35}",
    "a Stripe live key": r"\b[rs]k_live_[A-Za-z0-9]{10,}",
    "a webhook secret": r"\bwhsec_[A-Za-z0-9]{20,}",
    "a shopkeep MCP token": r"\bskmcp1\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}",
    "a JSON web token": r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.",
}
ASSIGNED = re.compile(
    r"(?i)\b\w*(?:key|secret|token|passw(?:or)?d)\w*[\"']?\s*[:=]\s*[rb]?[\"']"
    r"([A-Za-z0-9_\-+/=.]{20,})[\"']"
)
"""A name that says secret given a literal that could be one."""
SECRET_FILES = re.compile(r"(^|/)(\.env(\..*)?|secret_key|id_rsa|id_ed25519|.*\.pem|.*\.p12)$")


def repository_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [REPO / name for name in listed.split("\0") if name and (REPO / name).is_file()]


def entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def test_that_no_secret_is_kept_in_the_repository() -> None:
    files = repository_files()
    assert len(files) > 100
    found: list[str] = []
    for path in files:
        name = path.relative_to(REPO).as_posix()
        if SECRET_FILES.search(name):
            found.append(f"{name}: a secret's file")
        try:
            content = path.read_text()
        except UnicodeDecodeError:
            continue  # binary: images, weights
        for what, shape in KNOWN_SHAPES.items():
            for match in re.finditer(shape, content):
                found.append(f"{name}: {what} {match.group(0)[:16]}...")
        for match in ASSIGNED.finditer(content):
            value = match.group(1)
            # A hash that pins a download, or a word, is no secret; a random string may be.
            looks_random = entropy(value) >= 3.5 and re.search(r"\d", value)
            if looks_random and not re.fullmatch(r"[0-9a-f]{64}", value):
                found.append(f"{name}: {match.group(0)[:40]}...")
    assert found == []


def secret_fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, Any]]:
    """Every field of the settings, nested ones too, whose name says it holds a secret."""
    found: list[tuple[str, Any]] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found += secret_fields(annotation, f"{prefix}{name}.")
        elif re.search(r"(^|_)(key|secret|password|token)$", name):
            found.append((prefix + name, field))
    return found


def test_that_every_secret_setting_is_a_secret_string_with_no_default() -> None:
    fields = secret_fields(Settings)
    assert {name for name, _ in fields} >= {
        "secret_key",
        "acp.api_key",
        "acp.webhook_secret",
        "llm.api_key",
    }
    for name, field in fields:
        assert field.annotation == SecretStr | None, name
        assert field.default is None, name

    values = {name: secrets.token_urlsafe(24) for name, _ in fields}
    settings = Settings(
        secret_key=values["secret_key"],
        acp=AcpSettings(api_key=values["acp.api_key"], webhook_secret=values["acp.webhook_secret"]),
        llm={"api_key": values["llm.api_key"]},
    )
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    for value in values.values():
        assert value not in shown


def test_that_the_secret_key_comes_from_the_environment_or_a_private_key_file_per_shop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_env = secrets.token_hex(32)
    monkeypatch.setenv("SHOPKEEP_SECRET_KEY", from_env)
    assert Settings(data_dir=tmp_path / "a").resolved_secret_key() == from_env.encode()
    assert not (tmp_path / "a" / "secret_key").exists()

    monkeypatch.delenv("SHOPKEEP_SECRET_KEY")
    one, other = Settings(data_dir=tmp_path / "one"), Settings(data_dir=tmp_path / "other")
    key = one.resolved_secret_key()
    assert re.fullmatch(rb"[0-9a-f]{64}", key)
    assert one.resolved_secret_key() == key  # kept, not made again
    assert other.resolved_secret_key() != key  # no key is built in
    mode = stat.S_IMODE((tmp_path / "one" / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_that_cookies_and_tokens_signed_with_one_shops_key_are_refused_by_another(
    shop: Store, tmp_path: Path
) -> None:
    def app_with(key: str) -> TestClient:
        settings = Settings(
            data_dir=tmp_path / "data", secret_key=key, web=WebSettings(demo_login=True)
        )
        return TestClient(create_app(settings, store=shop, acp_settings=AcpSettings()))

    ours, theirs = secrets.token_hex(32), secrets.token_hex(32)
    olivia = shop.customers.find_by_email(OLIVIA)
    browser = app_with(ours)
    assert browser.post("/api/session", json={"customer_id": olivia}).status_code == 200
    cookie = browser.cookies["shopkeep_session"]
    for key, customer in ((ours, olivia), (theirs, None)):
        other_worker = app_with(key)
        other_worker.cookies.set("shopkeep_session", cookie)
        session = other_worker.get("/api/session").json()
        assert (session["customer"] or {}).get("id") == customer

    token = issue_token(ours.encode(), olivia, now=utcnow())
    assert read_token(ours.encode(), token, now=utcnow()).customer_id == olivia
    with pytest.raises(Exception, match="signature"):
        read_token(theirs.encode(), token, now=utcnow())


def test_that_no_secret_is_echoed_in_errors_metrics_the_openapi_document_or_health(
    shop: Store, tmp_path: Path
) -> None:
    secret_key, acp_key, webhook_secret = (secrets.token_urlsafe(24) for _ in range(3))
    guessed_password = secrets.token_urlsafe(12)
    settings = Settings(
        data_dir=tmp_path / "data", secret_key=secret_key, web=WebSettings(demo_login=True)
    )
    chat = Chat.open(shop, tmp_path / "data")
    app = create_app(
        settings,
        store=shop,
        assistant=chat.app.state.chat.assistant,
        acp_settings=AcpSettings(
            api_key=SecretStr(acp_key),
            webhook_secret=SecretStr(webhook_secret),
            webhook_poll_seconds=0,
        ),
    )
    client = TestClient(app, raise_server_exceptions=False)
    acp = {"API-Version": "2026-04-17", "Idempotency-Key": "k"}
    answers = [
        client.post(
            "/checkout_sessions", json={}, headers={**acp, "Authorization": f"Bearer {acp_key}x"}
        ),
        client.post(
            "/checkout_sessions", json={}, headers={**acp, "Authorization": f"Bearer {acp_key}"}
        ),
        client.post("/api/staff/login", json={"username": "manager", "password": guessed_password}),
        client.post("/api/staff/login", json={"username": guessed_password * 8, "password": "x"}),
        client.post(
            "/api/staff/login",
            content=f'{{"username": "manager", "password": "{guessed_password}"',
            headers={"Content-Type": "application/json"},
        ),
        client.get("/api/conversations/c_0000000000000000"),
        client.get("/no/such/page"),
        client.get("/metrics"),
        client.get("/openapi.json"),
        client.get("/health"),
        client.get("/docs"),
    ]
    assert [a.status_code for a in answers[:4]] == [401, 400, 401, 422]
    for answer in answers:
        for value in (secret_key, acp_key, webhook_secret, guessed_password):
            assert value not in answer.text, (answer.request.url, answer.text[:200])
        assert "Traceback" not in answer.text and OLIVIA not in answer.text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_that_the_mcp_server_prints_no_key_or_token_it_is_given(
    shop: Store, tmp_path: Path
) -> None:
    secret_key = secrets.token_hex(32)
    token = issue_token(secret_key.encode(), shop.customers.find_by_email(OLIVIA), now=utcnow())
    port = free_port()
    env = {
        **os.environ,
        "SHOPKEEP_SECRET_KEY": secret_key,
        "SHOPKEEP_DATABASE_URL": shop.db.engine.url.render_as_string(hide_password=False),
        "SHOPKEEP_DATA_DIR": str(tmp_path / "data"),
        "SHOPKEEP_MCP_TOKEN": token,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "shopkeep.cli.mcp", "--transport", "http", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        while True:
            assert server.poll() is None, server.communicate()[0].decode()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        for bearer in (token[:-4] + "AAAA", f"{token}.{secret_key}"):
            request = urllib.request.Request(
                url,
                data=b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}',
                headers={
                    "Authorization": f"Bearer {bearer}",
                    "Content-Type": "application/json",
                    "Accept": "application/json, text/event-stream",
                },
            )
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request)
            assert refused.value.code == 401
            body = refused.value.read().decode()
            assert secret_key not in body and token.split(".")[1] not in body
    finally:
        server.send_signal(signal.SIGTERM)
        printed = server.communicate(timeout=60)[0].decode()
    assert "shopkeep MCP server at" in printed
    assert secret_key not in printed and token.split(".")[1] not in printed
