"""The shopper's chat API: sign in (demo customer or guest), start a conversation, send a message
and get the reply as JSON or streamed over SSE, read the history, follow it live, see the cart."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field, field_validator

from shopkeep.agent.engine import Assistant, reconcile
from shopkeep.agent.extract import option_synonyms
from shopkeep.agent.result import TurnResult
from shopkeep.agent.state import staged_kind
from shopkeep.api.admission import (
    Admission,
    Clock,
    Place,
    RateLimit,
    StreamCap,
    retry_after,
    seconds,
)
from shopkeep.api.errors import ErrorOut, Refused, stream_errors
from shopkeep.api.session import (
    Shopper,
    remember_conversation,
    session_id,
    shopper,
    sign_in_customer,
)
from shopkeep.identity import MAX_TOKEN_CHARS, read_customer
from shopkeep.settings import WebSettings
from shopkeep.store.conversations import MAX_MESSAGE_CHARS
from shopkeep.store.errors import (
    ConversationChanged,
    ConversationNotFound,
    StaffNotFound,
    StoreError,
)
from shopkeep.store.money import Money
from shopkeep.store.shop import Store
from shopkeep.store.views import (
    CartView,
    ConversationView,
    CustomerView,
    MessageView,
    ProductView,
    localized,
)

log = logging.getLogger(__name__)

Language = Literal["en", "zh", "ko"]
MAX_SEQ = 2**31 - 1
"""The largest `after` a reader may name: PostgreSQL's integer (a larger one cannot be bound)."""
LIVE_POLL_SECONDS = 0.5
"""How often a live stream looks for new messages; the database is the only channel between
workers, so any worker can follow a conversation another worker (or the console) writes."""

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The body is not valid JSON"},
    401: {"model": ErrorOut, "description": "Sign in first"},
    403: {"model": ErrorOut, "description": "Not allowed here (e.g. demo login is off)"},
    404: {"model": ErrorOut, "description": "No such conversation for this browser"},
    409: {"model": ErrorOut, "description": "The conversation kept changing; send again"},
    422: {"model": ErrorOut, "description": "The request breaks a rule (blank, too long...)"},
}
INTERNAL_ERROR = {
    "code": "internal_error",
    "message": "The reply could not be made; please send the message again.",
    "details": {},
}

STREAM_ERRORS = stream_errors(ERRORS)
RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before sending the message again",
        "schema": {"type": "integer", "minimum": 1},
    }
}
REFUSED_FOR_NOW: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many messages from this customer or address; send again later"},
    503: {"description": "The assistant is busy and its line is full; send again later"},
}
SEND_ERRORS = {
    **ERRORS,
    **{
        status: {"model": ErrorOut, "headers": RETRY_AFTER, **r}
        for status, r in REFUSED_FOR_NOW.items()
    },
}
SEND_STREAM_ERRORS = {
    **STREAM_ERRORS,
    **{
        status: {"headers": RETRY_AFTER, **r}
        for status, r in stream_errors(REFUSED_FOR_NOW).items()
    },
}


# --- what goes over the wire ----------------------------------------------------------------


class MoneyOut(BaseModel):
    amount_minor: int
    currency: str
    display: str

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(amount_minor=money.amount, currency=money.currency, display=money.display())


class CustomerOut(BaseModel):
    id: str
    name: str
    email: str
    locale: str | None

    @classmethod
    def of(cls, c: CustomerView) -> CustomerOut:
        return cls(id=c.id, name=c.name, email=c.email, locale=c.locale)


class SessionOut(BaseModel):
    customer: CustomerOut | None
    """None: a guest."""
    demo_login: bool
    """Whether this server lets a visitor pick a demo customer."""


class SignInIn(BaseModel):
    customer_id: str | None = Field(
        default=None, max_length=64, description="a demo customer's id; null: continue as a guest"
    )
    identity_token: str | None = Field(
        default=None,
        max_length=MAX_TOKEN_CHARS,
        description="the merchant site's signed customer token (docs/web.md): act as that "
        "customer, made on first sight",
    )


