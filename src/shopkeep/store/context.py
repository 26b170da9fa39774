"""What every store service shares: the database, the policy, the payment gateway and a clock."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from shopkeep.store.db import Database
from shopkeep.store.policy import StorePolicy

if TYPE_CHECKING:
    from shopkeep.store.payments import PaymentGateway

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class StoreContext:
    db: Database
    policy: StorePolicy
    gateway: PaymentGateway
    clock: Clock = utcnow
    # Where new ids come from; a seeded Random makes a seeded demo store the same every time.
    rng: random.Random = field(default_factory=random.SystemRandom)

    def new_id(self, prefix: str, digits: int) -> str:
        return prefix + "".join(str(self.rng.randrange(10)) for _ in range(digits))
