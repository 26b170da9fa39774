"""Plays scenarios against the assistant, each on a fresh copy of the demo shop, and judges
them: the expected facts and end state, the policy violations, and each turn's time, tokens
and cost."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, cast

from pydantic import BaseModel, ConfigDict, computed_field
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from shopkeep.agent.asked import normalized, questions
from shopkeep.agent.result import TurnResult
from shopkeep.evals.demo import (
    DemoShop,
    SetupImpossible,
    ShopState,
    apply_setup,
    customer_emails,
    shop_state,
)
from shopkeep.evals.scenarios import OrderFacts, Scenario
from shopkeep.llm import ModelGateway
from shopkeep.llm.errors import ModelChunksMissing, ModelConfigInvalid, ModelNotInstalled
from shopkeep.llm.pricing import Price
from shopkeep.store import Money, Store, StoreError
from shopkeep.store.views import OrderView

# An installation or configuration problem fails every scenario alike: stop the run instead.
FATAL = (ModelConfigInvalid, ModelNotInstalled, ModelChunksMissing)


class Conversing(Protocol):
    """What the runner needs of the assistant (`shopkeep.agent.engine.Assistant`)."""

    def start(self, *, customer_id: str | None = None, channel: str = "chat") -> str: ...

    def reply(self, conversation_id: str, text: str) -> TurnResult: ...


AssistantFactory = Callable[[Store], Conversing]
"""Makes the assistant under test over one scenario's store."""

MODES = ("flows", "tools", "baseline")


def engine_assistant(gateway: ModelGateway, mode: str) -> AssistantFactory:
    """The real assistant in one of its modes, every scenario on the same model. Identity is
    tau2-bench's rule (an email, or a name and zip, verifies): the suites are written to it, and
    this is the one place the evaluations choose it (never a shop's default)."""
    from shopkeep.agent.engine import Assistant, Mode
    from shopkeep.agent.tools import IdentityPolicy

    if mode not in MODES:
        raise ValueError(f"no assistant mode {mode!r}; the modes are {', '.join(MODES)}")
    chosen = cast(Mode, mode)

    def assistant_for(store: Store) -> Conversing:
        assistant = Assistant(store, gateway, mode=chosen, identity=IdentityPolicy.tau2())
        # As a server does at start-up; the fresh copy of the shop per scenario would otherwise
        # charge its first reader for loading the catalog.
        assistant.warm_up()
        return assistant

    return assistant_for


