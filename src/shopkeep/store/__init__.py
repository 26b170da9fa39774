"""The shop's source of truth: catalog, customers, carts, orders, payments, promotions,
after-sales and local stores. No model and no HTTP in here."""

from shopkeep.store.db import Database
from shopkeep.store.errors import StoreError
from shopkeep.store.money import Money
from shopkeep.store.policy import StorePolicy
from shopkeep.store.shop import Store

__all__ = ["Database", "Money", "Store", "StoreError", "StorePolicy"]
