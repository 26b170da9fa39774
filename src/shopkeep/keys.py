"""One key per purpose, derived from the shop's master key (HKDF-SHA256, RFC 5869) with a
distinct label each, so a signature made for one purpose is worthless for every other."""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal, get_args

Purpose = Literal["session", "mcp", "webhook", "identity", "identity-code"]
"""session: the web chat's and the console's cookies; mcp: MCP access tokens; webhook: the
Merchant-Signature of order webhooks; identity: the merchant's signed customer tokens;
identity-code: the digests of one-time codes kept in the database."""

PURPOSES: tuple[str, ...] = get_args(Purpose)
_SALT = b"shopkeep key derivation v1"


def derive(master: bytes, purpose: Purpose, length: int = 32) -> bytes:
    """The key for `purpose`: HKDF-Extract then HKDF-Expand with the purpose as the info."""
    if purpose not in PURPOSES:
        raise ValueError(f"no such key purpose: {purpose!r}")
    prk = hmac.new(_SALT, master, hashlib.sha256).digest()
    info = f"shopkeep/{purpose}".encode()
    out, block = b"", b""
    counter = 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]
