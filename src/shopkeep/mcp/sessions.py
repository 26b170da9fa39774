"""One MCP conversation per token, kept in the conversation log: the action waiting for a yes and
the actions already confirmed survive a restart, and one token's calls take their turns in order."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shopkeep.agent.state import State, StateUnreadable
from shopkeep.mcp.tokens import CustomerToken, TokenRefused
from shopkeep.store.errors import ConversationExists, ConversationNotFound
from shopkeep.store.shop import Store
from shopkeep.store.views import ConversationView, MessageInput

CHANNEL = "mcp"
CONFIRMED = "mcp_confirmed"
"""Beside the `State` fields: the actions already confirmed, {id: {action, order_id}}."""
KEEP_CONFIRMED = 50
"""Confirmations remembered per token; an older one confirmed again is "not found"."""


def readable_state(view: ConversationView) -> State:
    """The session's state; one an earlier, incompatible version saved starts afresh (an action
    it held is not done, and confirming it is "not found")."""
    try:
        return State.load(view.state)
    except StateUnreadable:
        return State()


def conversation_id(token: CustomerToken) -> str:
    return f"mcp-{token.token_id}"


class AgentSession:
    """One token's conversation as one call found it. `save` writes the call's changes as one turn;
    a call that fails before saving changes nothing."""

    def __init__(self, store: Store, view: ConversationView, customer_id: str) -> None:
        self._store = store
        self._view = view
        self.state = readable_state(view)
        self.state.customer_id, self.state.logged_in = customer_id, True
        # A turn per call: a staged action is committed only by a later call.
        self.state.turn += 1
        self.confirmed: dict[str, dict[str, str]] = dict(view.state.get(CONFIRMED, {}))
        self._messages: list[MessageInput] = []
        self._placed: list[str] = []
        self._job: str | None = None

    def note(
        self,
        text: str,
        *,
        event: dict[str, Any],
        job: str | None = None,
        staged: dict[str, Any] | None = None,
    ) -> None:
        """Log what the call did, as the assistant's message of the turn."""
        self._messages.append(
            MessageInput(
                role="assistant", text=text, language="en", job=job, events=[event], staged=staged
            )
        )
        self._job = job or self._job

    def remember(self, confirmation_id: str, action: str, order_id: str) -> None:
        self.confirmed[confirmation_id] = {"action": action, "order_id": order_id}
        while len(self.confirmed) > KEEP_CONFIRMED:
            del self.confirmed[next(iter(self.confirmed))]

    def placed(self, order_id: str) -> None:
        self._placed.append(order_id)

    def save(self) -> None:
        state = self.state.model_dump(mode="json")
        state[CONFIRMED] = self.confirmed
        self._view = self._store.conversations.record_turn(
            self._view.id,
            expected_version=self._view.version,
            state=state,
            messages=self._messages,
            last_job=self._job,
            placed_orders=self._placed,
        )
        self._messages, self._placed = [], []


class AgentSessions:
    """The conversations of this server's tokens. Calls of one token run one at a time in this
    process; another process writing the same conversation meanwhile makes the later save fail
    (conversation_changed) without writing anything."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def open(self, token: CustomerToken) -> Iterator[AgentSession]:
        cid = conversation_id(token)
        with self._guard:
            lock = self._locks.setdefault(cid, threading.Lock())
        with lock:
            yield AgentSession(self._store, self._load(cid, token), token.customer_id)

    def peek(self, token: CustomerToken) -> State | None:
        """The token's state as last saved, to read only; None before its first action."""
        try:
            view = self._store.conversations.get(conversation_id(token))
        except ConversationNotFound:
            return None
        return readable_state(view)

    def _load(self, cid: str, token: CustomerToken) -> ConversationView:
        log = self._store.conversations
        try:
            view = log.get(cid)
        except ConversationNotFound:
            try:
                view = log.start(
                    customer_id=token.customer_id,
                    channel=CHANNEL,
                    language="en",
                    conversation_id=cid,
                )
            except ConversationExists:
                view = log.get(cid)  # another process started it first
        if view.customer_id != token.customer_id:
            # Token ids are random and signed with the customer; this is no token we made.
            raise TokenRefused("This token's conversation belongs to someone else.")
        return view
