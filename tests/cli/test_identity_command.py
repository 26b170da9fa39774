"""`shopkeep identity token`: a token the shop accepts, signed as the merchant's site would."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from shopkeep.identity import read_customer
from shopkeep.store.errors import IdentityTokenRefused

SHOPKEEP = [sys.executable, "-m", "shopkeep.cli"]


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SHOPKEEP_IDENTITY__")}
    return subprocess.run(
        [*SHOPKEEP, "identity", "token", *args],
        capture_output=True,
        text=True,
        env={**clean, "COLUMNS": "400", **env},
        check=False,
    )


def test_that_the_token_names_the_customer_and_only_the_shops_secret_reads_it() -> None:
    done = run(
        "--customer-id",
        "site-42",
        "--email",
        "ana@example.com",
        "--seconds",
        "120",
        SHOPKEEP_IDENTITY__SECRET="merchant-and-shop-secret",
    )
    assert done.returncode == 0, done.stderr
    signed, address = done.stdout.split()
    assert address == f"http://127.0.0.1:8000/#identity={signed}"
    now = datetime.now(UTC)
    customer = read_customer(
        b"merchant-and-shop-secret", signed, now=now, max_lifetime=timedelta(seconds=600)
    )
    assert (customer.customer_id, customer.email) == ("site-42", "ana@example.com")
    assert now < customer.expires <= now + timedelta(seconds=121)
    with pytest.raises(IdentityTokenRefused, match="signature"):
        read_customer(b"another-secret", signed, now=now, max_lifetime=timedelta(seconds=600))


def test_that_without_a_secret_or_beyond_the_shops_lifetime_it_says_why() -> None:
    unset = run("--customer-id", "1", "--email", "a@example.com")
    assert unset.returncode == 2 and "SHOPKEEP_IDENTITY__SECRET" in unset.stderr
    too_long = run(
        "--customer-id",
        "1",
        "--email",
        "a@example.com",
        "--seconds",
        "3600",
        SHOPKEEP_IDENTITY__SECRET="s",
    )
    assert too_long.returncode == 2 and "600 s" in too_long.stderr
