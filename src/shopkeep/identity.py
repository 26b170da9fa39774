"""The customer tokens a merchant's site signs to pass its signed-in customer to the chat, as
Intercom's identity verification does: HMAC-SHA256, under the shop's identity secret, over the
customer's id, email and an expiry a few minutes ahead.

    body  = base64url(JSON {"customer_id": ..., "email": ..., "expires": <unix seconds>})
    token = body + "." + hex(HMAC-SHA256(identity secret, body))
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from shopkeep.store.errors import IdentityTokenRefused

IdentityMode = Literal["signed", "code", "tau2"]
"""How a chat customer proves who they are. signed: the merchant's site vouches with a signed
token; code: a one-time code sent to the customer's email; tau2: knowing an email, or a name
and zip code (tau2-bench's rule, for evaluation only)."""

MAX_TOKEN_CHARS = 2048


@dataclass(frozen=True)
class SignedCustomer:
    customer_id: str
    email: str
    expires: datetime


def sign_customer(key: bytes, customer_id: str, email: str, *, expires: datetime) -> str:
    """What the merchant's backend does (this is the reference; docs/web.md has it in a few
    lines for other languages)."""
    claims = {"customer_id": customer_id, "email": email, "expires": int(expires.timestamp())}
    body = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode())
    text = body.rstrip(b"=").decode()
    return f"{text}.{hmac.new(key, text.encode(), hashlib.sha256).hexdigest()}"


def read_customer(
    key: bytes, token: str, *, now: datetime, max_lifetime: timedelta
) -> SignedCustomer:
    """The customer a token vouches for, once its signature and expiry are checked;
    IdentityTokenRefused (saying what is wrong, never the token) otherwise."""
    if not key:
        raise IdentityTokenRefused("This shop takes no customer tokens (no identity secret).")
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise IdentityTokenRefused("This is not a customer token (body.signature).")
    body, signature = token.strip().split(".")
    expected = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
        raise IdentityTokenRefused("The customer token's signature does not match.")
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        signed = SignedCustomer(
            customer_id=str(claims["customer_id"]),
            email=str(claims["email"]),
            expires=datetime.fromtimestamp(int(claims["expires"]), UTC),
        )
    except (ValueError, KeyError, TypeError, binascii.Error, OverflowError, OSError):
        raise IdentityTokenRefused("The customer token's claims are unreadable.") from None
    if signed.expires <= now:
        raise IdentityTokenRefused("The customer token has expired; sign a new one.")
    if signed.expires > now + max_lifetime:
        raise IdentityTokenRefused(
            f"The customer token lives too long: at most {int(max_lifetime.total_seconds())} s."
        )
    return signed
