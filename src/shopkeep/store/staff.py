"""Staff accounts for the console: who may sign in, with which role, checked by password."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shopkeep.store.context import StoreContext
from shopkeep.store.errors import InvalidRequest, StaffExists, StaffNotFound
from shopkeep.store.models import StaffMember
from shopkeep.store.views import View

StaffRole = Literal["agent", "manager"]
"""agent: the console (queue, take over, reply, hand back); manager: that and the analytics."""

ROLES: tuple[str, ...] = get_args(StaffRole)
MIN_PASSWORD_CHARS = 8
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
# scrypt's interactive-login parameters (RFC 7914 §2): ~16 MiB and tens of milliseconds a check.
_N, _R, _P = 2**14, 8, 1


class StaffView(View):
    username: str
    display_name: str
    role: StaffRole
    active: bool


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encoded = [base64.b64encode(x).decode() for x in (salt, digest)]
    return f"scrypt${_N}${_R}${_P}${encoded[0]}${encoded[1]}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        given = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(given, expected)


def _view(m: StaffMember) -> StaffView:
    return StaffView(
        username=m.username,
        display_name=m.display_name,
        role=m.role,
        active=m.active,
    )


class StaffAccounts:
    def __init__(self, ctx: StoreContext) -> None:
        self.ctx = ctx

    def add(
        self, username: str, *, password: str, role: str, display_name: str | None = None
    ) -> StaffView:
        if not _USERNAME.match(username):
            raise InvalidRequest(
                "A username is 1 to 64 letters, digits or . _ @ -.", field="username"
            )
        if role not in ROLES:
            raise InvalidRequest(
                f"The role must be one of {', '.join(ROLES)}, not {role!r}.", field="role"
            )
        if len(password) < MIN_PASSWORD_CHARS:
            raise InvalidRequest(
                f"A password needs at least {MIN_PASSWORD_CHARS} characters.", field="password"
            )
        member = StaffMember(
            username=username,
            display_name=(display_name or username).strip()[:128] or username,
            role=role,
            password_hash=hash_password(password),
            active=True,
            created_at=self.ctx.clock(),
        )
        try:
            with self.ctx.db.transaction() as s:
                s.add(member)
                s.flush()
                return _view(member)
        except IntegrityError as e:
            raise StaffExists(username) from e

    def get(self, username: str) -> StaffView:
        with self.ctx.db.reading() as s:
            member = s.scalar(select(StaffMember).where(StaffMember.username == username))
            if member is None:
                raise StaffNotFound(username)
            return _view(member)

    def all(self) -> list[StaffView]:
        with self.ctx.db.reading() as s:
            return [_view(m) for m in s.scalars(select(StaffMember).order_by(StaffMember.id))]

    def authenticate(self, username: str, password: str) -> StaffView | None:
        """The active staff member with these credentials, or None (which of the two was wrong
        is not told)."""
        with self.ctx.db.reading() as s:
            member = s.scalar(select(StaffMember).where(StaffMember.username == username))
            stored = member.password_hash if member is not None else _DUMMY_HASH
            # Check a password even for an unknown name, so timing does not tell names apart.
            ok = password_matches(password, stored)
            if member is None or not ok or not member.active:
                return None
            return _view(member)

    def deactivate(self, username: str) -> StaffView:
        with self.ctx.db.transaction() as s:
            member = s.scalar(select(StaffMember).where(StaffMember.username == username))
            if member is None:
                raise StaffNotFound(username)
            member.active = False
            return _view(member)


_DUMMY_HASH = hash_password(secrets.token_hex(8))
