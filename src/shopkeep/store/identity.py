"""Proof of identity kept by the store: one-time codes (their keyed digests only), and the
failures of codes and staff passwords that slow down and lock an account and an address."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select

from shopkeep.store.context import StoreContext
from shopkeep.store.errors import TooManyTries
from shopkeep.store.models import IdentityCode, ProofFailure

CODE_DIGITS = 6
CODE_FAILURES = 5
"""Wrong tries one code takes before it is dead."""
FailureKind = Literal["code", "staff"]
WINDOW = timedelta(hours=1)


def _digest(key: bytes, customer_id: str, code: str) -> str:
    return hmac.new(key, f"{customer_id}\n{code}".encode(), hashlib.sha256).hexdigest()


def _wait(oldest: datetime, now: datetime, window: timedelta) -> int:
    return max(1, int((oldest + window - now).total_seconds()) + 1)


class Proofs:
    def __init__(self, ctx: StoreContext) -> None:
        self.ctx = ctx

    # --- one-time codes ---------------------------------------------------------------------

    def issue_code(
        self, customer_id: str, *, key: bytes, lifetime: timedelta, per_hour: int
    ) -> str:
        """A new code for the customer (their earlier ones die); TooManyTries past `per_hour`
        codes an hour. Only the code's digest under `key` is kept."""
        now = self.ctx.clock()
        code = "".join(str(secrets.randbelow(10)) for _ in range(CODE_DIGITS))
        with self.ctx.db.transaction() as s:
            recent = list(
                s.scalars(
                    select(IdentityCode.created_at)
                    .where(
                        IdentityCode.customer_id == customer_id,
                        IdentityCode.created_at > now - WINDOW,
                    )
                    .order_by(IdentityCode.created_at)
                )
            )
            if len(recent) >= per_hour:
                raise TooManyTries("codes asked for", _wait(recent[0], now, WINDOW))
            for old in s.scalars(
                select(IdentityCode).where(
                    IdentityCode.customer_id == customer_id, IdentityCode.used_at.is_(None)
                )
            ):
                old.used_at = now
            s.add(
                IdentityCode(
                    customer_id=customer_id,
                    digest=_digest(key, customer_id, code),
                    created_at=now,
                    expires_at=now + lifetime,
                    used_at=None,
                    failures=0,
                )
            )
        return code

    def redeem_code(
        self, customer_id: str, code: str, *, key: bytes, client: str, failures_per_hour: int
    ) -> bool:
        """True, once, for the customer's live code; a wrong code counts against the customer
        and the client address, and either past `failures_per_hour` refuses every code
        (TooManyTries) until the hour is over."""
        self.check_not_locked("code", customer_id, client, failures_per_hour)
        now = self.ctx.clock()
        given = _digest(key, customer_id, code.strip())
        with self.ctx.db.transaction() as s:
            live = s.scalar(
                select(IdentityCode)
                .where(
                    IdentityCode.customer_id == customer_id,
                    IdentityCode.used_at.is_(None),
                    IdentityCode.expires_at > now,
                )
                .order_by(IdentityCode.created_at.desc())
                .limit(1)
            )
            if live is not None and hmac.compare_digest(live.digest, given):
                live.used_at = now
                return True
            if live is not None:
                live.failures += 1
                if live.failures >= CODE_FAILURES:
                    live.used_at = now
        self.record_failure("code", customer_id, client)
        return False

    # --- failures ---------------------------------------------------------------------------

    def record_failure(self, kind: FailureKind, subject: str, client: str) -> None:
        with self.ctx.db.transaction() as s:
            s.add(ProofFailure(kind=kind, subject=subject, client=client[:64], at=self.ctx.clock()))

    def failures(self, kind: FailureKind, subject: str, client: str) -> tuple[int, int]:
        """Failures in the last hour for this subject, and from this client address."""
        since = self.ctx.clock() - WINDOW
        with self.ctx.db.reading() as s:
            counts = []
            for column, value in ((ProofFailure.subject, subject), (ProofFailure.client, client)):
                counts.append(
                    s.scalar(
                        select(func.count())
                        .select_from(ProofFailure)
                        .where(ProofFailure.kind == kind, column == value, ProofFailure.at > since)
                    )
                    or 0
                )
            return counts[0], counts[1]

    def last_failure(self, kind: FailureKind, subject: str, client: str) -> datetime | None:
        with self.ctx.db.reading() as s:
            return s.scalar(
                select(func.max(ProofFailure.at)).where(
                    ProofFailure.kind == kind,
                    (ProofFailure.subject == subject) | (ProofFailure.client == client),
                )
            )

    def check_not_locked(self, kind: FailureKind, subject: str, client: str, per_hour: int) -> None:
        by_subject, by_client = self.failures(kind, subject, client)
        if max(by_subject, by_client) >= per_hour:
            last = self.last_failure(kind, subject, client) or self.ctx.clock()
            what = "wrong codes" if kind == "code" else "failed sign-ins"
            raise TooManyTries(what, _wait(last, self.ctx.clock(), WINDOW))

    def clear_failures(self, kind: FailureKind, subject: str) -> None:
        with self.ctx.db.transaction() as s:
            for failure in s.scalars(
                select(ProofFailure).where(
                    ProofFailure.kind == kind, ProofFailure.subject == subject
                )
            ):
                s.delete(failure)
