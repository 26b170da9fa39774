"""Staff accounts for the console: who may sign in, with which role, checked by password."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from zxcvbn import zxcvbn

from shopkeep.store.context import StoreContext
from shopkeep.store.errors import (
    InvalidRequest,
    StaffExists,
    StaffNotFound,
    TooManyTries,
    WeakPassword,
)
from shopkeep.store.models import ProofFailure, StaffMember, StaffSession
from shopkeep.store.views import View

StaffRole = Literal["agent", "manager"]
"""agent: the console (queue, take over, reply, hand back); manager: that and the analytics."""

ROLES: tuple[str, ...] = get_args(StaffRole)
MIN_PASSWORD_CHARS = 10
MIN_PASSWORD_SCORE = 3
"""zxcvbn's scale, 0 to 4: 3 is "safely unguessable" against an online attack, and refuses
the common passwords of its lists (12345678, password1, qwertyuiop...)."""
FREE_FAILURES = 3
"""Wrong passwords (per account and per address, in the window) before each try must wait."""
LOCK_FAILURES = 10
"""Wrong passwords after which the account and the address are locked for the window."""
FAILURE_WINDOW = timedelta(minutes=15)
DEFAULT_DISPLAY_NAME = "Support"
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


def check_password(password: str, *, username: str, display_name: str = "") -> None:
    """Refuse a short, common or easily guessed password (WeakPassword says why)."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(
            f"A password needs at least {MIN_PASSWORD_CHARS} characters.", field="password"
        )
    verdict = zxcvbn(password[:100], user_inputs=[username, display_name, "shopkeep"])
    if verdict["score"] < MIN_PASSWORD_SCORE:
        feedback = verdict.get("feedback") or {}
        why = feedback.get("warning") or "It is too easy to guess."
        hint = " ".join(feedback.get("suggestions") or [])
        raise WeakPassword(f"Choose a stronger password. {why} {hint}".strip(), field="password")


def _session_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
        self,
        username: str,
        *,
        password: str,
        role: str,
        display_name: str | None = None,
        published: bool = False,
    ) -> StaffView:
        """A new account. The password must pass `check_password`, except a demo store's
        `published` ones (printed in the README, so no rule makes them secret)."""
        if not _USERNAME.match(username):
            raise InvalidRequest(
                "A username is 1 to 64 letters, digits or . _ @ -.", field="username"
            )
        if role not in ROLES:
            raise InvalidRequest(
                f"The role must be one of {', '.join(ROLES)}, not {role!r}.", field="role"
            )
        if not published:
            check_password(password, username=username, display_name=display_name or "")
        member = StaffMember(
            username=username,
            # Shoppers see the display name: without one, never the sign-in name.
            display_name=(display_name or "").strip()[:128] or DEFAULT_DISPLAY_NAME,
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
        """No more sign-ins, and every open session ends now."""
        with self.ctx.db.transaction() as s:
            member = s.scalar(select(StaffMember).where(StaffMember.username == username))
            if member is None:
                raise StaffNotFound(username)
            member.active = False
            now = self.ctx.clock()
            for session in s.scalars(
                select(StaffSession).where(
                    StaffSession.username == username, StaffSession.revoked_at.is_(None)
                )
            ):
                session.revoked_at = now
            return _view(member)

    # --- sign-in with back-off, and server-side sessions ------------------------------------

    def sign_in(self, username: str, password: str, *, client: str) -> StaffView | None:
        """`authenticate`, slowed down after repeated failures: past FREE_FAILURES wrong
        passwords for the account or from the address (in FAILURE_WINDOW), each try waits twice
        as long as the one before; past LOCK_FAILURES both are locked for the window. Raises
        TooManyTries (with the wait) without checking the password meanwhile."""
        self._check_backoff(username, client)
        account = self.authenticate(username, password)
        with self.ctx.db.transaction() as s:
            if account is None:
                s.add(
                    ProofFailure(
                        kind="staff",
                        subject=username[:255],
                        client=client[:64],
                        at=self.ctx.clock(),
                    )
                )
            else:
                for failure in s.scalars(
                    select(ProofFailure).where(
                        ProofFailure.kind == "staff", ProofFailure.subject == username
                    )
                ):
                    s.delete(failure)
        return account

    def _check_backoff(self, username: str, client: str) -> None:
        now = self.ctx.clock()
        since = now - FAILURE_WINDOW
        with self.ctx.db.reading() as s:
            recent: list[datetime] = []
            for column, value in ((ProofFailure.subject, username), (ProofFailure.client, client)):
                times = list(
                    s.scalars(
                        select(ProofFailure.at).where(
                            ProofFailure.kind == "staff", column == value, ProofFailure.at > since
                        )
                    )
                )
                if len(times) > len(recent):
                    recent = times
        failures = len(recent)
        if failures < FREE_FAILURES:
            return
        last = max(recent)
        if failures >= LOCK_FAILURES:
            wait = FAILURE_WINDOW
        else:
            wait = timedelta(seconds=2 ** (failures - FREE_FAILURES + 1))
        left = (last + wait - now).total_seconds()
        if left > 0:
            raise TooManyTries("failed sign-ins", int(left) + 1)

    def open_session(self, username: str, lifetime: timedelta) -> str:
        """A new session for the account: the token for the cookie (only its digest is kept)."""
        token = secrets.token_urlsafe(32)
        now = self.ctx.clock()
        with self.ctx.db.transaction() as s:
            s.add(
                StaffSession(
                    id=_session_key(token),
                    username=username,
                    created_at=now,
                    expires_at=now + lifetime,
                    revoked_at=None,
                )
            )
        return token

    def session_user(self, token: str) -> StaffView | None:
        """The active account of a live session (not signed out, not expired, not
        deactivated), or None."""
        now = self.ctx.clock()
        with self.ctx.db.reading() as s:
            session = s.get(StaffSession, _session_key(token))
            if session is None or session.revoked_at is not None or session.expires_at <= now:
                return None
            member = s.scalar(select(StaffMember).where(StaffMember.username == session.username))
            if member is None or not member.active:
                return None
            return _view(member)

    def close_session(self, token: str) -> None:
        with self.ctx.db.transaction() as s:
            session = s.get(StaffSession, _session_key(token))
            if session is not None and session.revoked_at is None:
                session.revoked_at = self.ctx.clock()


_DUMMY_HASH = hash_password(secrets.token_hex(8))
