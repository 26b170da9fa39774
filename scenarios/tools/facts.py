"""Authoring aid for the shipped scenarios: prints the demo shop's facts at EVAL_NOW, quotes
orders, and checks (`--verify`) every id and amount the scenario files use against the store."""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import shopkeep.store
from shopkeep.evals.demo import EVAL_NOW, DemoShop, apply_setup, shop_state
from shopkeep.evals.runner import mismatches
from shopkeep.evals.scenarios import OrderFacts, Scenario, ScenarioInvalid, load_suite
from shopkeep.store.checkout import LineRequest
from shopkeep.store.errors import StoreError
from shopkeep.store.local import MenuLine
from shopkeep.store.money import Money
from shopkeep.store.shop import Store
from shopkeep.store.views import AddressInput, CustomerView, OrderView, Quote

SEOUL = ZoneInfo("Asia/Seoul")
SCENARIOS = Path(__file__).resolve().parents[1]
LANGS = ("en", "zh", "ko")
ORDER_ID = re.compile(r"#[WL]\d{7}")
MONEY = re.compile(r"\$\d[\d,]*\.\d\d")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
SLOT_TIME = re.compile(r"\d\d:\d\d")
# Tags that say a scenario names on purpose what the shop does not hold.
MADE_UP_IDS = "invalid-id"
MADE_UP_IDENTITY = "wrong-identity"


# --- the store --------------------------------------------------------------------------------