class ProductCard(BaseModel):
    """A product as the chat shows it: a card with name, price, options and stock."""

    id: str
    name: str
    brand: str | None
    category: str
    price_from: MoneyOut | None
    price_to: MoneyOut | None
    options: dict[str, list[str]]
    """Each option's values, named in the card's language where the shop's word lists know them."""
    in_stock: bool
    stock: int | None
    """Units left over all variants; None: not counted."""
    rating: float | None
    image: str
    """No photos in the store: the letters a placeholder image shows."""

    @classmethod
    def of(cls, p: ProductView, lang: str) -> ProductCard:
        prices = p.price_range
        options: dict[str, list[str]] = {}
        for v in p.variants:
            for key, value in v.options.items():
                named = option_synonyms(value).get(lang, value)
                if named not in options.setdefault(key, []):
                    options[key].append(named)
        counted = [v.stock for v in p.variants if v.available]
        stock = None if any(s is None for s in counted) else sum(s or 0 for s in counted)
        name = localized(p.name, lang)
        words = re.findall(r"\w+", name)
        # Two products of one brand must not look alike: the letters come from the name.
        letters = "".join(w[0] for w in words[:2]) if len(words) > 1 else name[:2]
        return cls(
            id=p.id,
            name=name,
            brand=p.brand,
            category=p.category,
            price_from=MoneyOut.of(prices[0]) if prices else None,
            price_to=MoneyOut.of(prices[1]) if prices else None,
            options=options,
            in_stock=any(v.in_stock for v in p.variants),
            stock=stock,
            rating=p.rating,
            image=letters.upper(),
        )


class CartLineOut(BaseModel):
    variant_id: str
    product_id: str
    name: str
    options: dict[str, str]
    unit_price: MoneyOut
    quantity: int
    line_total: MoneyOut
    in_stock: bool


class CartOut(BaseModel):
    lines: list[CartLineOut]
    subtotal: MoneyOut | None

    @classmethod
    def of(cls, cart: CartView | None) -> CartOut:
        if cart is None:
            return cls(lines=[], subtotal=None)
        return cls(
            lines=[
                CartLineOut(
                    variant_id=line.variant_id,
                    product_id=line.product_id,
                    name=line.name,
                    options=line.options,
                    unit_price=MoneyOut.of(line.unit_price),
                    quantity=line.quantity,
                    line_total=MoneyOut.of(line.line_total),
                    in_stock=line.in_stock,
                )
                for line in cart.lines
            ],
            subtotal=MoneyOut.of(cart.subtotal),
        )


class StagedOut(BaseModel):
    """An action waiting for the customer's yes: the page shows confirm and decline buttons."""

    action: str
    job: str
    shown: str


class MessageOut(BaseModel):
    seq: int
    role: str
    """customer, assistant, staff or system."""
    author: str | None
    """The staff member's username, for role staff."""
    author_name: str | None = None
    """The staff member's display name, for role staff."""
    text: str
    language: str | None
    job: str | None
    created_at: datetime
    products: list[ProductCard] = []
    """Products the message lists, as cards."""
    staged: StagedOut | None = None


class ConversationOut(BaseModel):
    id: str
    status: str
    """active, waiting_human (in the human queue), human (a person is replying) or closed."""
    staff: str | None = None
    """The staff member replying, while the status is human."""
    customer: CustomerOut | None
    language: str | None
    staged: StagedOut | None
    """The action now waiting for a yes, if any."""
    messages: list[MessageOut]
    created_at: datetime


class StartIn(BaseModel):
    language: Language | None = Field(
        default=None, description="the page's language; the customer's messages decide after"
    )


class SendIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)

    @field_validator("text")
    @classmethod
    def _takeable(cls, text: str) -> str:
        # Refused before the turn, not by the log after it: the turn may have acted by then.
        if not text.strip():
            raise ValueError("the message is blank")
        if "\x00" in text:
            raise ValueError("the message contains a NUL character")
        return text


class TurnOut(BaseModel):
    """A turn: the reply (none while a person holds the conversation), what it shows, and the
    state the page needs (status, the action awaiting a yes, the cart)."""

    conversation_id: str
    messages: list[MessageOut]
    """The customer's message and the reply, as stored."""
    reply: str
    language: str
    job: str | None
    status: str
    staff: str | None = None
    """The staff member replying, while the status is human."""
    handed_off: bool
    staged: StagedOut | None
    cart: CartOut
    events: list[dict[str, Any]]


# --- the service behind the routes ----------------------------------------------------------


