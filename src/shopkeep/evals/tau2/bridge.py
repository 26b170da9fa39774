"""τ²-bench retail tasks played against shopkeep's assistant by an LLM-simulated customer, each
trial on a fresh copy of a store imported from τ²'s db.json, scored as τ² scores them.

The conversation follows τ²'s orchestrator: the agent opens with τ²'s greeting, the customer
(a `SimulatedUser` told the task's scenario) answers, and it goes on until the customer gives a
stop signal, the assistant hands the conversation to a human, or `max_turns` customer messages
have been answered. Every consequential action the assistant commits is written into the
trajectory as the τ² tool call that does the same, so the trajectory is τ²-shaped; the database
itself is scored from the store, through the τ² export.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import computed_field
from rich.console import Console

from shopkeep.agent.result import TurnResult
from shopkeep.agent.state import Staged, staged_kind
from shopkeep.evals.demo import EVAL_NOW, ShopState, customer_emails, shop_state
from shopkeep.evals.runner import (
    FATAL,
    AssistantFactory,
    Judgement,
    Record,
    ScenarioResult,
    SuiteRun,
    TurnRecord,
    progress_bar,
    repeated_questions,
    turn_record,
)
from shopkeep.evals.scenarios import Expect, OrderFacts, Scenario
from shopkeep.evals.tau2.actions import JOB_OF_TOOL, replay, tau2_call
from shopkeep.evals.tau2.scoring import (
    Reward,
    Tau2Message,
    Termination,
    ToolCallRecord,
    pass_hat_k,
    score,
)
from shopkeep.evals.tau2.scripts import ScriptedCustomer, Tau2Script
from shopkeep.evals.tau2.tasks import Task
from shopkeep.evals.usersim import SimulatedUser, UserTurn
from shopkeep.llm import ModelGateway
from shopkeep.llm.errors import ModelError
from shopkeep.llm.pricing import Price
from shopkeep.store import Database, Store, StoreError
from shopkeep.store.tau2 import export_tau2, import_tau2

GREETING = "Hi! How can I help you today?"
"""τ²'s orchestrator opens every conversation with this agent message."""
MAX_TURNS = 30
MAX_REPEATS = 3
"""The same customer message this many times in a row ends the conversation (scores 0)."""
DEFAULT_SEED = 300
"""τ²'s default seed: each trial's seed is drawn from it."""

ENDINGS: dict[str, Termination] = {
    "stop": "user_stop",
    "transfer": "transfer",
    "out_of_scope": "out_of_scope",
}


# --- the store ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """A task's end state: the database after its expected actions, and what they changed."""

    database: dict[str, Any]
    changed_orders: frozenset[str]
    errors: tuple[str, ...]
    """Expected actions the store refused (τ² logs its own such errors and goes on)."""


class Tau2Shop:
    """τ²'s retail database imported once into a SQLite file; `fresh()` hands out copies."""

    def __init__(self, folder: Path, source: Path) -> None:
        self.folder = folder
        self.source = source
        self.template = folder / "tau2.sqlite3"
        self._copies = 0
        self._initial: dict[str, Any] | None = None
        self._expected: dict[str, Expected] = {}

    @classmethod
    def build(cls, folder: Path, source: Path) -> Tau2Shop:
        shop = cls(folder, source)
        db = Database(f"sqlite:///{shop.template}")
        try:
            db.migrate()
            import_tau2(db, source, clock=lambda: EVAL_NOW)
            with db.engine.connect() as connection:
                # Fold the write-ahead log into the file, so that copying the file copies all.
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            shop._initial = export_tau2(db)
        finally:
            db.dispose()
        return shop

    @property
    def initial(self) -> dict[str, Any]:
        assert self._initial is not None
        return self._initial

    def fresh(self, seed: str) -> Store:
        """A store on a new copy of the imported database, its clock stopped at EVAL_NOW."""
        self._copies += 1
        path = self.folder / f"copy-{self._copies:05d}.sqlite3"
        shutil.copyfile(self.template, path)
        return Store(Database(f"sqlite:///{path}"), clock=lambda: EVAL_NOW, rng=random.Random(seed))

    def discard(self, store: Store) -> None:
        store.close()
        path = store.db.sqlite_path
        if path is not None:
            for leftover in (
                path,
                path.with_name(path.name + "-wal"),
                path.with_name(path.name + "-shm"),
            ):
                leftover.unlink(missing_ok=True)

    def expected(self, task: Task) -> Expected:
        """The task's expected actions replayed on a fresh copy, as τ² builds its gold
        environment; kept for the task's other trials."""
        if task.id not in self._expected:
            self._expected = {task.id: self._replay(task)}  # one task at a time is enough
        return self._expected[task.id]

    def _replay(self, task: Task) -> Expected:
        store = self.fresh(f"expected/{task.id}")
        errors: list[str] = []
        try:
            for action in task.gold_actions:
                try:
                    replay(store, action.name, action.arguments)
                except (StoreError, ValueError, KeyError) as refused:
                    message = getattr(refused, "message", None) or str(refused)
                    errors.append(f"{action.action_id or action.name}: {action.name}: {message}")
            database = export_tau2(store.db)
        finally:
            self.discard(store)
        changed = frozenset(
            order_id
            for order_id, order in database["orders"].items()
            if self.initial["orders"].get(order_id) != order
        )
        return Expected(database=database, changed_orders=changed, errors=tuple(errors))


