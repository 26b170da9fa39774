"""Local services: food and drink from nearby stores — menus with options, opening hours, and
pickup/delivery slots whose capacity is never over-accepted.

When a slot cannot take an order the refusal carries what can: the next free slots at the same
store and the same slot at other stores of the same kind nearby.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from shopkeep.store.checkout import Placement, fingerprint, place
from shopkeep.store.context import StoreContext
from shopkeep.store.customers import load_customer, validate_address
from shopkeep.store.db import insert_if_absent
from shopkeep.store.errors import (
    CartEmpty,
    InvalidOption,
    InvalidQuantity,
    InvalidRequest,
    LocalStoreNotFound,
    MenuItemNotFound,
    SlotFull,
    StoreClosed,
)
from shopkeep.store.models import LocalStore, MenuItem, OptionChoice, OptionGroup, OrderKind, Slot
from shopkeep.store.money import Money
from shopkeep.store.promotions import PricedLine, price_order
from shopkeep.store.views import (
    AddressInput,
    LocalStoreView,
    MenuItemView,
    OptionChoiceView,
    OptionGroupView,
    OrderView,
    Quote,
    SlotView,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hhmm(text: str) -> bool:
    return (
        len(text) == 5
        and text[2] == ":"
        and text[:2].isdigit()
        and text[3:].isdigit()
        and (text == "24:00" or (int(text[:2]) < 24 and int(text[3:]) < 60))
    )


class OptionChoiceInput(BaseModel):
    code: str
    name: dict[str, str]
    price_delta: int = 0


class OptionGroupInput(BaseModel):
    code: str
    name: dict[str, str]
    required: bool = True
    max_choices: int = Field(default=1, ge=1)
    default_choice: str | None = None
    choices: list[OptionChoiceInput]


class MenuItemInput(BaseModel):
    id: str
    category: str = ""
    name: dict[str, str]
    description: dict[str, str] = Field(default_factory=dict)
    price: int = Field(ge=0)
    option_groups: list[str] = Field(default_factory=list)
    available: bool = True


class LocalStoreInput(BaseModel):
    id: str
    name: dict[str, str]
    kind: str
    city: str
    area: str
    address: str
    timezone: str = "UTC"
    opening_hours: dict[str, list[tuple[str, str]]]
    slot_minutes: int = Field(default=15, ge=5, le=240)
    capacity_per_slot: int = Field(ge=1)
    offers_delivery: bool = True
    currency: str = "USD"
    option_groups: list[OptionGroupInput] = Field(default_factory=list)
    menu: list[MenuItemInput] = Field(default_factory=list)


class MenuLine(BaseModel):
    menu_item_id: str
    quantity: int = 1
    options: dict[str, str | list[str]] = Field(
        default_factory=dict
    )  # group code -> choice code(s)


def store_view(st: LocalStore) -> LocalStoreView:
    return LocalStoreView(
        id=st.id,
        name=dict(st.name),
        kind=st.kind,
        city=st.city,
        area=st.area,
        address=st.address,
        timezone=st.timezone,
        opening_hours={k: [list(span) for span in v] for k, v in st.opening_hours.items()},
        slot_minutes=st.slot_minutes,
        capacity_per_slot=st.capacity_per_slot,
        offers_delivery=st.offers_delivery,
    )


def group_view(g: OptionGroup, currency: str) -> OptionGroupView:
    return OptionGroupView(
        code=g.code,
        name=dict(g.name),
        required=g.required,
        max_choices=g.max_choices,
        default_choice=g.default_choice,
        choices=[
            OptionChoiceView(
                code=c.code, name=dict(c.name), price_delta=Money(c.price_delta_minor, currency)
            )
            for c in g.choices
        ],
    )


def menu_item_view(item: MenuItem, groups: dict[str, OptionGroup]) -> MenuItemView:
    return MenuItemView(
        id=item.id,
        store_id=item.store_id,
        category=item.category,
        name=dict(item.name),
        description=dict(item.description),
        price=Money(item.price_minor, item.currency),
        option_groups=[
            group_view(groups[code], item.currency) for code in item.option_groups if code in groups
        ],
        available=item.available,
    )


def is_open(store: LocalStore, start: datetime) -> bool:
    """Whether the whole slot starting at `start` lies within the store's opening hours."""
    local = start.astimezone(ZoneInfo(store.timezone))
    end = local + timedelta(minutes=store.slot_minutes)
    for opens, closes in store.opening_hours.get(WEEKDAYS[local.weekday()], []):
        open_at = local.replace(
            hour=int(opens[:2]), minute=int(opens[3:5]), second=0, microsecond=0
        )
        close_at = (
            local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
            if closes == "24:00"
            else local.replace(
                hour=int(closes[:2]), minute=int(closes[3:5]), second=0, microsecond=0
            )
        )
        if open_at <= local and end <= close_at:
            return True
    return False