class ChatService:
    """Turns of the assistant for the web, with the reads a page needs."""

    def __init__(
        self,
        store: Store,
        assistant: Assistant | Callable[[], Assistant],
        web: WebSettings,
        *,
        clock: Clock = time.monotonic,
        identity_key: bytes = b"",
        token_max: timedelta = timedelta(minutes=10),
    ) -> None:
        """`assistant`, or how to make it on the first turn (an app that only serves agent
        checkout never loads a model). `clock` times the rate limits and the turns."""
        self.store = store
        self.web = web
        self._assistant = assistant
        self._lock = threading.Lock()
        self.observers: list[Callable[[TurnResult], None]] = []
        """Called with every turn run (the metrics count them)."""
        self.admission = Admission(web.turn_concurrency, web.queue_limit, clock=clock)
        self.customer_limit = RateLimit(web.customer_messages_per_minute, clock=clock)
        self.ip_limit = RateLimit(web.ip_messages_per_minute, clock=clock)
        self.identity_key = identity_key
        """The key of the merchant's customer tokens; empty: every token is refused."""
        self.token_max = token_max
        self.streams = StreamCap(web.live_streams_per_session, web.live_streams_per_address)

    @property
    def assistant(self) -> Assistant:
        with self._lock:
            if not isinstance(self._assistant, Assistant):
                self._assistant = self._assistant()
            return self._assistant

    def conversation(self, who: Shopper, conversation_id: str) -> ConversationView:
        """The conversation, if this browser may open it; otherwise it does not exist."""
        conversation = self.store.conversations.get(conversation_id)
        if not who.may_open(conversation):
            raise ConversationNotFound(conversation_id)
        return conversation

    def customer(self, customer_id: str | None) -> CustomerOut | None:
        return CustomerOut.of(self.store.customers.get(customer_id)) if customer_id else None

    def cards(self, product_ids: list[str], lang: str) -> list[ProductCard]:
        cards = []
        for product_id in product_ids:
            try:
                cards.append(ProductCard.of(self.store.catalog.product(product_id), lang))
            except StoreError:
                continue  # removed from the catalog since: the text still names it
        return cards

    def message(self, m: MessageView, *, for_staff: bool = False) -> MessageOut:
        """`for_staff`: the console's view, which names a staff member by sign-in name."""
        shown = [pid for e in m.events if e.get("kind") == "shown" for pid in e["product_ids"]]
        return MessageOut(
            seq=m.seq,
            role=m.role,
            # A staff member is shown by display name: their sign-in name stays private.
            author=None if m.role == "staff" and not for_staff else m.author,
            author_name=self.staff_name(m.author) if m.role == "staff" else None,
            text=m.text,
            language=m.language,
            job=m.job,
            created_at=m.created_at,
            products=self.cards(shown, m.language or "en") if m.role == "assistant" else [],
            staged=_staged(m.staged),
        )

    def messages(
        self, conversation_id: str, after: int = 0, *, for_staff: bool = False
    ) -> list[MessageOut]:
        found = self.store.conversations.messages(conversation_id, after_seq=max(after - 1, 0))
        # A turn's events (the products it showed) are kept on the customer's message.
        events = {m.turn: m.events for m in found if m.role == "customer"}
        return [
            self.message(
                m.model_copy(update={"events": events.get(m.turn, [])}), for_staff=for_staff
            )
            if m.role == "assistant" and not m.events
            else self.message(m, for_staff=for_staff)
            for m in found
            if m.seq > after
        ]

    def view(self, c: ConversationView) -> ConversationOut:
        return ConversationOut(
            id=c.id,
            status=c.status,
            staff=self.holder(c),
            customer=self.customer(c.customer_id),
            language=c.language,
            staged=_staged(c.state.get("staged")),
            messages=self.messages(c.id),
            created_at=c.created_at,
        )

    def holder(self, c: ConversationView) -> str | None:
        """The staff member who holds the conversation now, if a person does, by name."""
        if c.status != "human" or c.open_handoff_id is None:
            return None
        return self.staff_name(self.store.conversations.handoff(c.open_handoff_id).staff)

    def staff_name(self, username: str | None) -> str | None:
        """A staff member as the shopper sees them: their display name."""
        if username is None:
            return None
        try:
            return self.store.staff.get(username).display_name
        except StaffNotFound:
            return "Support"  # an account since removed: never show its sign-in name

    def status(self, conversation_id: str) -> dict[str, str | None]:
        c = self.store.conversations.get(conversation_id)
        return {"status": c.status, "staff": self.holder(c)}

    def cart(self, customer_id: str | None) -> CartOut:
        return CartOut.of(self.store.carts.get(customer_id) if customer_id else None)

    def accept(
        self, conversation: ConversationView, text: str, *, customer_id: str | None, client: str
    ) -> Place[TurnOut]:
        """Take the message into the line for a turn: from then on it is answered and stored,
        whether or not the sender still waits. Refused, with nothing stored, when the customer
        (the conversation's, or the browser's) or the client address has sent too many this
        minute (429), or the line is full (503)."""
        checks = [(self.ip_limit, client, "this address")]
        if customer_id is not None:
            # Signed in (the merchant's token, or the demo login): the customer's own limit.
            checks.insert(0, (self.customer_limit, customer_id, "this customer"))
        elif conversation.customer_id is not None:
            # Verified in the chat: the customer's limit as used from this address, so a
            # stranger elsewhere cannot spend it.
            key = f"{conversation.customer_id} at {client}"
            checks.insert(0, (self.customer_limit, key, "this customer"))
        taken: list[tuple[RateLimit, str]] = []
        try:
            for limit, key, whose in checks:
                wait = limit.take(key)
                if wait:
                    after = retry_after(wait)
                    raise Refused(
                        429,
                        "rate_limited",
                        f"Too many messages from {whose}: at most {limit.per_minute} a minute. "
                        f"Your message was not taken; send it again in {seconds(after)}.",
                        headers={"Retry-After": str(after)},
                    )
                taken.append((limit, key))
            return self.admission.admit(lambda: self.turn(conversation, text, client))
        except Refused:
            # A refused message counts against no limit: it was never taken.
            for limit, key in taken:
                limit.give_back(key)
            raise

    def turn(self, conversation: ConversationView, text: str, client: str | None = None) -> TurnOut:
        """Run one turn. If another worker or a staff member wrote the conversation meanwhile,
        the turn is run again on what they wrote (actions are idempotent, so a rerun never
        charges twice)."""
        attempt = 0
        while True:
            before = self.store.conversations.get(conversation.id).message_count
            try:
                result = self.assistant.reply(conversation.id, text, client=client)
                break
            except ConversationChanged:
                attempt += 1
                if attempt > self.web.turn_retries:
                    raise
        for observe in self.observers:
            observe(result)
        now = self.store.conversations.get(conversation.id)
        return TurnOut(
            conversation_id=conversation.id,
            messages=self.messages(conversation.id, after=before),
            reply=result.reply,
            language=result.language,
            job=result.job,
            status=now.status,
            staff=self.holder(now),
            handed_off=result.handed_off,
            staged=_staged(result.staged),
            cart=self.cart(now.customer_id),
            events=list(result.events),
        )


