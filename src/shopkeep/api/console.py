"""The staff console's API: sign-in, the live handoff queue, take over, reply, hand back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field

from shopkeep.api.chat import (
    LIVE_POLL_SECONDS,
    ChatService,
    MessageOut,
    MoneyOut,
    client_address,
)
from shopkeep.api.errors import ErrorOut, Refused, stream_errors
from shopkeep.api.session import (
    StaffUser,
    require_staff,
    sign_in_staff,
    sign_out_staff,
    staff_user,
)
from shopkeep.settings import Settings
from shopkeep.store.conversations import MAX_MESSAGE_CHARS
from shopkeep.store.errors import ConversationNotHeld, TooManyTries
from shopkeep.store.shop import Store
from shopkeep.store.staff import StaffRole
from shopkeep.store.views import ConversationView, HandoffView

RECENT_ORDERS = 5
"""The customer's orders the console shows beside a handoff, newest first."""
OPEN = ("waiting", "taken")

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The body is not valid JSON"},
    401: {"model": ErrorOut, "description": "Sign in to the console first"},
    404: {"model": ErrorOut, "description": "No such conversation or handoff"},
    409: {"model": ErrorOut, "description": "Someone else holds it, or it is no longer open"},
    422: {"model": ErrorOut, "description": "The request breaks a rule (blank, too long...)"},
}


# --- what goes over the wire ----------------------------------------------------------------


class LoginIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class StaffOut(BaseModel):
    username: str
    display_name: str
    role: StaffRole


class SignedOut(BaseModel):
    signed_in: bool = False


class OrderBrief(BaseModel):
    id: str
    status: str
    total: MoneyOut
    created_at: datetime
    items: list[str]
    """The items' names."""


class CustomerContext(BaseModel):
    """Who the staff member is talking to: the profile and the latest orders."""

    id: str
    name: str
    email: str
    locale: str | None
    profile: dict[str, Any]
    orders: list[OrderBrief]
    """The most recent orders, newest first."""


class HandoffOut(BaseModel):
    id: int
    conversation_id: str
    status: str
    """waiting (in the queue), taken (a staff member holds it), returned or closed."""
    staff: str | None
    """Who holds it (taken), or held it last."""
    reason: str
    """requested, out_of_scope, misunderstood, verification_failed..."""
    summary: str
    language: str | None
    channel: str
    note: str | None
    created_at: datetime
    taken_at: datetime | None
    customer: CustomerContext | None
    """None: a guest who has not verified who they are."""


class ConsoleConversationOut(BaseModel):
    id: str
    status: str
    """active, waiting_human, human or closed."""
    language: str | None
    channel: str
    customer: CustomerContext | None
    handoff: HandoffOut | None
    """The open handoff (waiting or taken), if any."""
    messages: list[MessageOut]
    """Every message, oldest first: the customer's, the assistant's, staff's."""
    created_at: datetime


class QueueOut(BaseModel):
    handoffs: list[HandoffOut]


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class HandBackIn(BaseModel):
    note: str | None = Field(
        default=None, max_length=1000, description="what the assistant's next turns should know"
    )


# --- the service behind the routes ----------------------------------------------------------


