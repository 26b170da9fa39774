"""A small, fully known shop for the store's tests, on SQLite and on PostgreSQL."""

from __future__ import annotations

import random

import pytest
from store_seed import Clock, seed

from shopkeep.store import Database, Store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db: Database, clock: Clock) -> Store:
    shop = Store(db, clock=clock, rng=random.Random(7))
    seed(shop)
    return shop


@pytest.fixture
def sqlite_store(sqlite_db: Database, clock: Clock) -> Store:
    shop = Store(sqlite_db, clock=clock, rng=random.Random(7))
    seed(shop)
    return shop