@contextmanager
def tau2_shop(source: Path) -> Iterator[Tau2Shop]:
    """The imported database in a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="shopkeep-tau2-") as folder:
        yield Tau2Shop.build(Path(folder), source)


# --- results --------------------------------------------------------------------------------


class UserTurnRecord(Record):
    """One message of the simulated customer, with what it cost."""

    number: int
    text: str
    ending: str | None
    wall_seconds: float
    prompt_tokens: int
    completion_tokens: int
    cost_pico_usd: int
    dropped_messages: int


class TrialRun(Record):
    """One conversation of one task: its τ² reward and trajectory, and the conversation as the
    scenario runner records one (turns, tokens, latency, policy violations)."""

    task_id: str
    trial: int
    seed: int
    termination: Termination
    reward: Reward
    expected_errors: list[str]
    trajectory: list[Tau2Message]
    conversation: ScenarioResult
    user_turns: list[UserTurnRecord]
    wall_seconds: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def success(self) -> bool:
        return self.reward.success


class Tau2Run(Record):
    """Every trial of every task, on one model and mode."""

    tasks_file: str
    database_file: str
    mode: str
    model: str
    user_model: str
    price_entry: str
    price_entries: list[str]
    trials: int
    max_turns: int
    seed: int
    started_at: datetime
    wall_seconds: float
    results: list[TrialRun]

    def by_task(self) -> dict[str, list[TrialRun]]:
        groups: dict[str, list[TrialRun]] = {}
        for r in self.results:
            groups.setdefault(r.task_id, []).append(r)
        return groups

    def pass_hat(self) -> dict[int, float]:
        """pass^k for k from 1 to the trials every task has."""
        groups = [[r.success for r in trials] for trials in self.by_task().values()]
        most = min((len(g) for g in groups), default=0)
        out = {}
        for k in range(1, most + 1):
            value = pass_hat_k(groups, k)
            if value is not None:
                out[k] = value
        return out

    def average_reward(self) -> float:
        return sum(r.reward.reward for r in self.results) / len(self.results) if self.results else 0

    def suite_run(self) -> SuiteRun:
        """The trials as a scenario suite run, for the metrics and plots the reports share."""
        return SuiteRun(
            mode=self.mode,
            model=self.model,
            price_entry=self.price_entry,
            price_entries=self.price_entries,
            started_at=self.started_at,
            wall_seconds=self.wall_seconds,
            results=[r.conversation for r in self.results],
        )


# --- playing --------------------------------------------------------------------------------


class Customer(Protocol):
    """Who plays a task's customer: a model (`SimulatedUser`) or a script."""

    def reply(self, agent_message: str) -> UserTurn: ...


def task_job(task: Task) -> str:
    """What the task is about, named as shopkeep's jobs: its first write (or transfer)."""
    for action in task.gold_actions:
        if action.name in JOB_OF_TOOL:
            return JOB_OF_TOOL[action.name]
    return "information"


