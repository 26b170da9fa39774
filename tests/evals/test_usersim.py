"""The LLM-simulated customer: τ²-shaped instructions, τ²'s role flip, its stop signals, cleaning a
small model's output, and a real conversation on the local model."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopkeep.evals.runner import engine_assistant
from shopkeep.evals.tau2.bridge import play_task, tau2_shop
from shopkeep.evals.tau2.scoring import SCORED
from shopkeep.evals.tau2.tasks import load_tasks
from shopkeep.evals.usersim import (
    OUT_OF_SCOPE,
    STOP,
    TRANSFER,
    SimulatedUser,
    UserInstructions,
    clean,
    ending_of,
    scenario_text,
)
from shopkeep.llm import (
    ChatRequest,
    LLMSettings,
    ModelGateway,
    PriceTable,
    ScriptedBackend,
    UsageLedger,
    open_gateway,
)
from shopkeep.llm.backends.scripted import Reply
from shopkeep.llm.errors import PromptTooLong

FIXTURE = Path(__file__).parents[1] / "fixtures" / "tau2" / "bridge"
PRICES = PriceTable.from_settings(LLMSettings())

INSTRUCTIONS = UserInstructions(
    reason_for_call="You want to cancel order #W8835847.",
    known_info="You are Daiki Silva, daiki.silva6295@example.com.",
    unknown_info="You do not remember your zip code.",
    task_instructions="You are direct.",
)


def customer(replies: list[Reply]) -> tuple[SimulatedUser, ScriptedBackend]:
    backend = ScriptedBackend(replies)
    user = SimulatedUser(ModelGateway(backend), scenario_text(INSTRUCTIONS), conversation_id="c1")
    return user, backend


def test_that_the_instructions_are_written_as_tau2_writes_its_user_scenario() -> None:
    assert scenario_text(INSTRUCTIONS) == (
        "Instructions:\n"
        "\tDomain: retail\n"
        "\tReason for call:\n\t\tYou want to cancel order #W8835847.\n"
        "\tKnown info:\n\t\tYou are Daiki Silva, daiki.silva6295@example.com.\n"
        "\tUnknown info:\n\t\tYou do not remember your zip code.\n"
        "\tTask instructions:\n\t\tYou are direct."
    )
    assert scenario_text("Just cancel it.", persona="Impatient").startswith(
        "Persona:\n\tImpatient\nInstructions:\n\tJust cancel it."
    )


def test_that_the_customer_sees_the_agent_as_its_user_and_itself_as_the_assistant() -> None:
    user, backend = customer(["Please cancel #W8835847.", "Yes."])
    assert user.reply("Hi! How can I help you today?").text == "Please cancel #W8835847."
    user.reply("Shall I cancel it? (yes / no)")
    request = backend.requests[1]
    roles = [(m.role, m.content) for m in request.messages]
    assert roles[0][0] == "system"
    assert "<scenario>" in roles[0][1] and "cancel order #W8835847" in roles[0][1]
    assert all(signal in roles[0][1] for signal in (STOP, TRANSFER, OUT_OF_SCOPE))
    assert roles[1:] == [
        ("user", "Hi! How can I help you today?"),
        ("assistant", "Please cancel #W8835847."),
        ("user", "Shall I cancel it? (yes / no)"),
    ]


@pytest.mark.parametrize(
    ("text", "ending"),
    [
        (STOP, "stop"),
        (TRANSFER, "transfer"),
        (OUT_OF_SCOPE, "out_of_scope"),
        ("Thanks, that's all. ###STOP###", "stop"),
        ("###STOP", "stop"),
        ("## out of scope ##", "out_of_scope"),
        ("Please cancel it.", None),
        ("I want to stop the order", None),
    ],
)
def test_that_each_stop_signal_ends_the_conversation_with_its_kind(
    text: str, ending: str | None
) -> None:
    assert ending_of(text) == ending


def test_that_the_message_sent_to_the_agent_leaves_the_signal_out() -> None:
    user, _ = customer(["Thanks, that's all. ###STOP###"])
    said = user.reply("Your order is cancelled.")
    assert said.ending == "stop"
    assert said.message == "Thanks, that's all."


def test_that_a_model_writing_both_sides_is_cut_to_the_customers_own_message() -> None:
    assert clean("Customer: I want to return my lamp.\nAgent: Sure, which order?") == (
        "I want to return my lamp."
    )
    assert clean('"Yes, please."') == "Yes, please."
    assert clean("  **User:** my email is a@b.com  ") == "my email is a@b.com"
    assert clean("Agent: how can I help?") == "Agent: how can I help?"  # nothing else to keep


def test_that_the_customers_model_calls_go_through_the_gateway_and_are_counted() -> None:
    ledger = UsageLedger()
    user = SimulatedUser(
        ModelGateway(ScriptedBackend(["Hello, I need help."]), sinks=[ledger]),
        "Instructions:\n\tYou need help.",
        conversation_id="tau2-0-customer",
    )
    said = user.reply("Hi! How can I help you today?")
    assert said.usage.purpose == "user_simulator"
    assert said.usage.conversation_id == "tau2-0-customer"
    assert said.usage.prompt_tokens > 0 and said.usage.completion_tokens > 0
    assert [r.purpose for r in ledger.records()] == ["user_simulator"]


def test_that_the_oldest_exchanges_are_left_out_when_the_conversation_no_longer_fits() -> None:
    def fits(request: ChatRequest) -> str:
        if len(request.messages) > 4:
            raise PromptTooLong("too long for the test's context")
        return "Still here."

    user, backend = customer(["One.", "Two.", fits, fits])
    user.reply("first")
    user.reply("second")
    said = user.reply("third")
    assert said.text == "Still here." and said.dropped_messages == 2
    kept = [m.content for m in backend.requests[-1].messages[1:]]
    assert kept == ["first", "Two.", "third"]  # the opening stays, then the latest exchange


def test_that_a_conversation_that_cannot_fit_at_all_raises() -> None:
    def never(request: ChatRequest) -> str:
        raise PromptTooLong("nothing fits")

    user, _ = customer([never, never])
    with pytest.raises(PromptTooLong):
        user.reply("Hi! How can I help you today?")


@pytest.mark.slow
def test_that_a_real_simulated_customer_talks_with_the_assistant_until_the_conversation_ends(
    model_path: Path,
) -> None:
    """The local 0.5B plays the customer (and is the assistant's model): the conversation runs
    on real model output, every customer message costs counted tokens, and it ends with a
    recorded reason and a τ² score. The 0.5B rarely plays a customer well; that it ends and is
    scored is what is tested here."""
    gateway = open_gateway(LLMSettings(backend="local", model_path=model_path))
    task = load_tasks(FIXTURE / "tasks.json", ["88"])[0]
    with tau2_shop(FIXTURE / "db.json") as shop:
        trial = play_task(
            task,
            0,
            seed=1,
            shop=shop,
            assistant_for=engine_assistant(gateway, "flows"),
            customer=SimulatedUser(gateway, task.scenario, conversation_id="customer", seed=1),
            prices=PRICES,
            mode="flows",
            max_turns=4,
        )
    assert trial.user_turns, "the customer wrote at least once"
    for turn in trial.user_turns:
        assert turn.prompt_tokens > 0 and turn.completion_tokens > 0
    customer_lines = [m.content for m in trial.trajectory if m.role == "user"]
    assert customer_lines and all(line and line.strip() == line for line in customer_lines)
    assert trial.trajectory[0].content == "Hi! How can I help you today?"
    assert trial.termination in {*SCORED, "max_turns", "user_error"}
    assert trial.reward.reward in (0.0, 1.0)
    if trial.termination not in SCORED:
        assert trial.reward.reward == 0.0