class Console:
    """What the console reads and does, on the store and the chat's message rendering."""

    def __init__(self, store: Store, chat: ChatService) -> None:
        self.store = store
        self.chat = chat

    def customer(self, customer_id: str | None) -> CustomerContext | None:
        if customer_id is None:
            return None
        c = self.store.customers.get(customer_id)
        orders = self.store.orders.history(customer_id, limit=RECENT_ORDERS)
        return CustomerContext(
            id=c.id,
            name=c.name,
            email=c.email,
            locale=c.locale,
            profile=c.profile,
            orders=[
                OrderBrief(
                    id=o.id,
                    status=o.status,
                    total=MoneyOut.of(o.total),
                    created_at=o.created_at,
                    items=o.item_names,
                )
                for o in orders
            ],
        )

    def handoff(
        self, h: HandoffView, known: dict[str, CustomerContext | None] | None = None
    ) -> HandoffOut:
        known = {} if known is None else known
        if h.customer_id is not None and h.customer_id not in known:
            known[h.customer_id] = self.customer(h.customer_id)
        return HandoffOut(
            id=h.id,
            conversation_id=h.conversation_id,
            status=h.status,
            staff=h.staff,
            reason=h.reason,
            summary=h.summary,
            language=h.language,
            channel=h.channel,
            note=h.note,
            created_at=h.created_at,
            taken_at=h.taken_at,
            customer=known.get(h.customer_id) if h.customer_id else None,
        )

    def queue(self, views: list[HandoffView] | None = None) -> QueueOut:
        views = self.store.conversations.queue(status=OPEN) if views is None else views
        known: dict[str, CustomerContext | None] = {}
        return QueueOut(handoffs=[self.handoff(h, known) for h in views])

    def open_handoff(self, c: ConversationView) -> HandoffOut | None:
        if c.open_handoff_id is None:
            return None
        return self.handoff(self.store.conversations.handoff(c.open_handoff_id))

    def conversation(self, conversation_id: str) -> ConsoleConversationOut:
        c = self.store.conversations.get(conversation_id)
        return ConsoleConversationOut(
            id=c.id,
            status=c.status,
            language=c.language,
            channel=c.channel,
            customer=self.customer(c.customer_id),
            handoff=self.open_handoff(c),
            messages=self.chat.messages(c.id, for_staff=True),
            created_at=c.created_at,
        )

    def held(self, handoff_id: int, staff: StaffUser) -> HandoffView:
        """The handoff, if `staff` holds it now (an old handoff of a conversation is not a way
        to write to it)."""
        h = self.store.conversations.handoff(handoff_id)
        if h.status != "taken" or h.staff != staff.username:
            holder = h.staff if h.status == "taken" else None
            raise ConversationNotHeld(h.conversation_id, staff.username, holder)
        return h

    def take(self, handoff_id: int, staff: StaffUser) -> HandoffOut:
        return self.handoff(self.store.conversations.take(handoff_id, staff=staff.username))

    def reply(self, handoff_id: int, staff: StaffUser, text: str) -> MessageOut:
        h = self.held(handoff_id, staff)
        # The store checks again, under the conversation's lock: it is the check that counts.
        m = self.store.conversations.staff_reply(
            h.conversation_id, staff=staff.username, text=text, language=h.language
        )
        return self.chat.message(m, for_staff=True)

    def hand_back(self, handoff_id: int, staff: StaffUser, note: str | None) -> HandoffOut:
        note = note.strip() if note and note.strip() else None
        h = self.store.conversations.hand_back(handoff_id, staff=staff.username, note=note)
        return self.handoff(h)

    def close(self, handoff_id: int, staff: StaffUser) -> HandoffOut:
        """End the conversation: the holder may, and anyone while it waits (spam, a customer
        who left); a handoff already closed stays as it is."""
        h = self.store.conversations.handoff(handoff_id)
        if h.status == "taken" and h.staff != staff.username:
            raise ConversationNotHeld(h.conversation_id, staff.username, h.staff)
        if h.status == "returned":
            raise Refused(
                409,
                "handoff_not_open",
                f"Handoff {h.id} was handed back; the assistant holds the conversation.",
            )
        if h.status != "closed":
            self.store.conversations.close(h.conversation_id)
        return self.handoff(self.store.conversations.handoff(handoff_id))


# --- routes ---------------------------------------------------------------------------------

router = APIRouter(prefix="/api", tags=["console"], responses=ERRORS)


def console_service(request: Request) -> Console:
    return Console(request.app.state.store, request.app.state.chat)


Service = Annotated[Console, Depends(console_service)]
Staff = Annotated[StaffUser, Depends(require_staff)]


def watched(conversation_id: str, staff: Staff, console: Service) -> ConversationView:
    """The conversation (404 before a stream starts, not in it), for a signed-in staff
    member."""
    return console.store.conversations.get(conversation_id)


Watched = Annotated[ConversationView, Depends(watched)]


@router.post(
    "/staff/login",
    response_model=StaffOut,
    summary="Sign in to the console",
    responses={
        429: {
            "model": ErrorOut,
            "description": "Too many failed sign-ins for this account or from this address: "
            "wait Retry-After seconds",
        }
    },
)
def login(body: LoginIn, request: Request, console: Service) -> StaffOut:
    """After repeated failures for the account or from the address, each try must wait longer
    (429 too_many_tries with Retry-After), and the password is not even checked meanwhile."""
    try:
        account = console.store.staff.sign_in(
            body.username, body.password, client=client_address(request)
        )
    except TooManyTries as e:
        wait = str(e.details["retry_after_seconds"])
        raise Refused(429, e.code, e.message, headers={"Retry-After": wait}) from None
    if account is None:
        raise Refused(401, "bad_credentials", "Wrong username or password.")
    settings: Settings = request.app.state.settings
    sign_in_staff(request, account.username, timedelta(days=settings.web.session_days))
    return StaffOut(username=account.username, display_name=account.display_name, role=account.role)


@router.post("/staff/logout", response_model=SignedOut, summary="Sign out of the console")
def logout(request: Request) -> SignedOut:
    sign_out_staff(request)
    return SignedOut()