def trial_seeds(seed: int, trials: int) -> list[int]:
    """One seed per trial, drawn as τ²'s runner draws them."""
    rng = random.Random(seed)
    return [rng.randint(0, 1_000_000) for _ in range(trials)]


def run_tau2(
    tasks: Sequence[Task],
    *,
    shop: Tau2Shop,
    assistant_for: AssistantFactory,
    user_gateway: ModelGateway,
    prices: Mapping[str, Price],
    mode: str,
    model: str,
    user_model: str,
    price_entry: str,
    trials: int = 1,
    max_turns: int = MAX_TURNS,
    seed: int = DEFAULT_SEED,
    tasks_file: str = "",
    console: Console | None = None,
) -> Tau2Run:
    """Every task `trials` times (all trials of a task before the next task), with a progress
    bar on `console` when one is given."""
    if trials < 1:
        raise ValueError("trials must be at least 1")
    started_at, started = datetime.now(UTC), time.perf_counter()
    seeds = trial_seeds(seed, trials)
    results: list[TrialRun] = []
    with progress_bar(f"τ² {mode}", console) as progress:
        bar = progress.add_task("", total=len(tasks) * trials, passed=0)
        for task in tasks:
            for trial in range(trials):
                progress.update(bar, description=f"task {task.id} trial {trial + 1}")
                customer = SimulatedUser(
                    user_gateway,
                    task.scenario,
                    conversation_id=f"tau2-{task.id}-{trial}-customer",
                    seed=seeds[trial],
                )
                results.append(
                    play_task(
                        task,
                        trial,
                        seed=seeds[trial],
                        shop=shop,
                        assistant_for=assistant_for,
                        customer=customer,
                        prices=prices,
                        mode=mode,
                        max_turns=max_turns,
                        tasks_file=tasks_file,
                    )
                )
                progress.update(bar, advance=1, passed=sum(r.success for r in results))
        progress.update(bar, description="")
    return Tau2Run(
        tasks_file=tasks_file,
        database_file=str(shop.source),
        mode=mode,
        model=model,
        user_model=user_model,
        price_entry=price_entry,
        price_entries=list(prices),
        trials=trials,
        max_turns=max_turns,
        seed=seed,
        started_at=started_at,
        wall_seconds=time.perf_counter() - started,
        results=results,
    )


def run_tau2_scripts(
    scripts: Sequence[Tau2Script],
    tasks: Sequence[Task],
    *,
    shop: Tau2Shop,
    assistant_for: AssistantFactory,
    prices: Mapping[str, Price],
    mode: str,
    model: str,
    price_entry: str,
    tasks_file: str = "",
    console: Console | None = None,
) -> Tau2Run:
    """Every script once, its task's customer played by its fixed turns, scored as τ² scores
    the task. A conversation ends after the script's last turn is answered."""
    by_id = {t.id: t for t in tasks}
    started_at, started = datetime.now(UTC), time.perf_counter()
    results: list[TrialRun] = []
    with progress_bar(f"τ² scripted {mode}", console) as progress:
        bar = progress.add_task("", total=len(scripts), passed=0)
        for script in scripts:
            progress.update(bar, description=script.id)
            results.append(
                play_task(
                    by_id[script.task],
                    0,
                    seed=0,
                    shop=shop,
                    assistant_for=assistant_for,
                    customer=ScriptedCustomer(script.turns),
                    prices=prices,
                    mode=mode,
                    max_turns=len(script.turns) + 1,
                    tasks_file=str(script.file or tasks_file),
                    script=script,
                )
            )
            progress.update(bar, advance=1, passed=sum(r.success for r in results))
        progress.update(bar, description="")
    return Tau2Run(
        tasks_file=tasks_file,
        database_file=str(shop.source),
        mode=mode,
        model=model,
        user_model="scripted",
        price_entry=price_entry,
        price_entries=list(prices),
        trials=1,
        max_turns=max((len(s.turns) for s in scripts), default=0),
        seed=0,
        started_at=started_at,
        wall_seconds=time.perf_counter() - started,
        results=results,
    )