def _staged(staged: dict[str, Any] | None) -> StagedOut | None:
    if not staged:
        return None
    return StagedOut(action=staged_kind(staged) or "", job=staged["job"], shown=staged["shown"])


# --- routes ---------------------------------------------------------------------------------

router = APIRouter(prefix="/api", tags=["chat"], responses=ERRORS)


def service(request: Request) -> ChatService:
    chat: ChatService = request.app.state.chat
    return chat


Service = Annotated[ChatService, Depends(service)]
Who = Annotated[Shopper, Depends(shopper)]


def owned(conversation_id: str, chat: Service, who: Who) -> ConversationView:
    return chat.conversation(who, conversation_id)


Owned = Annotated[ConversationView, Depends(owned)]


def client_address(request: Request) -> str:
    """The address the request came from: the connection's. X-Forwarded-For is not read here;
    uvicorn puts the forwarded address in its place only for a proxy it trusts."""
    return request.client.host if request.client else "unknown"


def line_open(chat: Service) -> None:
    """Refuse a message while the line is full before reading the conversation: under a rush,
    a refusal costs the worker no database read."""
    chat.admission.check_open()


def admitted(
    _: Annotated[None, Depends(line_open)],
    conversation: Owned,
    body: SendIn,
    chat: Service,
    who: Who,
    request: Request,
) -> Place[TurnOut]:
    """The message, valid and taken into the line (a dependency, so a refusal is a status
    before any stream starts, and the turn is under way before the route runs)."""
    return chat.accept(
        conversation, body.text, customer_id=who.customer_id, client=client_address(request)
    )


Admitted = Annotated[Place[TurnOut], Depends(admitted)]


def stream_place(chat: Service, request: Request) -> Iterator[Callable[[], None]]:
    """A place for one more live stream of this browser session and address (429
    too_many_streams when either holds its share); the stream gives it back when it ends, and
    so does this dependency once the response is over (a stream that never started too)."""
    release = chat.streams.take(session_id(request), client_address(request))
    try:
        yield release
    finally:
        release()


