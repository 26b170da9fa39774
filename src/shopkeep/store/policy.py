"""The merchant's store policy: the rules the store enforces in code, whatever the model says."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class StorePolicy(BaseModel):
    """Operator-set rules. Amounts are integer minor units of `currency`."""

    model_config = ConfigDict(frozen=True)

    currency: str = "USD"
    shipping_fee_minor: int = Field(default=599, ge=0)
    free_shipping_threshold_minor: int | None = Field(default=5000, ge=0)
    local_delivery_fee_minor: int = Field(default=299, ge=0)
    return_window_days: int | None = Field(
        default=30,
        ge=0,
        description="days after delivery a return or exchange is accepted; None: no limit",
    )
    cancel_reasons: tuple[str, ...] = ("no longer needed", "ordered by mistake")
    max_quantity_per_line: int = Field(default=20, ge=1)
    payment_timeout_seconds: int = Field(
        default=900, ge=1, description="an order still awaiting its payment after this is released"
    )