class _Conversation:
    """What one played conversation leaves: the trajectory, the turns, the customer's turns."""

    def __init__(self) -> None:
        self.trajectory: list[Tau2Message] = [
            Tau2Message(role="assistant", content=GREETING, turn=0)
        ]
        self.turns: list[TurnRecord] = []
        self.user_turns: list[UserTurnRecord] = []
        self.calls: list[ToolCallRecord] = []
        self.notes: list[str] = []

    def say(self, role: Literal["assistant", "user"], text: str, turn: int) -> None:
        self.trajectory.append(Tau2Message(role=role, content=text, turn=turn))

    def call(self, name: str, arguments: dict[str, Any], turn: int, response: str) -> None:
        call = ToolCallRecord(id=f"call_{len(self.calls)}", name=name, arguments=arguments)
        self.calls.append(call)
        self.trajectory.append(Tau2Message(role="assistant", tool_calls=[call], turn=turn))
        self.trajectory.append(Tau2Message(role="tool", id=call.id, content=response, turn=turn))

    def actions(
        self, result: TurnResult, staged_before: Mapping[str, Any] | None, turn: int
    ) -> None:
        """The τ² tool calls that do what the turn did: each committed action (with the
        arguments it was staged with, which the customer said yes to) and a handoff."""
        for event in result.events:
            kind = event.get("kind")
            if kind == "committed":
                action = str(event.get("action"))
                if staged_before is None or staged_kind(dict(staged_before)) != action:
                    self.notes.append(f"turn {turn}: committed {action} with nothing staged")
                    continue
                mapped = tau2_call(Staged.model_validate(staged_before).action)
                if mapped is None:
                    self.notes.append(f"turn {turn}: {action} has no τ² tool")
                    continue
                self.call(*mapped, turn=turn, response=f"committed: {event.get('order_id')}")
            elif kind == "handoff":
                self.call(
                    "transfer_to_human_agents",
                    {"summary": f"handed off: {event.get('reason')}"},
                    turn=turn,
                    response="Transfer successful",
                )


def play_task(
    task: Task,
    trial: int,
    *,
    seed: int,
    shop: Tau2Shop,
    assistant_for: AssistantFactory,
    customer: Customer,
    prices: Mapping[str, Price],
    mode: str,
    max_turns: int = MAX_TURNS,
    tasks_file: str = "",
    script: Tau2Script | None = None,
) -> TrialRun:
    """One conversation of a task on a fresh store, scored the τ² way. With `script`, the
    conversation is named, tagged and in the language of the script its customer plays."""
    started = time.perf_counter()
    store = shop.fresh(f"{task.id}/{trial}")
    played = _Conversation()
    error: str | None = None
    handed_off = False
    try:
        before = shop_state(store)
        emails = customer_emails(store)
        termination, error, handed_off = _play(
            customer, store, assistant_for, prices, max_turns, played
        )
        after = shop_state(store)
        database = export_tau2(store.db)
    finally:
        shop.discard(store)
    expected = shop.expected(task)
    reward = score(
        task,
        termination=termination,
        replies=[m.content or "" for m in played.trajectory if m.role == "assistant"],
        calls=played.calls,
        database=database,
        expected_database=expected.database,
    )
    judged = judgement(task, before, after, played.turns, emails, expected)
    violations = judged.violations()
    failures = [f"database: {line}" for line in reward.db_diff]
    failures += [
        f"communicate: no reply states {c.info!r}" for c in reward.communicate if not c.met
    ]
    failures += played.notes
    if reward.note:
        failures.append(reward.note)
    unwanted = judged.unwanted()
    failures += [f"not asked for: {u.detail}" for u in unwanted]
    conversation = ScenarioResult(
        id=script.id if script else f"tau2-{task.id}" + (f"-trial{trial + 1}" if trial else ""),
        title=script.title if script else task.reason_for_call.strip()[:160],
        job=task_job(task),
        language=script.language if script else "en",
        tags=["tau2", *(script.tags if script else [f"trial {trial + 1}"])],
        file=tasks_file or None,
        mode=mode,
        # τ²'s success: the reward. Policy violations are reported beside it, as for scenarios;
        # an action the customer did not ask for fails the conversation whatever the reward.
        success=reward.success and not unwanted,
        failures=failures if not (reward.success and not unwanted) else [],
        violations=violations,
        unwanted=unwanted,
        repeats=repeated_questions(played.turns),
        error=error,
        placed_orders=[],
        handed_off=handed_off,
        turns=played.turns,
    )
    return TrialRun(
        task_id=task.id,
        trial=trial,
        seed=seed,
        termination=termination,
        reward=reward,
        expected_errors=list(expected.errors),
        trajectory=played.trajectory,
        conversation=conversation,
        user_turns=played.user_turns,
        wall_seconds=time.perf_counter() - started,
    )