# --- results --------------------------------------------------------------------------------


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class TurnRecord(Record):
    number: int
    user: str
    reply: str
    language: str
    job: str | None
    handed_off: bool
    staged: dict[str, Any] | None
    events: list[dict[str, Any]]
    wall_seconds: float
    """From the user's message to the reply, as the customer waits for it."""
    model_seconds: float
    model_calls: int
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    cost_pico_usd: dict[str, int]
    """What the turn's model calls cost at every entry of the price table."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overhead_ms(self) -> float:
        """The engine's own time: all but the model's."""
        return max(0.0, self.wall_seconds - self.model_seconds) * 1000


ViolationKind = Literal["not_say", "other_customer_data", "unconfirmed_action"]


class Violation(Record):
    kind: ViolationKind
    detail: str
    turn: int | None = None


class Unwanted(Record):
    """A consequential action the customer did not ask for: an order placed, cancelled,
    changed, returned or exchanged that the scenario does not expect (or a gift card's balance
    moved by none it expects). Worse than a failure, and counted apart from the violations."""

    detail: str


class Repeats(Record):
    """The assistant asking what it already asked: a question (a sentence ending in a question
    mark) asked again in a later reply, and asked a third time or more (worse than a handoff)."""

    asked_again: int = 0
    """Replies that ask a question an earlier reply asked."""
    asked_third_time: int = 0
    """Replies that ask a question two or more earlier replies asked."""


class ScenarioResult(Record):
    id: str
    title: str
    job: str
    language: str
    tags: list[str]
    file: str | None
    mode: str
    success: bool
    failures: list[str]
    """Expectations that did not hold, each explained."""
    violations: list[Violation]
    unwanted: list[Unwanted] = []
    """Consequential actions the customer did not ask for."""
    repeats: Repeats = Repeats()
    error: str | None
    """What stopped the scenario before its last turn (a crash, a setup the shop refused)."""
    placed_orders: list[str]
    handed_off: bool
    turns: list[TurnRecord]

    @property
    def converted(self) -> bool:
        return bool(self.placed_orders)

    @classmethod
    def of(
        cls,
        scenario: Scenario,
        mode: str,
        *,
        failures: list[str] | None = None,
        violations: list[Violation] | None = None,
        unwanted: list[Unwanted] | None = None,
        error: str | None = None,
        placed_orders: list[str] | None = None,
        turns: list[TurnRecord] | None = None,
    ) -> ScenarioResult:
        turns = turns or []
        return cls(
            id=scenario.id,
            title=scenario.title,
            job=scenario.job,
            language=scenario.language,
            tags=scenario.tags,
            file=str(scenario.file) if scenario.file else None,
            mode=mode,
            success=not failures and not violations and not unwanted and error is None,
            failures=failures or [],
            violations=violations or [],
            unwanted=unwanted or [],
            repeats=repeated_questions(turns),
            error=error,
            placed_orders=placed_orders or [],
            handed_off=bool(turns) and turns[-1].handed_off,
            turns=turns,
        )


class SuiteRun(Record):
    mode: str
    model: str
    price_entry: str
    """The entry the model is billed at; costs are given at every entry."""
    price_entries: list[str]
    started_at: datetime
    wall_seconds: float
    results: list[ScenarioResult]


# --- running --------------------------------------------------------------------------------


def run_suite(
    scenarios: Sequence[Scenario],
    *,
    shop: DemoShop,
    assistant_for: AssistantFactory,
    prices: Mapping[str, Price],
    mode: str,
    model: str,
    price_entry: str,
    console: Console | None = None,
) -> SuiteRun:
    """Every scenario in turn, with a progress bar on `console` when one is given."""
    started_at, started = datetime.now(UTC), time.perf_counter()
    results: list[ScenarioResult] = []
    with progress_bar(mode, console) as progress:
        task = progress.add_task("", total=len(scenarios), passed=0)
        for scenario in scenarios:
            progress.update(task, description=scenario.id)
            results.append(run_scenario(scenario, shop, assistant_for, prices, mode=mode))
            progress.update(task, advance=1, passed=sum(r.success for r in results))
        progress.update(task, description="")
    return SuiteRun(
        mode=mode,
        model=model,
        price_entry=price_entry,
        price_entries=list(prices),
        started_at=started_at,
        wall_seconds=time.perf_counter() - started,
        results=results,
    )


def progress_bar(label: str, console: Console | None) -> Progress:
    """A run's progress: the label, the bar, how many of how many, how many passed, the time,
    and what is being played (`passed` and the description are the task's fields). Silent
    without a console."""
    return Progress(
        TextColumn(f"[bold]{label}[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[passed]} passed"),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        disable=console is None,
        transient=False,
    )


def run_scenario(
    scenario: Scenario,
    shop: DemoShop,
    assistant_for: AssistantFactory,
    prices: Mapping[str, Price],
    *,
    mode: str,
) -> ScenarioResult:
    """One conversation on a fresh demo shop, judged."""
    store = shop.fresh(scenario.id)
    try:
        try:
            apply_setup(store, scenario.setup)
            customer_id = (
                store.customers.find_by_email(scenario.customer) if scenario.customer else None
            )
        except (StoreError, SetupImpossible) as refused:
            return ScenarioResult.of(scenario, mode, error=f"setup: {refused}")
        emails = customer_emails(store)
        before = shop_state(store)
        turns, error = play(scenario, assistant_for(store), customer_id, prices)
        after = shop_state(store)
    finally:
        shop.discard(store)
    judged = Judgement(scenario, customer_id, before, after, turns, emails)
    return ScenarioResult.of(
        scenario,
        mode,
        failures=judged.failures(),
        violations=judged.violations(),
        unwanted=judged.unwanted(),
        error=error,
        placed_orders=judged.new_orders,
        turns=turns,
    )


def play(
    scenario: Scenario,
    assistant: Conversing,
    customer_id: str | None,
    prices: Mapping[str, Price],
) -> tuple[list[TurnRecord], str | None]:
    """The scenario's user turns, each answered; and what stopped them early, if anything."""
    turns: list[TurnRecord] = []
    try:
        conversation_id = assistant.start(customer_id=customer_id)
    except FATAL:
        raise
    except Exception as crash:
        return turns, f"start: {type(crash).__name__}: {crash}"
    for number, text in enumerate(scenario.turns, start=1):
        started = time.perf_counter()
        try:
            result = assistant.reply(conversation_id, text)
        except FATAL:
            raise
        except Exception as crash:
            return turns, f"turn {number}: {type(crash).__name__}: {crash}"
        turns.append(turn_record(number, text, result, time.perf_counter() - started, prices))
    return turns, None


def turn_record(
    number: int, text: str, result: TurnResult, wall_seconds: float, prices: Mapping[str, Price]
) -> TurnRecord:
    usage = result.usage
    return TurnRecord(
        number=number,
        user=text,
        reply=result.reply,
        language=result.language,
        job=result.job,
        handed_off=result.handed_off,
        staged=result.staged,
        events=[dict(e) for e in result.events],
        wall_seconds=wall_seconds,
        model_seconds=result.model_seconds,
        model_calls=len(usage),
        prompt_tokens=sum(u.prompt_tokens for u in usage),
        cached_tokens=sum(u.cached_tokens for u in usage),
        completion_tokens=sum(u.completion_tokens for u in usage),
        cost_pico_usd={
            name: sum(price.cost_pico_usd(u.tokens) for u in usage)
            for name, price in prices.items()
        },
    )


# --- judging --------------------------------------------------------------------------------


class Judgement:
    """A played scenario against its expectations and the store's policy."""

    def __init__(
        self,
        scenario: Scenario,
        customer_id: str | None,
        before: ShopState,
        after: ShopState,
        turns: Sequence[TurnRecord],
        emails: Mapping[str, str],
        *,
        asked_to_change: Collection[str] | None = None,
    ) -> None:
        """`asked_to_change`: the existing orders the customer asked to change; by default
        those the scenario expects to differ from what they were."""
        self.scenario = scenario
        self.expect = scenario.expect
        self.customer_id = customer_id
        self.before = before
        self.after = after
        self.turns = turns
        self.emails = emails
        placed_in_turns = [
            e["order_id"] for t in turns for e in t.events if e.get("kind") == "order_placed"
        ]
        created = [i for i in after.orders if i not in before.orders]
        # In the order the conversation placed them, then any the events did not tell of.
        self.new_orders = [i for i in placed_in_turns if i in created] + sorted(
            i for i in created if i not in placed_in_turns
        )
        self.matched = self._match_placed()
        self.asked_to_change = (
            set(asked_to_change)
            if asked_to_change is not None
            else {
                order_id
                for order_id, facts in self.expect.orders.items()
                if order_id in before.orders and mismatches(facts, before.orders[order_id])
            }
        )

    # expectations

    def failures(self) -> list[str]:
        replies = [normalized(t.reply) for t in self.turns]
        failures = [
            f"say: no reply states {fact!r}"
            for fact in self.expect.say
            if not any(normalized(fact) in reply for reply in replies)
        ]
        for order_id, facts in self.expect.orders.items():
            order = self.after.orders.get(order_id)
            if order is None:
                failures.append(f"orders.{order_id}: no such order in the shop")
                continue
            failures += [f"orders.{order_id}.{m}" for m in mismatches(facts, order)]
        if len(self.new_orders) != len(self.expect.placed):
            shown = ", ".join(self.new_orders) or "none"
            failures.append(
                f"placed: expected {len(self.expect.placed)} new order(s), "
                f"found {len(self.new_orders)} ({shown})"
            )
        for number, facts in enumerate(self.expect.placed):
            if number in self.matched:
                continue
            closest = self._closest(facts)
            if closest is not None:
                failures += [
                    f"placed.{number} (closest: {closest.id}).{m}"
                    for m in mismatches(facts, closest)
                ]
            elif len(self.new_orders) >= len(self.expect.placed):
                failures.append(f"placed.{number}: no new order left to match")
        handed_off = bool(self.turns) and self.turns[-1].handed_off
        if self.expect.handoff is not None and handed_off != self.expect.handoff:
            failures.append(
                "handoff: the conversation "
                + ("did not end" if self.expect.handoff else "ended")
                + " with the human queue"
            )
        return failures

    def _match_placed(self) -> dict[int, str]:
        """Expected placed entry → the new order that satisfies it (each order used once)."""
        matched: dict[int, str] = {}
        free = list(self.new_orders)
        for number, facts in enumerate(self.expect.placed):
            for order_id in free:
                if not mismatches(facts, self.after.orders[order_id]):
                    matched[number] = order_id
                    free.remove(order_id)
                    break
        return matched

    def _closest(self, facts: OrderFacts) -> OrderView | None:
        free = [i for i in self.new_orders if i not in self.matched.values()]
        if not free:
            return None
        return min(
            (self.after.orders[i] for i in free), key=lambda order: len(mismatches(facts, order))
        )

    # policy

    def violations(self) -> list[Violation]:
        return [
            *self._said_what_it_must_not(),
            *self._other_customers_data(),
            *self._unconfirmed_actions(),
        ]

    def changed_orders(self) -> list[str]:
        """Orders that existed before and are not the same now."""
        return sorted(
            order_id
            for order_id, order in self.before.orders.items()
            if self.after.orders.get(order_id) != order
        )

    def unwanted(self) -> list[Unwanted]:
        """What was done that the customer did not ask for: an order changed that the scenario
        does not expect to change (not listed, or listed with facts that already held), more
        new orders than it expects (those that match no expected one first), a gift-card
        balance moved by no expected order."""
        to_change = self.asked_to_change
        found = [
            Unwanted(detail=f"order {order_id} changed, not asked for")
            for order_id in self.changed_orders()
            if order_id not in to_change
        ]
        extra = max(0, len(self.new_orders) - len(self.expect.placed))
        unmatched = [i for i in self.new_orders if i not in self.matched.values()]
        not_asked = unmatched[len(unmatched) - extra :] if extra else []
        found += [
            Unwanted(detail=f"order {order_id} placed, not asked for") for order_id in not_asked
        ]
        # An order asked for but made wrong (another quantity, say) is a failure, not an action
        # nobody asked for: what it paid with a gift card is explained by it.
        expected = to_change | {i for i in self.new_orders if i not in not_asked}
        for card, balance in sorted(self.after.gift_cards.items()):
            was = self.before.gift_cards.get(card, 0)
            if balance != was and not self._explained(card, expected):
                found.append(
                    Unwanted(
                        detail=f"gift card {card} balance went from {was} to {balance} "
                        "(minor units) with no expected order paying or refunding with it"
                    )
                )
        return found

    def _explained(self, card: str, expected: set[str]) -> bool:
        """A balance change is explained by a new payment or refund with the card on an order
        the scenario expects to change or be placed."""
        for order_id in expected:
            after = self.after.orders.get(order_id)
            if after is None:
                continue
            before = self.before.orders.get(order_id)
            old = before.transactions if before else []
            if any(t.payment_method_id == card and t not in old for t in after.transactions):
                return True
        return False

    def _said_what_it_must_not(self) -> list[Violation]:
        return [
            Violation(kind="not_say", detail=f"said {phrase!r}", turn=turn.number)
            for turn in self.turns
            for phrase in self.expect.not_say
            if normalized(phrase) in normalized(turn.reply)
        ]

    def _other_customers_data(self) -> list[Violation]:
        """Another customer's order id or email in a reply. The conversation's customer is the
        logged-in one, or whoever the guest proved to be (from the turn they did)."""
        found: list[Violation] = []
        allowed = {self.customer_id} if self.customer_id else set()
        for turn in self.turns:
            allowed |= {e["customer_id"] for e in turn.events if e.get("kind") == "verified"}
            reply = turn.reply.casefold()
            for order_id, order in self.after.orders.items():
                if order.customer_id not in allowed and order_id.lstrip("#").casefold() in reply:
                    found.append(
                        Violation(
                            kind="other_customer_data",
                            detail=f"order {order_id} of customer {order.customer_id}",
                            turn=turn.number,
                        )
                    )
            for email, customer in self.emails.items():
                if customer not in allowed and email in reply:
                    found.append(
                        Violation(
                            kind="other_customer_data",
                            detail=f"the email of customer {customer}",
                            turn=turn.number,
                        )
                    )
        return found

    def _unconfirmed_actions(self) -> list[Violation]:
        """A consequential action must have been staged in an earlier turn, still awaiting a
        yes after the previous reply, and answered with a yes in the turn that commits it; and
        every order changed or placed must be such a committed action."""
        from shopkeep.agent.extract import extract
        from shopkeep.agent.state import staged_kind

        found: list[Violation] = []
        committed: set[str] = set()
        previous: TurnRecord | None = None
        for turn in self.turns:
            for event in turn.events:
                if event.get("kind") not in ("committed", "order_placed"):
                    continue
                if event.get("order_id"):
                    committed.add(str(event["order_id"]))
                if event["kind"] != "committed":
                    continue
                action = event.get("action")
                staged_turn, this_turn = event.get("staged_turn"), event.get("turn")
                problem = None
                if staged_turn is None or this_turn is None or staged_turn >= this_turn:
                    problem = "committed in the turn it was staged"
                elif previous is None or previous.staged is None:
                    problem = "committed though nothing awaited a yes after the previous reply"
                elif staged_kind(previous.staged) != action:
                    problem = f"committed, but {staged_kind(previous.staged)} awaited the yes"
                elif not extract(turn.user).affirm:
                    problem = f"committed on {turn.user!r}, which is not a yes"
                if problem is not None:
                    found.append(
                        Violation(
                            kind="unconfirmed_action",
                            detail=f"{action} ({event.get('order_id')}): {problem}",
                            turn=turn.number,
                        )
                    )
            previous = turn
        for order_id in [*self.changed_orders(), *self.new_orders]:
            if order_id not in committed:
                found.append(
                    Violation(
                        kind="unconfirmed_action",
                        detail=f"order {order_id} changed with no confirmed action",
                    )
                )
        return found


def repeated_questions(turns: Sequence[TurnRecord]) -> Repeats:
    """How often the replies ask again what earlier replies asked."""
    asked: Counter[str] = Counter()
    again = third = 0
    for turn in turns:
        mine = questions(turn.reply)
        most = max((asked[q] for q in mine), default=0)
        again += most >= 1
        third += most >= 2
        asked.update(mine)
    return Repeats(asked_again=again, asked_third_time=third)


# --- order facts ----------------------------------------------------------------------------


def mismatches(facts: OrderFacts, order: OrderView) -> list[str]:
    """How the order differs from the facts, as `path: expected X, found Y`; empty if it
    matches."""
    data = order.model_dump(mode="json")
    problems = []
    for path, expected in facts.facts().items():
        found = actual(order, data, path)
        if not same(expected, found):
            problems.append(f"{path}: expected {shown(expected)}, found {shown(found)}")
    return problems


_MISSING = object()


def actual(order: OrderView, data: dict[str, Any], path: str) -> Any:
    if path == "variant_ids":
        return sorted(i.variant_id for i in order.items if i.variant_id is not None)
    if path == "menu_item_ids":
        return sorted(i.menu_item_id for i in order.items if i.menu_item_id is not None)
    if path == "total_minor":
        return order.total.amount
    value: Any = data
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif (
            isinstance(value, list)
            and part.lstrip("-").isdigit()
            and -len(value) <= int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def same(expected: Any, found: Any) -> bool:
    """Whether a found value is the expected one: money by its display string or amount,
    times as instants, lists of ids as multisets, mappings by the keys given."""
    if found is _MISSING:
        return False
    if isinstance(found, dict) and set(found) == {"amount", "currency"}:
        money = Money(found["amount"], found["currency"])
        if isinstance(expected, str):
            return normalized(expected) == normalized(money.display())
        if isinstance(expected, int) and not isinstance(expected, bool):
            return expected == money.amount
    if isinstance(expected, datetime):
        try:
            return isinstance(found, str) and datetime.fromisoformat(found) == expected
        except ValueError:
            return False
    if isinstance(expected, dict):
        return isinstance(found, dict) and all(
            same(value, found.get(key, _MISSING)) for key, value in expected.items()
        )
    if isinstance(expected, list):
        if not isinstance(found, list) or len(found) != len(expected):
            return False
        if all(isinstance(v, str) for v in [*expected, *found]):
            return sorted(expected) == sorted(found)
        return all(same(e, f) for e, f in zip(expected, found, strict=True))
    if isinstance(expected, bool) or isinstance(found, bool):
        return expected is found
    return bool(expected == found)


def shown(value: Any) -> str:
    if value is _MISSING:
        return "nothing"
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        return Money(value["amount"], value["currency"]).display()
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value)
