"""An LLM-simulated customer: it follows τ²-bench-shaped instructions (reason for the call, what
it knows, what it does not, how to behave) on any model backend, and ends the conversation with
τ²'s stop signals."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shopkeep.llm import ChatRequest, Message, ModelGateway, UsageRecord
from shopkeep.llm.errors import PromptTooLong

STOP = "###STOP###"
TRANSFER = "###TRANSFER###"
OUT_OF_SCOPE = "###OUT-OF-SCOPE###"

Ending = Literal["stop", "transfer", "out_of_scope"]

# A small model writes the signals loosely (`###STOP`, `## STOP ##`, `###OUT OF SCOPE###`); the
# customer meant to end all the same.
_SIGNAL = re.compile(r"#{2,}\s*(STOP|TRANSFER|OUT[-_ ]OF[-_ ]SCOPE)\b\s*#*", re.IGNORECASE)
# A model that writes the whole dialogue: its first line for the other side ends the customer's.
_OTHER_SIDE = re.compile(
    r"^\s*\*{0,2}(?:agent|assistant|representative|rep|support|shop|shopkeeper|bot)\*{0,2}\s*:",
    re.IGNORECASE | re.MULTILINE,
)
_OWN_LABEL = re.compile(
    r"^\s*\*{0,2}(?:customer|user|me|client)\*{0,2}\s*:\s*\*{0,2}\s*", re.IGNORECASE
)

GUIDELINES = f"""You are a customer writing to a shop's customer service in a chat. Follow the
scenario below exactly; you are the customer, never the agent.

- Write one short message at a time, in your own words, as a customer would.
- Use only the information in the scenario. What it does not give you, you do not know: say so
  if asked. Never invent ids, emails, addresses or numbers.
- Give information when the agent asks for it, not all at once.
- When everything the scenario asks for is done (or the agent cannot do more), reply with
  {STOP} and nothing else.
- If the agent transfers you to a human agent, reply with {TRANSFER} and nothing else.
- If the scenario does not tell you how to go on, reply with {OUT_OF_SCOPE} and nothing else."""


OPENING = """The conversation starts now: the agent greets you, and your first message says why you
are writing. Do not end the conversation before you have said what you need."""
# Last in the prompt: a small model given only the guidelines answers the greeting with the
# stop signal (measured: the 0.5B and 1.5B did on every τ² task tried).


class UserInstructions(BaseModel):
    """What the simulated customer is told, in τ²-bench's shape (`StructuredUserInstructions`)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    domain: str = "retail"
    reason_for_call: str
    known_info: str | None = None
    unknown_info: str | None = None
    task_instructions: str

    def render(self) -> str:
        """As τ²-bench writes them into its user simulator's prompt."""
        tab = "\t"
        lines = [
            f"Domain: {self.domain}",
            f"Reason for call:\n{textwrap.indent(self.reason_for_call, tab)}",
        ]
        if self.known_info is not None:
            lines.append(f"Known info:\n{textwrap.indent(self.known_info, tab)}")
        if self.unknown_info is not None:
            lines.append(f"Unknown info:\n{textwrap.indent(self.unknown_info, tab)}")
        lines.append(f"Task instructions:\n{textwrap.indent(self.task_instructions, tab)}")
        return "\n".join(lines)


def scenario_text(instructions: UserInstructions | str, persona: str | None = None) -> str:
    """τ²'s `UserScenario` as text: the persona, if any, then the instructions."""
    rendered = instructions.render() if isinstance(instructions, UserInstructions) else instructions
    lines = []
    if persona:
        lines += ["Persona:", textwrap.indent(persona, "\t")]
    lines += ["Instructions:", textwrap.indent(rendered, "\t")]
    return "\n".join(lines)


def ending_of(text: str) -> Ending | None:
    """The stop signal in a customer's message, if any."""
    found = _SIGNAL.search(text)
    if found is None:
        return None
    word = found.group(1).upper()
    if word == "STOP":
        return "stop"
    if word == "TRANSFER":
        return "transfer"
    return "out_of_scope"


def clean(text: str) -> str:
    """The customer's message alone: without a role label, the other side's lines a small model
    goes on to write, or quotes around it."""
    other = _OTHER_SIDE.search(text)
    if other is not None and other.start() > 0:
        text = text[: other.start()]
    text = _OWN_LABEL.sub("", text.strip(), count=1).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


@dataclass(frozen=True)
class UserTurn:
    """One message of the simulated customer."""

    text: str
    """As the model wrote it, cleaned; with the stop signal, if it gave one."""
    ending: Ending | None
    usage: UsageRecord | None
    """The model call that wrote it; None for a scripted customer."""
    dropped_messages: int = 0
    """Oldest messages left out of the prompt because the whole conversation no longer fit."""

    @property
    def message(self) -> str:
        """What the agent is sent: the text without any stop signal."""
        return _SIGNAL.sub("", self.text).strip()


@dataclass
class SimulatedUser:
    """A customer played by a model. It sees the agent's messages as its user turns and its own
    as its assistant turns (τ²'s role flip), and answers one message at a time."""

    gateway: ModelGateway
    scenario: str
    """The scenario text (`scenario_text`)."""
    conversation_id: str
    max_tokens: int = 160
    temperature: float = 0.0
    seed: int | None = None
    history: list[Message] = field(default_factory=list)
    """The conversation so far, from the customer's side: agent turns as user messages."""

    @property
    def system_prompt(self) -> str:
        return f"{GUIDELINES}\n\n<scenario>\n{self.scenario}\n</scenario>\n\n{OPENING}"

    def reply(self, agent_message: str) -> UserTurn:
        """The customer's answer to the agent's message."""
        self.history.append(Message.user(agent_message))
        dropped = 0
        while True:
            # The first agent message stays: it opens every conversation the way τ² does.
            kept = self.history[:1] + self.history[1 + dropped :] if dropped else self.history
            request = ChatRequest(
                messages=(Message.system(self.system_prompt), *kept),
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                seed=self.seed,
            )
            try:
                completion = self.gateway.complete(
                    request, conversation_id=self.conversation_id, purpose="user_simulator"
                )
                break
            except PromptTooLong:
                # A small context: leave out the oldest exchange and try again, down to the
                # opening and the agent's last message.
                if len(self.history) - dropped <= 2:
                    raise
                dropped += 2
        text = clean(completion.text)
        turn = UserTurn(
            text=text, ending=ending_of(text), usage=completion.usage, dropped_messages=dropped
        )
        self.history.append(Message.assistant(text))
        return turn
