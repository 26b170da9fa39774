"""What a running `shopkeep serve` writes to its log: the requests it served, with no configured
secret, email or card number in them, whatever a client put in the URL."""

from __future__ import annotations

import secrets
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from web_harness import start_server

CARD = "4111111111111111"
EMAIL = "olivia.brown69@example.com"


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def test_that_shopkeep_serve_logs_requests_without_secrets_emails_or_card_numbers(
    live_demo_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "shop.sqlite3"
    shutil.copy(live_demo_template, path)
    api_key = "acp-" + secrets.token_hex(16)
    secret_key = secrets.token_hex(24)
    server = start_server(
        f"sqlite:///{path}",
        tmp_path / "data",
        extra_env={"SHOPKEEP_ACP__API_KEY": api_key, "SHOPKEEP_SECRET_KEY": secret_key},
    )
    try:
        assert _get(f"{server.base_url}/health?q={api_key}&s={secret_key}") == 200
        assert _get(f"{server.base_url}/api/conversations/{EMAIL}") == 404
        assert _get(f"{server.base_url}/health?card={CARD}") == 200
    finally:
        server.stop()
    log = server.log.read_text()
    # the requests are in the log, with what they carried hidden
    assert "GET /health?q=[redacted]&s=[redacted]" in log, log
    assert "GET /api/conversations/[email]" in log, log
    assert "GET /health?card=**** 1111" in log, log
    for shown in (api_key, secret_key, EMAIL, CARD):
        assert shown not in log, shown
