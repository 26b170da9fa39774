"""Access tokens of the MCP server: an HMAC-signed string that names one customer."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PREFIX = "skmcp1"
# Domain separation: the same secret key signs other things (API tokens, webhooks), and a
# signature made for one of them must never pass as an MCP token.
_PURPOSE = b"shopkeep mcp token v1\n"


class TokenRefused(Exception):
    """The token is malformed, forged, tampered with or expired."""

    code = "invalid_token"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CustomerToken:
    """What a verified token says: whose it is, and its own id (one MCP conversation each)."""

    customer_id: str
    token_id: str
    issued_at: datetime
    expires_at: datetime | None


def issue_token(
    key: bytes, customer_id: str, *, now: datetime, lifetime: timedelta | None = None
) -> str:
    """A token acting as `customer_id`, valid for `lifetime` (None: until the key changes)."""
    claims: dict[str, str | int] = {
        "sub": customer_id,
        "jti": secrets.token_hex(8),
        "iat": int(now.timestamp()),
    }
    if lifetime is not None:
        claims["exp"] = int((now + lifetime).timestamp())
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{PREFIX}.{body}.{_b64(_signature(key, body))}"


def read_token(key: bytes, token: str, *, now: datetime) -> CustomerToken:
    """The token's claims, once its signature is checked; TokenRefused otherwise."""
    parts = token.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise TokenRefused("This is not a shopkeep MCP token (made by `shopkeep mcp token`).")
    _, body, signature = parts
    try:
        given = _unb64(signature)
    except (binascii.Error, ValueError):
        raise TokenRefused("The token's signature is malformed.") from None
    if not hmac.compare_digest(given, _signature(key, body)):
        raise TokenRefused("The token's signature does not match: it was changed or forged.")
    try:
        claims = json.loads(_unb64(body))
        token_ = CustomerToken(
            customer_id=str(claims["sub"]),
            token_id=str(claims["jti"]),
            issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
            expires_at=(
                datetime.fromtimestamp(int(claims["exp"]), UTC) if "exp" in claims else None
            ),
        )
    except (ValueError, KeyError, TypeError):
        # Signed by our key yet unreadable: only a bug could make one, but refuse it anyway.
        raise TokenRefused("The token's claims are unreadable.") from None
    if token_.expires_at is not None and now >= token_.expires_at:
        raise TokenRefused(f"The token expired at {token_.expires_at.isoformat()}.")
    return token_


def _signature(key: bytes, body: str) -> bytes:
    return hmac.new(key, _PURPOSE + body.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
