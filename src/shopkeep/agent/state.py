"""A conversation's state between turns: who the customer is, the jobs in progress with what each
has gathered (typed slots per job), the store action awaiting a yes. Persisted as JSON after
every turn, so any process can take the next one; validated when loaded. A state written by an
earlier version is read in the current shape where it can be (`Staged`, `Frame`); one that
cannot be is refused (`StateUnreadable`) and the engine closes the conversation with a message."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    model_validator,
)

from shopkeep.agent.jobs import Job, Language
from shopkeep.store.actions import ACTION_TYPES, StoreAction
from shopkeep.store.views import AddressInput

# --- slots: what a job has gathered ---------------------------------------------------------


class Slots(BaseModel):
    """What every job keeps."""

    model_config = ConfigDict(extra="forbid")

    request: str | None = None
    """The message that started the job."""


class CatalogSlots(Slots):
    """search, product_question, recommend."""

    question: str | None = None
    """A product question asked before the product was known."""
    candidates: list[str] = Field(default_factory=list)
    """Product ids offered for "which one?"."""


BuyMode = Literal["buy", "add", "checkout", "view", "remove"]
"""Buy now, add to the cart, check the cart out, show it, or take something out of it."""


class BuySlots(Slots):
    mode: BuyMode | None = None
    product_id: str | None = None
    candidates: list[str] = Field(default_factory=list)
    """Product ids offered for "which one?"."""
    variant_id: str | None = None
    options: dict[str, str] = Field(default_factory=dict)
    """Option name → value the customer chose (colour, size...)."""
    just_mentioned: dict[str, str] = Field(default_factory=dict)
    """The options the latest message named."""
    choices: list[str] = Field(default_factory=list)
    """Option values offered for the option asked about."""
    alternatives: list[str] = Field(default_factory=list)
    """Variant ids offered when the one asked for is not available."""
    quantity: int | None = None
    coupon_code: str | None = None
    payment_method_id: str | None = None
    method_choices: list[str] = Field(default_factory=list)
    """Payment method ids offered for "which one?"."""
    declined: list[str] = Field(default_factory=list)
    """Payment methods the gateway declined in this purchase."""
    address_id: int | None = None
    staged_once: bool = False
    """A summary was shown: later option words are corrections."""


class PaymentWish(BaseModel):
    """How the customer said they want to pay, before it is matched to a saved method."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    last_four: str | None = None


class SlotOffer(BaseModel):
    """A slot offered when the one asked for is full or closed."""

    model_config = ConfigDict(extra="forbid")

    store_id: str
    slot: str
    """ISO start time."""
    item: str | None = None
    """The menu item at that store, when it is another store's."""
    free: int | None = None


class FoodSlots(Slots):
    item: str | None = None
    """Menu item id."""
    store: str | None = None
    """Local store id."""
    candidates: list[str] = Field(default_factory=list)
    """Menu item ids offered for "which one?"."""
    choose: bool = False
    """The customer must pick among `candidates`."""
    kind: str | None = None
    """A kind of dish or drink asked for before the item was known."""
    options: dict[str, str | list[str]] = Field(default_factory=dict)
    pending: list[str] = Field(default_factory=list)
    """Messages to read for options once the item is known."""
    quantity: int | None = None
    fulfilment: Literal["pickup", "delivery"] | None = None
    day: int | None = None
    """Days from today."""
    time: str | None = None
    """HH:MM in the store's time."""
    offers: list[SlotOffer] = Field(default_factory=list)
    payment: PaymentWish | None = None
    payment_method_id: str | None = None
    coupon_code: str | None = None


class OrderSlots(Slots):
    """order_status and cancel: which order, and why."""

    order_id: str | None = None
    reason: str | None = None


class ChangeSlots(OrderSlots):
    """Changes to an order: address, payment, items, return, exchange."""

    for_order: str | None = None
    """The order what follows was read for."""
    units: list[int] = Field(default_factory=list)
    """Order item ids the change takes."""
    targets: dict[str, str] = Field(default_factory=dict)
    """Order item id → the variant id it becomes."""
    payment_method_id: str | None = None
    """Pays or gets back the difference, or the refund; or the order's new method."""
    address: AddressInput | None = None
    choices: dict[str, list[Any]] = Field(default_factory=dict)
    """The list last shown, by what it chose ("unit", "variant", "method"...)."""
    staged: StoreAction | None = None
    """What was last staged, to tell whether a later message changed anything."""


SLOTS: dict[Job, type[Slots]] = {
    "search": CatalogSlots,
    "product_question": CatalogSlots,
    "recommend": CatalogSlots,
    "buy": BuySlots,
    "food": FoodSlots,
    "order_status": OrderSlots,
    "cancel": OrderSlots,
    "change_address": ChangeSlots,
    "change_payment": ChangeSlots,
    "change_items": ChangeSlots,
    "return": ChangeSlots,
    "exchange": ChangeSlots,
}
"""The slots of each job; a job not listed keeps only `Slots`."""

