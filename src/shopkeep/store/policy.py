"""The merchant's store policy: the rules the store enforces in code, whatever the model says."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PaymentKind = Literal["credit_card", "gift_card", "paypal", "wallet"]


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
    cancel_reasons: tuple[str, ...] = Field(
        default=("no longer needed", "ordered by mistake"),
        min_length=1,
        description="the reasons a customer may give to cancel an order; the first is the default",
    )
    payment_kinds: tuple[PaymentKind, ...] = Field(
        default=("credit_card", "gift_card", "paypal", "wallet"),
        min_length=1,
        description="the kinds of saved payment method that may pay for an order",
    )
    max_quantity_per_line: int = Field(default=20, ge=1)
    payment_timeout_seconds: int = Field(
        default=900, ge=1, description="an order still awaiting its payment after this is released"
    )


@dataclass(frozen=True)
class PolicyChoice:
    """Marks a text parameter of a tool (in `Annotated[str, PolicyChoice(...)]`) whose allowed
    values are a policy setting, so that its schema is built from the shop's policy."""

    setting: Literal["cancel_reasons", "payment_kinds"]

    def values(self, policy: StorePolicy) -> Sequence[str]:
        values: Sequence[str] = getattr(policy, self.setting)
        return values
