"""Promotions: coupons and subsidy campaigns, and the price breakdown of an order.

Budgets and limits stay exact under parallel checkouts: a campaign's row is locked while its
budget is spent (`spent <= budget` is also a database constraint), and a coupon's per-customer
uses are numbered under a unique constraint, so two checkouts can never take the same use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shopkeep.store.context import StoreContext
from shopkeep.store.errors import (
    CampaignNotApplicable,
    CampaignNotFound,
    CouponNotApplicable,
    CouponNotFound,
    InvalidRequest,
)
from shopkeep.store.models import (
    Campaign,
    CampaignSubsidy,
    Coupon,
    CouponRedemption,
    Order,
    OrderKind,
)
from shopkeep.store.money import Money, percent_of
from shopkeep.store.views import CampaignView, CouponView, Quote, QuoteLine, View


@dataclass
class PricedLine:
    """One line of an order about to be placed, priced from the catalog or the menu."""

    name: str
    unit_price_minor: int
    quantity: int
    options: dict[str, Any]
    currency: str
    category: str | None = None
    product_id: str | None = None
    variant_id: str | None = None
    menu_item_id: str | None = None

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity


@dataclass
class Pricing:
    lines: list[PricedLine]
    currency: str
    subtotal: int
    coupon: Coupon | None = None
    discount: int = 0
    campaign: Campaign | None = None
    subsidy: int = 0
    shipping: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.subtotal - self.discount - self.subsidy + self.shipping

    def quote(self) -> Quote:
        def money(amount: int) -> Money:
            return Money(amount, self.currency)

        return Quote(
            lines=[
                QuoteLine(
                    name=line.name,
                    options=line.options,
                    unit_price=money(line.unit_price_minor),
                    quantity=line.quantity,
                    line_total=money(line.total_minor),
                    variant_id=line.variant_id,
                    menu_item_id=line.menu_item_id,
                )
                for line in self.lines
            ],
            subtotal=money(self.subtotal),
            coupon_code=self.coupon.code if self.coupon else None,
            discount=money(self.discount),
            campaign_id=self.campaign.id if self.campaign else None,
            campaign_name=dict(self.campaign.name) if self.campaign else None,
            subsidy=money(self.subsidy),
            shipping=money(self.shipping),
            total=money(self.total),
            notes=list(self.notes),
        )


class CouponStanding(View):
    """A coupon and whether it can be used now; `reason` (CouponNotApplicable's) when not."""

    coupon: CouponView
    usable: bool
    reason: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


def coupon_view(c: Coupon) -> CouponView:
    return CouponView(
        code=c.code,
        kind=c.kind,
        value=c.value,
        min_spend=Money(c.min_spend_minor, c.currency),
        max_discount=Money(c.max_discount_minor, c.currency)
        if c.max_discount_minor is not None
        else None,
        per_customer_limit=c.per_customer_limit,
        valid_from=c.valid_from,
        valid_until=c.valid_until,
        applies_to=c.applies_to,
        title=dict(c.title),
        active=c.active,
    )


def campaign_view(c: Campaign) -> CampaignView:
    return CampaignView(
        id=c.id,
        name=dict(c.name),
        kind=c.kind,
        value=c.value,
        max_subsidy=Money(c.max_subsidy_minor, c.currency)
        if c.max_subsidy_minor is not None
        else None,
        min_spend=Money(c.min_spend_minor, c.currency),
        budget=Money(c.budget_minor, c.currency),
        spent=Money(c.spent_minor, c.currency),
        remaining=Money(c.budget_minor - c.spent_minor, c.currency),
        starts_at=c.starts_at,
        ends_at=c.ends_at,
        applies_to=c.applies_to,
        categories=list(c.categories),
        store_ids=list(c.store_ids),
        active=c.active,
    )


def _running(active: bool, start: datetime | None, end: datetime | None, now: datetime) -> bool:
    return active and (start is None or start <= now) and (end is None or now < end)


def _uses(s: Session, code: str, customer_id: str) -> int:
    return (
        s.scalar(
            select(func.count())
            .select_from(CouponRedemption)
            .where(
                CouponRedemption.coupon_code == code, CouponRedemption.customer_id == customer_id
            )
        )
        or 0
    )


def check_coupon(
    s: Session,
    code: str,
    *,
    customer_id: str,
    kind: str,
    currency: str,
    subtotal: int,
    now: datetime,
    lock: bool,
) -> Coupon:
    """The coupon, if this customer may use it on this order now; else why not."""
    query = select(Coupon).where(Coupon.code == code.strip().upper())
    coupon = s.scalar(query.with_for_update() if lock else query)
    if coupon is None:
        raise CouponNotFound(code)
    if lock:
        s.refresh(coupon)
    if not coupon.active:
        raise CouponNotApplicable(coupon.code, "inactive")
    if coupon.valid_from is not None and now < coupon.valid_from:
        raise CouponNotApplicable(
            coupon.code, "not_started", valid_from=coupon.valid_from.isoformat()
        )
    if coupon.valid_until is not None and now >= coupon.valid_until:
        raise CouponNotApplicable(
            coupon.code, "expired", valid_until=coupon.valid_until.isoformat()
        )
    if coupon.applies_to not in ("all", kind):
        raise CouponNotApplicable(coupon.code, "not_for_channel", applies_to=coupon.applies_to)
    if coupon.currency != currency:
        raise CouponNotApplicable(coupon.code, "currency_mismatch")
    if subtotal < coupon.min_spend_minor:
        raise CouponNotApplicable(
            coupon.code,
            "min_spend_not_met",
            min_spend=coupon.min_spend_minor,
            subtotal=subtotal,
            short_by=coupon.min_spend_minor - subtotal,
            currency=coupon.currency,
        )
    if coupon.total_limit is not None and coupon.redeemed_count >= coupon.total_limit:
        raise CouponNotApplicable(coupon.code, "usage_limit_reached")
    used = _uses(s, coupon.code, customer_id)
    if used >= coupon.per_customer_limit:
        raise CouponNotApplicable(
            coupon.code, "customer_limit_reached", limit=coupon.per_customer_limit, used=used
        )
    return coupon


def coupon_discount(coupon: Coupon, subtotal: int) -> int:
    amount = percent_of(subtotal, coupon.value) if coupon.kind == "percent" else coupon.value
    if coupon.max_discount_minor is not None:
        amount = min(amount, coupon.max_discount_minor)
    return min(amount, subtotal)


def _eligible_base(campaign: Campaign, lines: list[PricedLine], store_id: str | None) -> int:
    if campaign.store_ids and store_id not in campaign.store_ids:
        return 0
    if not campaign.categories:
        return sum(line.total_minor for line in lines)
    return sum(line.total_minor for line in lines if line.category in campaign.categories)


def campaign_subsidy(campaign: Campaign, base: int, ceiling: int) -> int:
    """What the campaign pays for an order: its rate, capped per order, by what is left of the
    budget, and by what the customer still owes."""
    if base <= 0 or base < campaign.min_spend_minor:
        return 0
    amount = percent_of(base, campaign.value) if campaign.kind == "percent" else campaign.value
    if campaign.max_subsidy_minor is not None:
        amount = min(amount, campaign.max_subsidy_minor)
    return max(0, min(amount, campaign.budget_minor - campaign.spent_minor, ceiling))


def price_order(
    s: Session,
    ctx: StoreContext,
    *,
    customer_id: str,
    kind: OrderKind,
    lines: list[PricedLine],
    coupon_code: str | None,
    campaign_id: str | None = None,
    store_id: str | None = None,
    fulfilment: str = "shipping",
    lock: bool = False,
) -> Pricing:
    """The full breakdown: subtotal, coupon, campaign subsidy, shipping, total.

    With `lock`, the coupon and the chosen campaign are locked for the caller's transaction,
    so what is priced here is what gets spent."""
    now = ctx.clock()
    currency = ctx.policy.currency
    if any(line.currency != currency for line in lines):
        raise InvalidRequest(f"Every item of an order must be priced in {currency}.")
    pricing = Pricing(
        lines=lines, currency=currency, subtotal=sum(line.total_minor for line in lines)
    )
    if coupon_code:
        pricing.coupon = check_coupon(
            s,
            coupon_code,
            customer_id=customer_id,
            kind=kind,
            currency=currency,
            subtotal=pricing.subtotal,
            now=now,
            lock=lock,
        )
        pricing.discount = coupon_discount(pricing.coupon, pricing.subtotal)
    _apply_campaign(
        s, pricing, now=now, kind=kind, campaign_id=campaign_id, store_id=store_id, lock=lock
    )
    policy = ctx.policy
    if kind == OrderKind.RETAIL:
        after = pricing.subtotal - pricing.discount - pricing.subsidy
        free = policy.free_shipping_threshold_minor
        if free is not None and after >= free:
            pricing.notes.append("free_shipping")
        else:
            pricing.shipping = policy.shipping_fee_minor
    elif fulfilment == "delivery":
        pricing.shipping = policy.local_delivery_fee_minor
    return pricing


def _apply_campaign(
    s: Session,
    pricing: Pricing,
    *,
    now: datetime,
    kind: str,
    campaign_id: str | None,
    store_id: str | None,
    lock: bool,
) -> None:
    query = select(Campaign).order_by(Campaign.id)
    if campaign_id is not None:
        campaign = s.get(Campaign, campaign_id)
        if campaign is None:
            raise CampaignNotFound(campaign_id)
        if not _running(campaign.active, campaign.starts_at, campaign.ends_at, now):
            raise CampaignNotApplicable(campaign_id, "the campaign is not running")
        query = query.where(Campaign.id == campaign_id)
    candidates = [
        c
        for c in s.scalars(query.where(Campaign.active.is_(True)))
        if _running(c.active, c.starts_at, c.ends_at, now)
        and c.applies_to in ("all", kind)
        and c.currency == pricing.currency
    ]
    ceiling = pricing.subtotal - pricing.discount
    best: tuple[int, Campaign] | None = None
    for campaign in candidates:
        base = _eligible_base(campaign, pricing.lines, store_id)
        if base <= 0:
            continue
        if campaign.spent_minor >= campaign.budget_minor:
            pricing.notes.append(f"campaign_budget_exhausted:{campaign.id}")
            continue
        amount = campaign_subsidy(campaign, base, ceiling)
        if amount > 0 and (best is None or amount > best[0]):
            best = (amount, campaign)
    if best is None:
        if campaign_id is not None and not any(n.endswith(campaign_id) for n in pricing.notes):
            raise CampaignNotApplicable(campaign_id, "this order is not eligible")
        return
    campaign = best[1]
    if lock:
        campaign = s.execute(
            select(Campaign).where(Campaign.id == campaign.id).with_for_update()
        ).scalar_one()
        s.refresh(campaign)
    amount = campaign_subsidy(campaign, _eligible_base(campaign, pricing.lines, store_id), ceiling)
    if amount <= 0:
        pricing.notes.append(f"campaign_budget_exhausted:{campaign.id}")
        return
    pricing.campaign, pricing.subsidy = campaign, amount


def redeem(s: Session, pricing: Pricing, order: Order, now: datetime) -> None:
    """Spend what `pricing` promised, for `order`, inside the caller's transaction."""
    if pricing.coupon is not None:
        coupon = pricing.coupon
        coupon.redeemed_count += 1
        while True:
            used = _uses(s, coupon.code, order.customer_id)
            if used >= coupon.per_customer_limit:
                raise CouponNotApplicable(
                    coupon.code,
                    "customer_limit_reached",
                    limit=coupon.per_customer_limit,
                    used=used,
                )
            number = (
                s.scalar(
                    select(func.max(CouponRedemption.use_number)).where(
                        CouponRedemption.coupon_code == coupon.code,
                        CouponRedemption.customer_id == order.customer_id,
                    )
                )
                or 0
            ) + 1
            try:
                with s.begin_nested():
                    s.add(
                        CouponRedemption(
                            coupon_code=coupon.code,
                            customer_id=order.customer_id,
                            order_id=order.id,
                            use_number=number,
                            amount_minor=pricing.discount,
                            at=now,
                        )
                    )
                break
            except IntegrityError:
                continue  # a parallel checkout by the same customer took this use; count again
    if pricing.campaign is not None and pricing.subsidy > 0:
        campaign = pricing.campaign
        if campaign.spent_minor + pricing.subsidy > campaign.budget_minor:
            raise CampaignNotApplicable(campaign.id, "its budget is spent")
        campaign.spent_minor += pricing.subsidy
        s.add(
            CampaignSubsidy(
                campaign_id=campaign.id, order_id=order.id, amount_minor=pricing.subsidy, at=now
            )
        )


def release(s: Session, order: Order) -> None:
    """Give back what an order took from promotions (its order was cancelled or never paid)."""
    if order.coupon_code is not None:
        removed = s.execute(
            delete(CouponRedemption).where(CouponRedemption.order_id == order.id)
        ).rowcount  # type: ignore[attr-defined]
        if removed:
            coupon = s.execute(
                select(Coupon).where(Coupon.code == order.coupon_code).with_for_update()
            ).scalar_one()
            coupon.redeemed_count = max(0, coupon.redeemed_count - removed)
    subsidy = s.scalar(
        select(CampaignSubsidy).where(
            CampaignSubsidy.order_id == order.id, CampaignSubsidy.released.is_(False)
        )
    )
    if subsidy is not None:
        campaign = s.execute(
            select(Campaign).where(Campaign.id == subsidy.campaign_id).with_for_update()
        ).scalar_one()
        s.refresh(campaign)
        campaign.spent_minor -= subsidy.amount_minor
        subsidy.released = True


class CouponInput(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    kind: str = Field(pattern="^(percent|amount)$")
    value: int = Field(gt=0)
    currency: str | None = None  # the store's
    min_spend: int = Field(default=0, ge=0)
    max_discount: int | None = Field(default=None, gt=0)
    per_customer_limit: int = Field(default=1, ge=1)
    total_limit: int | None = Field(default=None, ge=1)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    applies_to: str = Field(default="all", pattern="^(all|retail|local)$")
    title: dict[str, str] = Field(default_factory=dict)
    active: bool = True


class CampaignInput(BaseModel):
    id: str
    name: dict[str, str]
    kind: str = Field(pattern="^(percent|amount)$")
    value: int = Field(gt=0)
    max_subsidy: int | None = Field(default=None, gt=0)
    min_spend: int = Field(default=0, ge=0)
    currency: str | None = None  # the store's
    budget: int = Field(gt=0)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    applies_to: str = Field(default="all", pattern="^(all|retail|local)$")
    categories: list[str] = Field(default_factory=list)
    store_ids: list[str] = Field(default_factory=list)
    active: bool = True


class Promotions:
    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx

    def coupon(self, code: str) -> CouponView:
        with self._ctx.db.reading() as s:
            coupon = s.get(Coupon, code.strip().upper())
            if coupon is None:
                raise CouponNotFound(code)
            return coupon_view(coupon)

    def standing(
        self, code: str, *, customer_id: str | None = None, subtotal: int | None = None
    ) -> CouponStanding:
        """Whether the coupon can be used now, by the same checks checkout makes: for the
        customer when given (their own uses count), against `subtotal` when given (a cart's)."""
        with self._ctx.db.reading() as s:
            coupon = s.get(Coupon, code.strip().upper())
            if coupon is None:
                raise CouponNotFound(code)
            try:
                check_coupon(
                    s,
                    coupon.code,
                    customer_id=customer_id or "",
                    kind=coupon.applies_to,
                    currency=coupon.currency,
                    subtotal=coupon.min_spend_minor if subtotal is None else subtotal,
                    now=self._ctx.clock(),
                    lock=False,
                )
            except CouponNotApplicable as refusal:
                return CouponStanding(
                    coupon=coupon_view(coupon),
                    usable=False,
                    reason=refusal.details["reason"],
                    details=refusal.details,
                )
            return CouponStanding(coupon=coupon_view(coupon), usable=True)

    def coupons(self, *, running_only: bool = True) -> list[CouponView]:
        now = self._ctx.clock()
        with self._ctx.db.reading() as s:
            rows = s.scalars(select(Coupon).order_by(Coupon.code))
            return [
                coupon_view(c)
                for c in rows
                if not running_only or _running(c.active, c.valid_from, c.valid_until, now)
            ]

    def coupon_uses(self, code: str, customer_id: str) -> int:
        with self._ctx.db.reading() as s:
            return _uses(s, code.strip().upper(), customer_id)

    def campaign(self, campaign_id: str) -> CampaignView:
        with self._ctx.db.reading() as s:
            campaign = s.get(Campaign, campaign_id)
            if campaign is None:
                raise CampaignNotFound(campaign_id)
            return campaign_view(campaign)

    def campaigns(self, *, running_only: bool = True) -> list[CampaignView]:
        now = self._ctx.clock()
        with self._ctx.db.reading() as s:
            rows = s.scalars(select(Campaign).order_by(Campaign.id))
            return [
                campaign_view(c)
                for c in rows
                if not running_only or _running(c.active, c.starts_at, c.ends_at, now)
            ]

    def _check_terms(self, currency: str | None, *moments: datetime | None) -> str:
        store_currency = self._ctx.policy.currency
        if currency not in (None, store_currency):
            raise InvalidRequest(
                f"The store sells in {store_currency}, not {currency}.", currency=currency
            )
        if any(m is not None and m.tzinfo is None for m in moments):
            raise InvalidRequest("Validity times need their time zone (e.g. 2026-12-01T00:00:00Z).")
        if moments[0] is not None and moments[1] is not None and moments[0] >= moments[1]:
            raise InvalidRequest("The validity window ends before it starts.")
        return store_currency

    def put_coupon(self, data: CouponInput) -> CouponView:
        if data.kind == "percent" and data.value > 100:
            raise InvalidRequest("A percent coupon takes at most 100% off.", value=data.value)
        data = data.model_copy(
            update={"currency": self._check_terms(data.currency, data.valid_from, data.valid_until)}
        )
        with self._ctx.db.transaction() as s:
            code = data.code.strip().upper()
            coupon = s.get(Coupon, code) or Coupon(code=code, redeemed_count=0)
            s.add(coupon)
            for key, value in data.model_dump(
                exclude={"code", "min_spend", "max_discount"}
            ).items():
                setattr(coupon, key, value)
            coupon.min_spend_minor = data.min_spend
            coupon.max_discount_minor = data.max_discount
            s.flush()
            return coupon_view(coupon)

    def put_campaign(self, data: CampaignInput) -> CampaignView:
        if data.kind == "percent" and data.value > 100:
            raise InvalidRequest("A percent subsidy is at most 100%.", value=data.value)
        data = data.model_copy(
            update={"currency": self._check_terms(data.currency, data.starts_at, data.ends_at)}
        )
        with self._ctx.db.transaction() as s:
            campaign = s.get(Campaign, data.id) or Campaign(id=data.id, spent_minor=0)
            s.add(campaign)
            if data.budget < campaign.spent_minor:
                raise InvalidRequest(
                    "The budget cannot go below what is already spent.", spent=campaign.spent_minor
                )
            for key, value in data.model_dump(
                exclude={"id", "max_subsidy", "min_spend", "budget"}
            ).items():
                setattr(campaign, key, value)
            campaign.max_subsidy_minor = data.max_subsidy
            campaign.min_spend_minor = data.min_spend
            campaign.budget_minor = data.budget
            s.flush()
            return campaign_view(campaign)