def _demo_fingerprint() -> str:
    """The demo changes when the store's code does: the cached copy is keyed by that code."""
    digest = hashlib.sha256()
    for path in sorted(Path(shopkeep.store.__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def demo_shop() -> DemoShop:
    """The runner's demo shop, seeded once and kept in the temp dir (seeding takes seconds)."""
    folder = Path(tempfile.gettempdir()) / "shopkeep-scenario-facts" / _demo_fingerprint()
    if (folder / "done").exists():
        return DemoShop(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    shop = DemoShop.build(folder)
    (folder / "done").touch()
    return shop


@contextmanager
def fresh_store(shop: DemoShop, seed: str = "facts") -> Iterator[Store]:
    store = shop.fresh(seed)
    try:
        yield store
    finally:
        shop.discard(store)


def customers(store: Store) -> list[CustomerView]:
    found: list[CustomerView] = []
    while page := store.customers.page(limit=500, offset=len(found)):
        found += page
    return found


def money(amount: Money | None) -> str:
    return amount.display() if amount is not None else "-"


def seoul(moment: datetime | None) -> str:
    return moment.astimezone(SEOUL).strftime("%a %H:%M") if moment else "-"


# --- printing the facts ---------------------------------------------------------------------


def print_customers(store: Store, lang: str | None) -> None:
    for c in customers(store):
        if lang and c.locale != lang:
            continue
        p = c.profile
        print(f"{c.id}  {c.email}  {c.first_name} / {c.last_name}  locale={c.locale}")
        print(
            f"    skin={p.get('skin_type')} concerns={p.get('skin_concerns')} "
            f"section={p.get('apparel_section')} sizes={p.get('sizes')} budget={p.get('budget')} "
            f"colors={p.get('favorite_colors')} phone={p.get('phone_os')} "
            f"diet={p.get('dietary')} tea={p.get('tea_preferences')} "
            f"interests={p.get('interests')}"
        )
        for a in c.addresses:
            mark = "*" if a.is_default else " "
            print(f"    {mark}addr {a.id} [{a.label}] {a.one_line()}")
        for m in c.payment_methods:
            print(f"     pay {m.id}: {m.label()}")


def print_order(o: OrderView) -> None:
    extra = ""
    if o.kind == "local":
        extra = f" store={o.local_store_id} slot={seoul(o.slot_start)} {o.fulfilment}"
    print(
        f"  {o.id} {o.kind} [{o.status}] total={money(o.total)} sub={money(o.subtotal)} "
        f"disc={money(o.discount)} subsidy={money(o.subsidy)} ship={money(o.shipping)} "
        f"coupon={o.coupon_code} campaign={o.campaign_id} pay={o.payment_method_id} "
        f"txns={len(o.transactions)}{extra}"
    )
    delivered = f" delivered {o.delivered_at:%Y-%m-%d}" if o.delivered_at else ""
    print(f"      placed {o.created_at:%Y-%m-%d}{delivered}")
    for i in o.items:
        print(
            f"      {i.variant_id or i.menu_item_id}  {i.name}  {i.options}  "
            f"{money(i.unit_price)} (-{money(i.discount)})"
        )
    if o.address:
        print(f"      ship to: {o.address.city} {o.address.zip} {o.address.address1}")
    if o.tracking_ids:
        print(f"      tracking: {o.tracking_ids}")
    if o.return_request:
        r = o.return_request
        print(f"      return: {r.item_ids} refund {money(r.refund)} to {r.refund_method_id}")
    if o.exchange_request:
        x = o.exchange_request
        print(f"      exchange: {x.item_ids} -> {x.new_item_ids} diff {money(x.price_difference)}")
    if o.cancel_reason:
        print(f"      cancel reason: {o.cancel_reason}")


def print_orders(store: Store, email: str | None, status: str | None) -> None:
    state = shop_state(store)
    by_customer: dict[str, list[OrderView]] = {}
    for o in state.orders.values():
        by_customer.setdefault(o.customer_id, []).append(o)
    for c in customers(store):
        if email and c.email.casefold() != email.casefold():
            continue
        orders = sorted(by_customer.get(c.id, []), key=lambda o: o.created_at)
        shown = [o for o in orders if status is None or o.status == status]
        if not shown:
            continue
        print(f"{c.email} ({c.first_name} {c.last_name}, {c.locale}) — {len(orders)} order(s)")
        for o in shown:
            print_order(o)


def print_products(store: Store, product_id: str | None) -> None:
    names = store.catalog.product_names()
    for pid in [product_id] if product_id else names:
        p = store.catalog.product(pid)
        print(f"{p.id} [{p.category}] {p.brand}  rating={p.rating} ({p.review_count})")
        for lang in LANGS:
            print(f"    {lang}: {p.name.get(lang)}")
        print(f"    attributes: {p.attributes}")
        for v in p.variants:
            flag = "" if v.available else " UNAVAILABLE"
            print(f"      {v.id}  {v.options}  {money(v.price)}  stock={v.stock}{flag}")
        if product_id:
            for lang in LANGS:
                print(f"    description {lang}: {p.description.get(lang)}")
            for r in store.catalog.reviews(pid):
                print(f"    review {r.rating}* {r.author} [{r.locale}]: {r.body}")


def print_local(store: Store) -> None:
    for st in store.local.stores():
        print(f"{st.id} [{st.kind}] {st.name} cap={st.capacity_per_slot}/{st.slot_minutes}min")
        print(f"    delivery={st.offers_delivery} hours={st.opening_hours}")
        for item in store.local.menu(st.id):
            flag = "" if item.available else " UNAVAILABLE"
            print(f"    {item.id}  {money(item.price)}  {item.name}{flag}")
            for g in item.option_groups:
                picks = ", ".join(
                    f"{c.code}={c.name.get('en')}(+{money(c.price_delta)})" for c in g.choices
                )
                print(f"        {g.code} (default {g.default_choice}): {picks}")
        slots = store.local.slots(st.id, count=16)
        print("    open slots:", ", ".join(f"{seoul(s.starts_at)} {s.free}" for s in slots))
        moment = EVAL_NOW
        full = []
        while moment < EVAL_NOW + timedelta(hours=12):
            if (
                store.local.is_open_at(st.id, moment)
                and store.local.slots(st.id, start=moment, count=1)[0].starts_at != moment
            ):
                full.append(seoul(moment))
            moment += timedelta(minutes=st.slot_minutes)
        print("    full slots in the next 12 h:", ", ".join(full) or "none")


def print_promotions(store: Store) -> None:
    for c in store.promotions.coupons(running_only=False):
        print(
            f"{c.code} {c.kind} {c.value} min={money(c.min_spend)} max={money(c.max_discount)} "
            f"per_customer={c.per_customer_limit} applies={c.applies_to} active_now={c.active} "
            f"{c.valid_from} .. {c.valid_until}"
        )
        for lang in LANGS:
            print(f"    {lang}: {c.title.get(lang)}")
    for k in store.promotions.campaigns(running_only=False):
        print(
            f"{k.id} {k.kind} {k.value} max={money(k.max_subsidy)} min={money(k.min_spend)} "
            f"budget={money(k.budget)} spent={money(k.spent)} left={money(k.remaining)} "
            f"applies={k.applies_to} cats={k.categories} stores={k.store_ids} active={k.active}"
        )
        for lang in LANGS:
            print(f"    {lang}: {k.name.get(lang)}")


def print_quote(q: Quote) -> None:
    for line in q.lines:
        print(f"  {line.quantity} x {line.name} {line.options} = {money(line.line_total)}")
    print(
        f"  subtotal {money(q.subtotal)}  coupon {q.coupon_code} -{money(q.discount)}  "
        f"campaign {q.campaign_id} -{money(q.subsidy)}  shipping {money(q.shipping)}  "
        f"TOTAL {money(q.total)}  notes={q.notes}"
    )


def customer_id_of(store: Store, email: str) -> str:
    return store.customers.find_by_email(email)


def parse_menu_line(text: str) -> MenuLine:
    """`item[:qty][;group=choice,...]`, toppings as `toppings=pearls+pudding`."""
    head, _, opts = text.partition(";")
    item, _, qty = head.partition(":")
    options: dict[str, str | list[str]] = {}
    for pair in filter(None, opts.split(",")):
        key, _, value = pair.partition("=")
        options[key] = value.split("+") if key in ("toppings", "extras") else value
    return MenuLine(menu_item_id=item, quantity=int(qty or 1), options=options)


# --- verifying the scenario files -----------------------------------------------------------


class Problems:
    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, scenario: Scenario, message: str) -> None:
        self.found.append(f"{scenario.id}: {message}")


def acting_customer(store: Store, scenario: Scenario, everyone: list[CustomerView]) -> str | None:
    """The logged-in customer, or the one a guest verifies as (an email or name + zip in the
    turns); None when nobody is proved."""
    if scenario.customer:
        return customer_id_of(store, scenario.customer)
    text = " ".join(scenario.turns)
    for c in everyone:
        if c.email.casefold() in text.casefold():
            return c.id
    for c in everyone:
        home = c.default_address
        if home and home.zip in text and c.first_name in text and c.last_name in text:
            return c.id
    return None


def money_strings(value: Any) -> set[str]:
    """Every money amount inside a view's JSON, as the store displays it."""
    found: set[str] = set()
    if isinstance(value, dict):
        if set(value) == {"amount", "currency"}:
            found.add(Money(value["amount"], value["currency"]).display())
        else:
            for v in value.values():
                found |= money_strings(v)
    elif isinstance(value, list):
        for v in value:
            found |= money_strings(v)
    return found


def corpus(store: Store) -> str:
    """Every fact of the shop as one text: what a `say` string may be drawn from."""
    parts: list[str] = []
    state = shop_state(store)
    parts += [o.model_dump_json() for o in state.orders.values()]
    parts += [c.model_dump_json() for c in customers(store)]
    parts += [store.catalog.product(pid).model_dump_json() for pid in store.catalog.product_names()]
    for st in store.local.stores():
        parts.append(st.model_dump_json())
        parts += [m.model_dump_json() for m in store.local.menu(st.id)]
    parts += [c.model_dump_json() for c in store.promotions.coupons(running_only=False)]
    parts += [k.model_dump_json() for k in store.promotions.campaigns(running_only=False)]
    policy = store.ctx.policy
    parts += [policy.model_dump_json(), f"{policy.return_window_days} days"]
    return json.dumps(parts, ensure_ascii=False)


def shop_money(store: Store) -> set[str]:
    found: set[str] = set()
    for pid in store.catalog.product_names():
        found |= money_strings(store.catalog.product(pid).model_dump(mode="json"))
    for st in store.local.stores():
        for m in store.local.menu(st.id):
            found |= money_strings(m.model_dump(mode="json"))
    for c in store.promotions.coupons(running_only=False):
        found |= money_strings(c.model_dump(mode="json"))
    for k in store.promotions.campaigns(running_only=False):
        found |= money_strings(k.model_dump(mode="json"))
    policy = store.ctx.policy
    for amount in (
        policy.shipping_fee_minor,
        policy.free_shipping_threshold_minor,
        policy.local_delivery_fee_minor,
    ):
        if amount is not None:
            found.add(Money(amount, policy.currency).display())
    return found


def expected_paths(facts: OrderFacts) -> dict[str, Any]:
    return facts.facts()


def simulate_change(
    store: Store, customer_id: str, before: OrderView, facts: OrderFacts
) -> OrderView:
    """Do to the order, through the store, what the expected end state says was done."""
    f = expected_paths(facts)
    status = f.get("status")
    if status == "cancelled":
        return store.orders.cancel(
            customer_id, before.id, f.get("cancel_reason", "no longer needed")
        )
    paid_with = before.payment_method_id or ""
    if status == "return requested":
        items = f.get("return_request.item_ids") or [i.variant_id for i in before.items]
        method = str(f.get("return_request.refund_method_id") or paid_with)
        return store.aftersales.request_return(customer_id, before.id, list(items), method)
    if status == "exchange requested":
        method = str(f.get("exchange_request.payment_method_id") or paid_with)
        return store.aftersales.request_exchange(
            customer_id,
            before.id,
            list(f["exchange_request.item_ids"]),
            list(f["exchange_request.new_item_ids"]),
            method,
        )
    if status == "pending (item modified)":
        old, new = [], []
        for path, value in f.items():
            found = re.fullmatch(r"items\.(\d+)\.variant_id", path)
            if found and before.items[int(found[1])].variant_id != value:
                old.append(before.items[int(found[1])].variant_id or "")
                new.append(value)
        return store.orders.change_items(customer_id, before.id, old, new, paid_with)
    after = before
    if any(p.startswith("address") for p in f):
        assert before.address is not None
        fields = before.address.model_dump()
        for path, value in f.items():
            if path.startswith("address."):
                fields[path.removeprefix("address.")] = value
        after = store.orders.change_address(customer_id, before.id, AddressInput(**fields))
    pay = f.get("payment_method_id")
    if pay and pay != before.payment_method_id:
        after = store.orders.change_payment_method(customer_id, before.id, pay)
    return after


def simulate_placed(
    store: Store, customer_id: str, facts: OrderFacts, key: str
) -> tuple[Quote, OrderView]:
    f = expected_paths(facts)
    method = f.get("payment_method_id") or store.customers.get(customer_id).payment_methods[0].id
    if f.get("kind", "retail") == "retail":
        lines = [
            LineRequest(variant_id=v, quantity=n) for v, n in Counter(f["variant_ids"]).items()
        ]
        quote = store.checkout.quote(customer_id, lines=lines, coupon_code=f.get("coupon_code"))
        order = store.checkout.place_order(
            customer_id,
            payment_method_id=method,
            idempotency_key=key,
            lines=lines,
            coupon_code=f.get("coupon_code"),
        )
        return quote, order
    units: list[tuple[str, dict[str, Any]]] = []
    for n, item_id in enumerate(f["menu_item_ids"]):
        prefix = f"items.{n}.options."
        options = {p.removeprefix(prefix): v for p, v in f.items() if p.startswith(prefix)}
        units.append((item_id, options))
    grouped: Counter[str] = Counter(json.dumps(u, sort_keys=True) for u in units)
    lines_ = [
        MenuLine(menu_item_id=json.loads(u)[0], quantity=n, options=json.loads(u)[1])
        for u, n in grouped.items()
    ]
    fulfilment = f.get("fulfilment", "pickup")
    address = None
    if fulfilment == "delivery":
        home = store.customers.get(customer_id).default_address
        assert home is not None
        address = AddressInput(**home.model_dump(include=set(AddressInput.model_fields)))
    quote = store.local.quote(
        customer_id,
        f["local_store_id"],
        lines_,
        fulfilment=fulfilment,
        coupon_code=f.get("coupon_code"),
    )
    order = store.local.place_order(
        customer_id,
        f["local_store_id"],
        lines_,
        slot_start=f["slot_start"],
        payment_method_id=method,
        idempotency_key=key,
        fulfilment=fulfilment,
        address=address,
        coupon_code=f.get("coupon_code"),
    )
    return quote, order


def verify_scenario(
    store: Store,
    scenario: Scenario,
    everyone: list[CustomerView],
    facts_text: str,
    catalog_money: set[str],
    problems: Problems,
) -> None:
    apply_setup(store, scenario.setup)
    state = shop_state(store)
    known_emails = {c.email.casefold(): c.id for c in everyone}
    customer_id = acting_customer(store, scenario, everyone)
    text = " ".join(scenario.turns)
    made_up_ids = MADE_UP_IDS in scenario.tags
    for order_id in ORDER_ID.findall(text):
        if order_id not in state.orders and not made_up_ids:
            problems.add(scenario, f"turns name {order_id}, which the shop does not hold")
    for email in EMAIL.findall(text):
        if email.casefold() not in known_emails and MADE_UP_IDENTITY not in scenario.tags:
            problems.add(scenario, f"turns name {email}, which is nobody's email")
    for phrase in scenario.expect.not_say:
        if ORDER_ID.fullmatch(phrase) and state.owner(phrase) == customer_id and customer_id:
            problems.add(scenario, f"not_say {phrase} is the customer's own order")
    owned = {o for o, v in state.orders.items() if v.customer_id == customer_id}
    money_seen = set(catalog_money)
    for order_id in owned:
        money_seen |= money_strings(state.orders[order_id].model_dump(mode="json"))
    slot_times: set[str] = set()
    changed_text: list[str] = []
    for order_id, facts in scenario.expect.orders.items():
        before = state.orders.get(order_id)
        if before is None:
            problems.add(scenario, f"expect.orders names {order_id}, not in the shop")
            continue
        money_seen |= money_strings(before.model_dump(mode="json"))
        if not mismatches(facts, before):
            continue  # expected unchanged
        if customer_id is None or before.customer_id != customer_id:
            problems.add(scenario, f"{order_id} must change but is not the customer's order")
            continue
        try:
            after = simulate_change(store, customer_id, before, facts)
        except StoreError as error:
            problems.add(scenario, f"{order_id}: the store refuses the change: {error.message}")
            continue
        except (KeyError, IndexError, AssertionError) as error:
            problems.add(scenario, f"{order_id}: cannot tell what change is expected ({error})")
            continue
        wrong = mismatches(facts, after)
        if wrong:
            problems.add(scenario, f"{order_id} after the change: {'; '.join(wrong)}")
        dumped = after.model_dump(mode="json")
        money_seen |= money_strings(dumped)
        changed_text.append(json.dumps(dumped, ensure_ascii=False))
    for number, facts in enumerate(scenario.expect.placed):
        if customer_id is None:
            problems.add(scenario, "an order must be placed but no customer is known")
            continue
        if "total" not in facts.model_fields_set and "total_minor" not in facts.model_fields_set:
            problems.add(scenario, f"placed.{number} gives no total")
        try:
            quote, order = simulate_placed(store, customer_id, facts, f"{scenario.id}-{number}")
        except StoreError as error:
            problems.add(scenario, f"placed.{number}: the store refuses it: {error.message}")
            continue
        except (KeyError, AssertionError) as error:
            problems.add(scenario, f"placed.{number}: incomplete ({error})")
            continue
        if quote.total != order.total:
            problems.add(scenario, f"placed.{number}: quote {quote.total} != order {order.total}")
        wrong = mismatches(facts, order)
        if wrong:
            problems.add(scenario, f"placed.{number}: {'; '.join(wrong)}")
        money_seen |= money_strings(quote.model_dump(mode="json"))
        money_seen |= money_strings(order.model_dump(mode="json"))
        if order.slot_start is not None:
            slot_times.add(order.slot_start.astimezone(SEOUL).strftime("%H:%M"))
        changed_text.append(order.model_dump_json())
    everything = facts_text + " ".join(changed_text)
    folded = everything.casefold()
    for phrase in scenario.expect.say:
        if MONEY.fullmatch(phrase):
            if phrase not in money_seen:
                problems.add(
                    scenario, f"say {phrase}: no such amount in the orders, quotes or shop"
                )
        elif SLOT_TIME.fullmatch(phrase):
            if phrase not in slot_times:
                problems.add(scenario, f"say {phrase}: not the slot of an order placed")
        elif ORDER_ID.fullmatch(phrase):
            if phrase not in owned:
                problems.add(scenario, f"say {phrase}: not an order of the conversation's customer")
        elif phrase.casefold() not in folded:
            problems.add(scenario, f"say {phrase!r}: not a fact of the shop")


def verify(paths: list[str]) -> int:
    try:
        scenarios = [s for p in paths for s in load_suite(p)]
    except ScenarioInvalid as error:
        print(error.message)
        return 1
    shop = demo_shop()
    problems = Problems()
    with fresh_store(shop) as store:
        everyone = customers(store)
        facts_text = corpus(store)
        catalog_money = shop_money(store)
    for scenario in scenarios:
        with fresh_store(shop, scenario.id) as store:
            verify_scenario(store, scenario, everyone, facts_text, catalog_money, problems)
    for line in problems.found:
        print(line)
    print_counts(scenarios)
    print(f"{len(scenarios)} scenarios, {len(problems.found)} problem(s)")
    return 1 if problems.found else 0


def print_counts(scenarios: list[Scenario]) -> None:
    counts: Counter[tuple[str, str]] = Counter((s.job, s.language) for s in scenarios)
    jobs = sorted({s.job for s in scenarios})
    print(f"{'job':18} {'en':>3} {'zh':>3} {'ko':>3}")
    for job in jobs:
        print(f"{job:18} " + " ".join(f"{counts[(job, lang)]:>3}" for lang in LANGS))
    tagged = sum(1 for s in scenarios if "adversarial" in s.tags)
    print(f"adversarial: {tagged}")


# --- command line ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verify", nargs="*", metavar="PATH", help="check scenario files")
    sub = parser.add_subparsers(dest="command")
    c = sub.add_parser("customers")
    c.add_argument("--lang")
    o = sub.add_parser("orders")
    o.add_argument("email", nargs="?")
    o.add_argument("--status")
    p = sub.add_parser("products")
    p.add_argument("product_id", nargs="?")
    sub.add_parser("local")
    sub.add_parser("promotions")
    q = sub.add_parser("quote", help="retail quote: EMAIL VARIANT[:QTY]...")
    q.add_argument("email")
    q.add_argument("lines", nargs="+")
    q.add_argument("--coupon")
    lq = sub.add_parser("local-quote", help="EMAIL STORE 'item[:qty][;group=choice,...]'...")
    lq.add_argument("email")
    lq.add_argument("store_id")
    lq.add_argument("lines", nargs="+")
    lq.add_argument("--coupon")
    lq.add_argument("--delivery", action="store_true")
    args = parser.parse_args(argv)
    if args.verify is not None:
        return verify(args.verify or [str(SCENARIOS)])
    with fresh_store(demo_shop()) as store:
        try:
            show(store, args, parser)
        except StoreError as error:
            print(f"the store refuses: {error.message}")
            return 1
    return 0


def show(store: Store, args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Print what the command asks for."""
    if args.command == "customers":
        print_customers(store, args.lang)
    elif args.command == "orders":
        print_orders(store, args.email, args.status)
    elif args.command == "products":
        print_products(store, args.product_id)
    elif args.command == "local":
        print_local(store)
    elif args.command == "promotions":
        print_promotions(store)
    elif args.command == "quote":
        lines = []
        for text in args.lines:
            variant, _, qty = text.partition(":")
            lines.append(LineRequest(variant_id=variant, quantity=int(qty or 1)))
        print_quote(
            store.checkout.quote(
                customer_id_of(store, args.email), lines=lines, coupon_code=args.coupon
            )
        )
    elif args.command == "local-quote":
        print_quote(
            store.local.quote(
                customer_id_of(store, args.email),
                args.store_id,
                [parse_menu_line(t) for t in args.lines],
                fulfilment="delivery" if args.delivery else "pickup",
                coupon_code=args.coupon,
            )
        )
    else:
        parser.print_help()


if __name__ == "__main__":
    sys.exit(main())