def align(store: LocalStore, moment: datetime) -> datetime:
    """The first slot start at or after `moment`."""
    step = store.slot_minutes * 60
    seconds = int(moment.timestamp())
    return datetime.fromtimestamp(-(-seconds // step) * step, tz=moment.tzinfo)


def taken(s: Session, store: LocalStore, start: datetime) -> tuple[int, int]:
    """(capacity, booked) of one slot; a slot nobody booked yet has the store's capacity."""
    slot = s.scalar(select(Slot).where(Slot.store_id == store.id, Slot.starts_at == start))
    return (slot.capacity, slot.booked) if slot else (store.capacity_per_slot, 0)


def open_slots(
    s: Session,
    store: LocalStore,
    start: datetime,
    *,
    need: int = 1,
    count: int = 3,
    horizon_days: int = 7,
) -> list[SlotView]:
    """The next `count` open slots from `start` with room for `need` items."""
    found: list[SlotView] = []
    moment = align(store, start)
    end = start + timedelta(days=horizon_days)
    step = timedelta(minutes=store.slot_minutes)
    while moment < end and len(found) < count:
        if is_open(store, moment):
            capacity, booked = taken(s, store, moment)
            if capacity - booked >= need:
                found.append(
                    SlotView(store_id=store.id, starts_at=moment, capacity=capacity, booked=booked)
                )
        moment += step
    return found


def menus_stamp(s: Session) -> str:
    """A digest of every row the active stores and their menus are made from."""
    digest = hashlib.blake2b(digest_size=16)
    for model in (LocalStore, OptionGroup, OptionChoice, MenuItem):
        table = cast(Table, model.__table__)
        for row in s.execute(select(table).order_by(*table.primary_key)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


class LocalServices:
    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx
        self._menus: tuple[str, dict[str, list[MenuItemView]]] | None = None

    def menus(self) -> dict[str, list[MenuItemView]]:
        """Every active store's menu, by store id. Kept between calls while stores and menus
        are unchanged; one query over their rows tells."""
        with self._ctx.db.reading() as s:
            stamp = menus_stamp(s)
        if self._menus is None or self._menus[0] != stamp:
            self._menus = (stamp, {st.id: self.menu(st.id) for st in self.stores()})
        return dict(self._menus[1])

    # --- reading --------------------------------------------------------------------------

    def stores(
        self, *, city: str | None = None, area: str | None = None, kind: str | None = None
    ) -> list[LocalStoreView]:
        with self._ctx.db.reading() as s:
            query = select(LocalStore).where(LocalStore.active.is_(True)).order_by(LocalStore.id)
            rows = [
                st
                for st in s.scalars(query)
                if (city is None or st.city.casefold() == city.casefold())
                and (area is None or st.area.casefold() == area.casefold())
                and (kind is None or st.kind == kind)
            ]
            return [store_view(st) for st in rows]

    def store(self, store_id: str) -> LocalStoreView:
        with self._ctx.db.reading() as s:
            return store_view(self._store(s, store_id))

    def menu(self, store_id: str) -> list[MenuItemView]:
        with self._ctx.db.reading() as s:
            store = self._store(s, store_id)
            groups = {g.code: g for g in store.option_groups}
            return [menu_item_view(item, groups) for item in store.menu]

    def is_open_at(self, store_id: str, moment: datetime) -> bool:
        with self._ctx.db.reading() as s:
            return is_open(self._store(s, store_id), moment)

    def slots(
        self, store_id: str, *, start: datetime | None = None, need: int = 1, count: int = 6
    ) -> list[SlotView]:
        """The next open slots with room for `need` items, from `start` (default: now)."""
        if start is not None and start.tzinfo is None:
            raise InvalidRequest("A slot time needs its time zone.", start=start.isoformat())
        with self._ctx.db.reading() as s:
            store = self._store(s, store_id)
            return open_slots(
                s, store, max(start or self._ctx.clock(), self._ctx.clock()), need=need, count=count
            )

    def quote(
        self,
        customer_id: str,
        store_id: str,
        lines: Sequence[MenuLine],
        *,
        fulfilment: str = "pickup",
        coupon_code: str | None = None,
    ) -> Quote:
        with self._ctx.db.reading() as s:
            load_customer(s, customer_id)
            priced = self._priced(s, store_id, lines)
            return price_order(
                s,
                self._ctx,
                customer_id=customer_id,
                kind=OrderKind.LOCAL,
                lines=priced,
                coupon_code=coupon_code,
                store_id=store_id,
                fulfilment=fulfilment,
            ).quote()

    def put_store(self, data: LocalStoreInput) -> LocalStoreView:
        """Create or replace a store with its option groups and menu."""
        try:
            ZoneInfo(data.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidRequest(
                f"Unknown time zone {data.timezone!r}; use an IANA name such as 'Asia/Seoul'.",
                timezone=data.timezone,
            ) from None
        for group in data.option_groups:
            codes_in_group = [c.code for c in group.choices]
            if not codes_in_group or len(set(codes_in_group)) != len(codes_in_group):
                raise InvalidRequest(
                    f"Option group {group.code} needs distinct choices.", group=group.code
                )
            if group.default_choice is not None and group.default_choice not in codes_in_group:
                raise InvalidRequest(
                    f"{group.default_choice!r} is not a choice of {group.code}.", group=group.code
                )
        for day, spans in data.opening_hours.items():
            if day not in WEEKDAYS:
                raise InvalidRequest(
                    f"Unknown weekday {day!r}; use {', '.join(WEEKDAYS)}.", day=day
                )
            for opens, closes in spans:
                if not (_hhmm(opens) and _hhmm(closes) and opens < closes):
                    raise InvalidRequest(
                        f"Opening hours {opens}-{closes} on {day} are not valid.", day=day
                    )
        codes = {g.code for g in data.option_groups}
        for item in data.menu:
            missing = set(item.option_groups) - codes
            if missing:
                raise InvalidRequest(
                    f"Menu item {item.id} uses unknown option groups {sorted(missing)}.",
                    menu_item_id=item.id,
                )
        with self._ctx.db.transaction() as s:
            for m in data.menu:
                other = s.get(MenuItem, m.id)
                if other is not None and other.store_id != data.id:
                    raise InvalidRequest(
                        f"Menu item id {m.id} belongs to store {other.store_id}.", menu_item_id=m.id
                    )
            store = s.get(LocalStore, data.id)
            if store is None:
                store = LocalStore(id=data.id)
                s.add(store)
            else:
                # Replaced wholesale; past orders keep their own copy of names and prices.
                store.option_groups = []
                store.menu = []
                s.flush()
                for slot in s.scalars(
                    select(Slot).where(
                        Slot.store_id == store.id, Slot.starts_at >= self._ctx.clock()
                    )
                ):
                    slot.capacity = max(slot.booked, data.capacity_per_slot)
            for key in (
                "name",
                "kind",
                "city",
                "area",
                "address",
                "timezone",
                "slot_minutes",
                "capacity_per_slot",
                "offers_delivery",
            ):
                setattr(store, key, getattr(data, key))
            store.opening_hours = {
                day: [list(span) for span in spans] for day, spans in data.opening_hours.items()
            }
            store.active = True
            store.option_groups = [
                OptionGroup(
                    code=g.code,
                    position=i,
                    name=g.name,
                    required=g.required,
                    max_choices=g.max_choices,
                    default_choice=g.default_choice,
                    choices=[
                        OptionChoice(
                            code=c.code, position=j, name=c.name, price_delta_minor=c.price_delta
                        )
                        for j, c in enumerate(g.choices)
                    ],
                )
                for i, g in enumerate(data.option_groups)
            ]
            store.menu = [
                MenuItem(
                    id=m.id,
                    position=i,
                    category=m.category,
                    name=m.name,
                    description=m.description,
                    price_minor=m.price,
                    currency=data.currency,
                    option_groups=list(m.option_groups),
                    available=m.available,
                )
                for i, m in enumerate(data.menu)
            ]
            s.flush()
            return store_view(store)

    # --- ordering -------------------------------------------------------------------------

    def place_order(
        self,
        customer_id: str,
        store_id: str,
        lines: Sequence[MenuLine],
        *,
        slot_start: datetime,
        payment_method_id: str,
        idempotency_key: str,
        fulfilment: str = "pickup",
        address: AddressInput | None = None,
        coupon_code: str | None = None,
        expected_total: Money | None = None,
    ) -> OrderView:
        """Order from a local store for pickup or delivery in the slot starting at `slot_start`.
        A full or closed slot is refused with alternatives; nothing is over-accepted."""
        if not idempotency_key.strip():
            raise InvalidRequest("An idempotency key is required to place an order.")
        return place(
            self._ctx,
            self.placement(
                customer_id,
                store_id,
                lines,
                slot_start=slot_start,
                payment_method_id=payment_method_id,
                idempotency_key=idempotency_key,
                fulfilment=fulfilment,
                address=address,
                coupon_code=coupon_code,
                expected_total=expected_total,
            ),
        )

    def placement(
        self,
        customer_id: str,
        store_id: str,
        lines: Sequence[MenuLine],
        *,
        slot_start: datetime,
        payment_method_id: str,
        idempotency_key: str,
        fulfilment: str = "pickup",
        address: AddressInput | None = None,
        coupon_code: str | None = None,
        expected_total: Money | None = None,
    ) -> Placement:
        """What placing this local order asks of the shared checkout, once the way it is served
        and its slot are checked: pickup, or delivery to a whole address from a store that
        delivers; a slot that starts on the store's grid and has not started yet."""
        if fulfilment not in ("pickup", "delivery"):
            raise InvalidRequest(
                "A local order is for 'pickup' or 'delivery'.", fulfilment=fulfilment
            )
        if fulfilment == "delivery":
            if address is None:
                raise InvalidRequest("A delivery needs an address.")
            validate_address(address)
        if slot_start.tzinfo is None:
            raise InvalidRequest("A slot time needs its time zone.", slot=slot_start.isoformat())
        with self._ctx.db.reading() as s:
            store = self._store(s, store_id)
            if fulfilment == "delivery" and not store.offers_delivery:
                raise InvalidRequest(
                    f"Store {store_id} does not deliver; choose pickup.", store_id=store_id
                )
            if align(store, slot_start) != slot_start:
                raise InvalidRequest(
                    f"Slots at {store_id} start every {store.slot_minutes} minutes.",
                    store_id=store_id,
                    slot=slot_start.isoformat(),
                )
            if slot_start < align(store, self._ctx.clock()):
                raise InvalidRequest("That slot has already started.", slot=slot_start.isoformat())
        plain = [line.model_dump() for line in lines]
        return Placement(
            customer_id=customer_id,
            kind=OrderKind.LOCAL,
            payment_method_id=payment_method_id,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint(
                store=store_id,
                lines=plain,
                slot=slot_start.isoformat(),
                fulfilment=fulfilment,
                address=address.model_dump() if address else None,
                payment=payment_method_id,
                coupon=coupon_code,
            ),
            id_prefix="#L",
            coupon_code=coupon_code,
            campaign_id=None,
            expected_total=expected_total,
            address=address if fulfilment == "delivery" else None,
            fulfilment=fulfilment,
            lines=lambda s, reserve: self._reserve(s, store_id, lines, slot_start, reserve),
            store_id=store_id,
            slot_start=slot_start,
        )

    def _reserve(
        self, s: Session, store_id: str, lines: Sequence[MenuLine], start: datetime, reserve: bool
    ) -> list[PricedLine]:
        """The lines priced, with room for them in the slot: booked when `reserve`."""
        priced = self._priced(s, store_id, lines)
        need = sum(line.quantity for line in priced)
        self._book(s, self._store(s, store_id), start, need, book=reserve)
        return priced

    def _book(
        self, s: Session, store: LocalStore, start: datetime, need: int, *, book: bool = True
    ) -> None:
        """Check the store is open for the slot and the slot has room for `need` items, and
        with `book` take the room."""
        if not is_open(store, start):
            raise StoreClosed(
                store.id, start.isoformat(), self._alternatives(s, store, start, need)
            )
        if not book:
            slot = s.scalar(select(Slot).where(Slot.store_id == store.id, Slot.starts_at == start))
            booked, capacity = (
                (slot.booked, slot.capacity) if slot else (0, store.capacity_per_slot)
            )
            if booked + need > capacity:
                raise SlotFull(
                    store.id,
                    start.isoformat(),
                    need,
                    capacity - booked,
                    self._alternatives(s, store, start, need),
                )
            return
        insert_if_absent(
            s,
            Slot,
            {
                "store_id": store.id,
                "starts_at": start,
                "capacity": store.capacity_per_slot,
                "booked": 0,
            },
            ["store_id", "starts_at"],
        )
        slot = s.execute(
            select(Slot).where(Slot.store_id == store.id, Slot.starts_at == start).with_for_update()
        ).scalar_one()
        s.refresh(slot)
        if slot.booked + need > slot.capacity:
            raise SlotFull(
                store.id,
                start.isoformat(),
                need,
                slot.capacity - slot.booked,
                self._alternatives(s, store, start, need),
            )
        slot.booked += need

    def _alternatives(
        self, s: Session, store: LocalStore, start: datetime, need: int
    ) -> list[dict[str, Any]]:
        later = open_slots(
            s, store, start + timedelta(minutes=store.slot_minutes), need=need, count=3
        )
        options: list[dict[str, Any]] = [
            {"store_id": v.store_id, "slot": v.starts_at.isoformat(), "free": v.free} for v in later
        ]
        others = s.scalars(
            select(LocalStore).where(
                LocalStore.kind == store.kind,
                LocalStore.city == store.city,
                LocalStore.id != store.id,
                LocalStore.active.is_(True),
            )
        )
        for other in sorted(others, key=lambda o: (o.area != store.area, o.id)):
            slots = open_slots(s, other, start, need=need, count=1)
            if slots:
                options.append(
                    {
                        "store_id": other.id,
                        "slot": slots[0].starts_at.isoformat(),
                        "free": slots[0].free,
                    }
                )
        return options

    def _priced(self, s: Session, store_id: str, lines: Sequence[MenuLine]) -> list[PricedLine]:
        store = self._store(s, store_id)
        if not lines:
            raise CartEmpty()
        groups = {g.code: g for g in store.option_groups}
        maximum = self._ctx.policy.max_quantity_per_line
        priced = []
        for line in lines:
            if not 1 <= line.quantity <= maximum:
                raise InvalidQuantity(line.quantity, maximum)
            item = s.get(MenuItem, line.menu_item_id)
            if item is None or item.store_id != store_id:
                raise MenuItemNotFound(line.menu_item_id, store_id)
            if not item.available:
                raise InvalidRequest(
                    f"{item.name.get('en', item.id)} is sold out today.", menu_item_id=item.id
                )
            chosen, delta = self._options(item, groups, line.options)
            priced.append(
                PricedLine(
                    name=item.name.get("en") or next(iter(item.name.values()), item.id),
                    unit_price_minor=item.price_minor + delta,
                    quantity=line.quantity,
                    options=chosen,
                    currency=item.currency,
                    category=item.category,
                    menu_item_id=item.id,
                )
            )
        return priced

    @staticmethod
    def _options(
        item: MenuItem, groups: dict[str, OptionGroup], wanted: dict[str, str | list[str]]
    ) -> tuple[dict[str, Any], int]:
        for code in wanted:
            if code not in item.option_groups:
                raise InvalidOption(item.id, code, None, item.option_groups)
        chosen: dict[str, Any] = {}
        delta = 0
        for code in item.option_groups:
            group = groups[code]
            allowed = {c.code: c for c in group.choices}
            value = wanted.get(code)
            picks = [value] if isinstance(value, str) else list(value or [])
            if not picks and group.default_choice:
                picks = [group.default_choice]
            if not picks:
                if group.required:
                    raise InvalidOption(item.id, code, None, list(allowed))
                continue
            if len(picks) > group.max_choices:
                raise InvalidOption(item.id, code, ",".join(picks), list(allowed))
            for pick in picks:
                if pick not in allowed:
                    raise InvalidOption(item.id, code, pick, list(allowed))
                delta += allowed[pick].price_delta_minor
            chosen[code] = picks[0] if group.max_choices == 1 else picks
        return chosen, delta

    @staticmethod
    def _store(s: Session, store_id: str) -> LocalStore:
        store = s.get(LocalStore, store_id)
        if store is None or not store.active:
            raise LocalStoreNotFound(store_id)
        return store