S = TypeVar("S", bound=Slots)

# Slot names an earlier version used, and their names now.
_RENAMED = {"method_id": "payment_method_id", "coupon": "coupon_code"}
# Slots an earlier version kept that are no longer kept (re-read when needed).
_DROPPED = {"staged_args"}


class Frame(BaseModel):
    """A job in progress: what it has gathered so far and what it last asked for."""

    job: Job
    slots: SerializeAsAny[Slots] = Field(default_factory=Slots)
    asked: str | None = None
    """The slot the last reply asked for, so a bare answer ("the second one", "yes") fills it."""

    @model_validator(mode="before")
    @classmethod
    def _slots_of_the_job(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("job") not in SLOTS:
            return data
        kind = SLOTS[data["job"]]
        slots = data.get("slots")
        if isinstance(slots, dict):
            slots = {
                _RENAMED.get(k, k): v
                for k, v in slots.items()
                if k not in _DROPPED and v is not None
            }
            data = {**data, "slots": kind.model_validate(slots)}
        elif slots is None:
            data = {**data, "slots": kind()}
        return data

    def slots_as(self, kind: type[S]) -> S:
        """The slots, as the job's flow knows them."""
        if not isinstance(self.slots, kind):
            raise TypeError(f"the {self.job} job keeps {type(self.slots).__name__}")
        return self.slots


# --- the action awaiting a yes --------------------------------------------------------------


class Staged(BaseModel):
    """A consequential action shown to the customer in full and waiting for their explicit yes."""

    action: StoreAction
    job: Job
    shown: str
    """The summary exactly as the customer saw it."""
    turn: int
    """The turn it was staged in; only a yes in a later turn commits it."""
    key: str
    """Made when staged, so a retried commit is the same payment or change, never a second."""

    @property
    def kind(self) -> str:
        return self.action.kind

    @model_validator(mode="before")
    @classmethod
    def _typed_action(cls, data: Any) -> Any:
        """An earlier version kept the action as its name and a dict of arguments (with a few
        for display only, such as the refund): read it as the typed action."""
        if isinstance(data, dict) and isinstance(data.get("action"), str):
            kind = data["action"]
            args = dict(data.get("args") or {})
            known = set(ACTION_TYPES[kind].model_fields) if kind in ACTION_TYPES else set()
            action = {"kind": kind, **{k: v for k, v in args.items() if k in known}}
            data = {k: v for k, v in data.items() if k != "args"} | {"action": action}
        return data


def staged_kind(dumped: dict[str, Any] | None) -> str | None:
    """The kind of a staged action as stored in a message or a state (either shape)."""
    if not dumped:
        return None
    action = dumped.get("action")
    if isinstance(action, dict):
        kind = action.get("kind")
        return str(kind) if kind is not None else None
    return str(action) if action is not None else None


# --- the state ------------------------------------------------------------------------------


class StateUnreadable(Exception):
    """A stored state this version cannot read (written by an incompatible version)."""


class State(BaseModel):
    language: Language = "en"
    customer_id: str | None = None
    """Known from a login, or once the customer has proved who they are in this conversation."""
    logged_in: bool = False
    turn: int = 0
    stack: list[Frame] = Field(default_factory=list)
    """Jobs in progress; the last is the one being worked on, the ones below were interrupted."""
    staged: Staged | None = None
    misunderstood: int = 0
    """Turns in a row the assistant could not understand; at 3 a human takes over."""
    out_of_scope: int = 0
    handed_off: bool = False
    shown_products: list[str] = Field(default_factory=list)
    """Product ids of the last list shown, for "the second one"."""
    shown_orders: list[str] = Field(default_factory=list)
    verify_attempts: int = 0
    code_sent: bool = False
    """Code mode: a one-time code was asked for; the next code typed is checked."""
    code_for: str | None = None
    """The customer it was sent to (None: the email given has no account)."""
    asked: dict[str, int] = Field(default_factory=dict)
    """The questions asked since the conversation last moved on, and how often: one is never
    asked a third time."""

    @classmethod
    def load(cls, stored: dict[str, Any] | None) -> State:
        """The state as stored after the last turn (a new one when there is none). Raises
        StateUnreadable when it cannot be read as this version keeps it."""
        if not stored:
            return cls()
        try:
            return cls.model_validate(stored)
        except ValidationError as error:
            raise StateUnreadable(str(error)) from None

    @property
    def frame(self) -> Frame | None:
        return self.stack[-1] if self.stack else None

    def push(self, job: Job, **slots: Any) -> Frame:
        frame = Frame.model_validate({"job": job, "slots": slots})
        self.stack.append(frame)
        return frame

    def drop(self, frame: Frame) -> None:
        if frame in self.stack:
            self.stack.remove(frame)