@router.get("/session", response_model=SessionOut, summary="Who this browser is")
def get_session(chat: Service, who: Who) -> SessionOut:
    return SessionOut(customer=chat.customer(who.customer_id), demo_login=chat.web.demo_login)


@router.post(
    "/session",
    response_model=SessionOut,
    summary="Act as the customer the merchant's site signed in, a demo customer, or a guest",
    description="`identity_token`: a customer token the merchant's backend signed with the "
    "shop's identity secret (docs/web.md); refused (401 identity_token_refused) when forged, "
    "altered or expired. `customer_id`: a demo customer (demo login only). Neither: a guest.",
)
def sign_in(body: SignInIn, request: Request, chat: Service) -> SessionOut:
    if body.identity_token is not None:
        if body.customer_id is not None:
            raise Refused(
                422, "invalid_request", "Send an identity_token or a customer_id, not both."
            )
        signed = read_customer(
            chat.identity_key,
            body.identity_token,
            now=datetime.now(UTC),
            max_lifetime=chat.token_max,
        )
        customer_id = chat.store.customers.match_signed(signed.customer_id, signed.email)
        sign_in_customer(request, customer_id)
        return SessionOut(customer=chat.customer(customer_id), demo_login=chat.web.demo_login)
    if body.customer_id is not None:
        if not chat.web.demo_login:
            raise Refused(
                403,
                "demo_login_off",
                "This shop does not let visitors pick a customer; chat as a guest and "
                "verify in chat.",
            )
        chat.store.customers.get(body.customer_id)  # 404 customer_not_found
    sign_in_customer(request, body.customer_id)
    return SessionOut(customer=chat.customer(body.customer_id), demo_login=chat.web.demo_login)


@router.get(
    "/demo/customers",
    response_model=list[CustomerOut],
    summary="The customers a visitor may act as (demo login only)",
)
def demo_customers(chat: Service) -> list[CustomerOut]:
    if not chat.web.demo_login:
        raise Refused(403, "demo_login_off", "This shop has no demo login.")
    return [CustomerOut.of(c) for c in chat.store.customers.page(limit=100)]


@router.get("/me", response_model=CustomerOut, summary="The signed-in customer")
def me(chat: Service, who: Who) -> CustomerOut:
    if who.customer_id is None:
        raise Refused(401, "login_required", "Sign in to see account data; guests verify in chat.")
    customer = chat.customer(who.customer_id)
    assert customer is not None
    return customer


@router.get(
    "/cart",
    response_model=CartOut,
    summary="The signed-in customer's cart (empty for a guest), before any conversation",
)
def get_own_cart(chat: Service, who: Who) -> CartOut:
    return chat.cart(who.customer_id)


@router.post(
    "/conversations",
    response_model=ConversationOut,
    status_code=201,
    summary="Start a conversation",
)
def start(body: StartIn, request: Request, chat: Service, who: Who) -> ConversationOut:
    conversation_id = chat.assistant.start(
        customer_id=who.customer_id, channel="web", language=body.language
    )
    remember_conversation(request, conversation_id)
    return chat.view(chat.store.conversations.get(conversation_id))


@router.get(
    "/conversations",
    response_model=list[ConversationOut],
    summary="This browser's conversations, newest first (without their messages)",
)
def conversations(chat: Service, who: Who) -> list[ConversationOut]:
    found: dict[str, ConversationView] = {}
    for conversation_id in who.conversations:
        try:
            found[conversation_id] = chat.store.conversations.get(conversation_id)
        except ConversationNotFound:
            continue
    if who.customer_id is not None:
        for c in chat.store.conversations.for_customer(who.customer_id):
            found[c.id] = c
    newest = sorted(found.values(), key=lambda c: c.created_at, reverse=True)
    return [
        ConversationOut(
            id=c.id,
            status=c.status,
            customer=None,
            language=c.language,
            staged=_staged(c.state.get("staged")),
            messages=[],
            created_at=c.created_at,
        )
        for c in newest
    ]


@router.get(
    "/conversations/{conversation_id}",
    response_model=ConversationOut,
    summary="A conversation with its history",
)
def get_conversation(conversation: Owned, chat: Service) -> ConversationOut:
    # A purchase a crashed worker paid but never told is told now, once, as the page opens.
    if reconcile(chat.store, conversation) is not None:
        conversation = chat.store.conversations.get(conversation.id)
    return chat.view(conversation)