@router.get("/staff/me", response_model=StaffOut, summary="The signed-in staff member")
def me(staff: Staff) -> StaffOut:
    return StaffOut(username=staff.username, display_name=staff.display_name, role=staff.role)


@router.get(
    "/console/queue",
    response_model=list[HandoffOut],
    summary="The open handoffs, oldest first: waiting, and taken (with who holds them)",
)
def queue(staff: Staff, console: Service) -> list[HandoffOut]:
    return console.queue().handoffs


@router.get(
    "/console/live",
    response_class=EventSourceResponse,
    responses=stream_errors(ERRORS),
    summary="Follow the queue: the open handoffs again whenever they change",
    description="Events: `queue` ({handoffs: [HandoffOut]}), first at once, then on every change "
    "any worker makes. The stream ends when the staff member signs out or the account is "
    "deactivated.",
)
async def live_queue(
    staff: Staff, console: Service, request: Request
) -> AsyncIterator[ServerSentEvent]:
    seen: list[tuple[Any, ...]] | None = None
    while not await request.is_disconnected():
        if await run_in_threadpool(staff_user, request) is None:
            return
        views = await run_in_threadpool(console.store.conversations.queue, status=OPEN)
        # The views alone tell a change; customers' orders are read only when one happened.
        now = [(h.id, h.status, h.staff, h.summary, h.customer_id, h.language) for h in views]
        if now != seen:
            seen = now
            out = await run_in_threadpool(console.queue, views)
            yield ServerSentEvent(event="queue", data=out.model_dump(mode="json"))
        await asyncio.sleep(LIVE_POLL_SECONDS)


@router.get(
    "/console/conversations/{conversation_id}",
    response_model=ConsoleConversationOut,
    summary="A conversation with every message, its open handoff and the customer's context",
)
def conversation(conversation_id: str, staff: Staff, console: Service) -> ConsoleConversationOut:
    return console.conversation(conversation_id)


@router.get(
    "/console/conversations/{conversation_id}/live",
    response_class=EventSourceResponse,
    responses=stream_errors(ERRORS),
    summary="Follow a conversation from the console: new messages and status changes",
    description="Events: `message` (a MessageOut, each once, in order; id = its seq) and `status` "
    "({status, handoff: HandoffOut | null}), first at once, then when either changes. Reconnect "
    "with `after` set to the last seq seen.",
)
async def live_conversation(
    c: Watched,
    staff: Staff,
    console: Service,
    request: Request,
    after: Annotated[int, Query(ge=0)] = 0,
) -> AsyncIterator[ServerSentEvent]:
    seen: tuple[Any, ...] | None = None
    while not await request.is_disconnected():
        if await run_in_threadpool(staff_user, request) is None:
            return
        fresh = await run_in_threadpool(partial(console.chat.messages, c.id, after, for_staff=True))
        for m in fresh:
            after = m.seq
            yield ServerSentEvent(event="message", data=m.model_dump(mode="json"), id=str(m.seq))
        c = await run_in_threadpool(console.store.conversations.get, c.id)
        handoff = await run_in_threadpool(console.open_handoff, c)
        now = (c.status, handoff.model_dump_json() if handoff else None)
        if now != seen:
            seen = now
            data = {
                "status": c.status,
                "handoff": handoff.model_dump(mode="json") if handoff else None,
            }
            yield ServerSentEvent(event="status", data=data)
        await asyncio.sleep(LIVE_POLL_SECONDS)


@router.post(
    "/console/handoffs/{handoff_id}/take",
    response_model=HandoffOut,
    summary="Take a waiting conversation over: the assistant stays quiet until it is handed back",
)
def take(handoff_id: int, staff: Staff, console: Service) -> HandoffOut:
    return console.take(handoff_id, staff)


@router.post(
    "/console/handoffs/{handoff_id}/reply",
    response_model=MessageOut,
    summary="Reply to the customer (only the staff member holding the conversation)",
)
def reply(handoff_id: int, body: ReplyIn, staff: Staff, console: Service) -> MessageOut:
    return console.reply(handoff_id, staff, body.text)


@router.post(
    "/console/handoffs/{handoff_id}/hand-back",
    response_model=HandoffOut,
    summary="Give the conversation back to the assistant (only the staff member holding it)",
)
def hand_back(
    handoff_id: int, staff: Staff, console: Service, body: HandBackIn | None = None
) -> HandoffOut:
    return console.hand_back(handoff_id, staff, body.note if body else None)


@router.post(
    "/console/handoffs/{handoff_id}/close",
    response_model=HandoffOut,
    summary="End the conversation (its holder, or anyone while it waits)",
)
def close(handoff_id: int, staff: Staff, console: Service) -> HandoffOut:
    return console.close(handoff_id, staff)