def _play(
    user: Customer,
    store: Store,
    assistant_for: AssistantFactory,
    prices: Mapping[str, Price],
    max_turns: int,
    played: _Conversation,
) -> tuple[Termination, str | None, bool]:
    """The conversation itself: (how it ended, what broke it, whether it was handed off)."""
    try:
        assistant = assistant_for(store)
        conversation_id = assistant.start()  # a guest: τ²'s customers prove who they are
    except FATAL:
        raise
    except Exception as crash:
        return "agent_error", f"start: {type(crash).__name__}: {crash}", False
    agent_text = GREETING
    staged: Mapping[str, Any] | None = None
    for number in range(1, max_turns + 1):
        asked = time.perf_counter()
        try:
            said = user.reply(agent_text)
        except FATAL:
            raise
        except (ModelError, ValueError) as crash:
            return "user_error", f"customer, turn {number}: {type(crash).__name__}: {crash}", False
        usage = said.usage
        played.user_turns.append(
            UserTurnRecord(
                number=number,
                text=said.text,
                ending=said.ending,
                wall_seconds=time.perf_counter() - asked,
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
                cost_pico_usd=usage.cost_pico_usd if usage else 0,
                dropped_messages=said.dropped_messages,
            )
        )
        if said.ending is not None:
            played.say("user", said.text, number)  # τ² keeps the signal in the message
            return ENDINGS[said.ending], None, False
        if not said.message:
            return "user_error", f"customer, turn {number}: an empty message", False
        recent = [u.text for u in played.user_turns[-MAX_REPEATS:]]
        if len(recent) == MAX_REPEATS and len(set(recent)) == 1:
            # A customer saying the same thing again and again is stuck: τ² would run on to
            # its step limit and score 0; ending now scores the same and saves the time.
            return (
                "user_error",
                f"customer, turn {number}: the same message {MAX_REPEATS} times",
                False,
            )
        played.say("user", said.message, number)
        started = time.perf_counter()
        try:
            result = assistant.reply(conversation_id, said.message)
        except FATAL:
            raise
        except Exception as crash:
            return "agent_error", f"turn {number}: {type(crash).__name__}: {crash}", False
        played.turns.append(
            turn_record(number, said.message, result, time.perf_counter() - started, prices)
        )
        played.actions(result, staged, number)
        if result.reply:
            played.say("assistant", result.reply, number)
        staged = result.staged
        if result.handed_off:
            return "handoff", None, True
        agent_text = result.reply
    return "max_turns", None, False


def judgement(
    task: Task,
    before: ShopState,
    after: ShopState,
    turns: Sequence[TurnRecord],
    emails: Mapping[str, str],
    expected: Expected,
) -> Judgement:
    """The scenario runner's checks, with the orders the task's expected actions change as the
    expected changes: any other change is an action not asked for; another customer's data in
    a reply or an action committed without its confirmation, a policy violation."""
    # The runner's Judgement reads a scenario's expectations; a τ² task has none of its own
    # beyond the orders it changes, so a scenario is made up from those without validation.
    expect = Expect.model_construct(
        say=[],
        not_say=[],
        orders={order_id: OrderFacts() for order_id in sorted(expected.changed_orders)},
        placed=[],
        handoff=None,
    )
    scenario = Scenario.model_construct(
        id=f"tau2-{task.id}",
        title=task.id,
        job="cancel",
        language="en",
        turns=[t.user for t in turns],
        expect=expect,
    )
    return Judgement(
        scenario, None, before, after, turns, emails, asked_to_change=expected.changed_orders
    )


def trajectory_json(run: TrialRun) -> list[dict[str, Any]]:
    """The trajectory as τ²'s messages are written (a tool call's arguments as an object)."""
    return [json.loads(m.model_dump_json(exclude_none=True)) for m in run.trajectory]