@router.get(
    "/conversations/{conversation_id}/messages",
    response_model=list[MessageOut],
    summary="Messages after `after` (a seq), oldest first",
)
def get_messages(
    conversation: Owned, chat: Service, after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0
) -> list[MessageOut]:
    return chat.messages(conversation.id, after)


@router.get(
    "/conversations/{conversation_id}/cart",
    response_model=CartOut,
    summary="The cart of the conversation's customer (empty for an unverified guest)",
)
def get_cart(conversation: Owned, chat: Service) -> CartOut:
    return chat.cart(conversation.customer_id)


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=TurnOut,
    responses=SEND_ERRORS,
    summary="Send a message; the reply comes back when the turn is done",
    description="The message waits in line while the assistant is busy with others. 503 "
    "`busy`: the line is full; 429 `rate_limited`: too many messages from this customer or "
    "address. Both say when to send again (Retry-After, in seconds) and store nothing.",
)
async def send(place: Admitted) -> TurnOut:
    return await place.result()


@router.post(
    "/conversations/{conversation_id}/messages/stream",
    response_class=EventSourceResponse,
    responses=SEND_STREAM_ERRORS,
    summary="Send a message; the reply streams back as server-sent events",
    description="Events: `queued` ({position, ahead}: the message waits in line, `position` 1 "
    "next; sent first and whenever it moves up; `ahead` counts the messages before it, those "
    "being answered included), `thinking` (the turn started), `delta` ({text}: the next piece "
    'of the reply), `turn` (a TurnOut, last), or `error` ({"error": {code, message}}) instead '
    "of `turn` when the turn could not be run. A message taken into the line is answered and "
    "stored even if the stream is closed before its turn. 503 `busy`: the line is full; 429 "
    "`rate_limited`: too many messages; both with Retry-After, before any event, storing "
    "nothing.",
)
async def send_streaming(place: Admitted, conversation: Owned) -> AsyncIterator[ServerSentEvent]:
    async for spot in place.moves():
        yield ServerSentEvent(event="queued", data=spot._asdict())
    yield ServerSentEvent(event="thinking", data={})
    try:
        out = await place.result()
    except StoreError as e:
        yield ServerSentEvent(event="error", data={"error": e.as_dict()})
        return
    except Exception:
        # The response has started: the page learns of the failure from an event, not a status.
        log.exception("a streamed turn of %s failed", conversation.id)
        yield ServerSentEvent(event="error", data={"error": INTERNAL_ERROR})
        return
    for piece in _pieces(out.reply):
        yield ServerSentEvent(event="delta", data={"text": piece})
    yield ServerSentEvent(event="turn", data=out.model_dump(mode="json"))


@router.get(
    "/conversations/{conversation_id}/live",
    response_class=EventSourceResponse,
    responses={
        **STREAM_ERRORS,
        429: {
            "model": ErrorOut,
            "description": "Too many live streams open from this session or address",
        },
    },
    summary="Follow a conversation: new messages (a staff member's too) and status changes",
    description="Events: `message` (a MessageOut, each once, in order, its seq as the event id) "
    "and `status` ({status, staff}: staff is who replies while the status is human), first and "
    "whenever it changes. Reconnect with `after` set to the last seq seen; an EventSource's "
    "Last-Event-ID header, when later, wins.",
)
async def live(
    conversation: Owned,
    chat: Service,
    request: Request,
    release: Annotated[Callable[[], None], Depends(stream_place)],
    after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> AsyncIterator[ServerSentEvent]:
    try:
        if last_event_id is not None and last_event_id.isdigit():
            after = max(after, int(last_event_id))  # a browser reconnecting on its own
        status = await run_in_threadpool(chat.status, conversation.id)
        yield ServerSentEvent(event="status", data=status)
        while not await request.is_disconnected():
            fresh = await run_in_threadpool(chat.messages, conversation.id, after)
            for m in fresh:
                after = m.seq
                yield ServerSentEvent(
                    event="message", data=m.model_dump(mode="json"), id=str(m.seq)
                )
            now = await run_in_threadpool(chat.status, conversation.id)
            if now != status:
                status = now
                yield ServerSentEvent(event="status", data=status)
            await asyncio.sleep(LIVE_POLL_SECONDS)
    finally:
        release()


def _pieces(reply: str) -> list[str]:
    """The reply in small pieces (words, or a few characters of Chinese / Korean) for a page
    that shows it as it comes."""
    return re.findall(r"\S+\s*|\s+", reply) if reply else []
