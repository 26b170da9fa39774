"""The store as one customer may use it in a conversation: every read and change is bound to the
verified customer, and every consequential change is staged first and committed only on a yes.
Flows, the function-calling modes and other shells all go through here, so the guards hold
whatever a model says."""

from __future__ import annotations

import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Literal

from shopkeep.agent.jobs import Job, Language
from shopkeep.agent.mail import Mailer
from shopkeep.agent.state import Staged, State
from shopkeep.identity import IdentityMode
from shopkeep.store.actions import ActionKind, Preview, StoreAction
from shopkeep.store.errors import CustomerNotFound, StoreError
from shopkeep.store.shop import Store
from shopkeep.store.views import (
    CustomerView,
    OrderSummary,
    OrderView,
    ProductView,
    localized,
)

log = logging.getLogger(__name__)

CodeSent = Literal["sent", "limited", "unavailable"]


@dataclass(frozen=True)
class IdentityPolicy:
    """How a guest proves who they are in this shop (docs/security.md). The mode is read here
    only, so every shell over these tools gets the same rule."""

    mode: IdentityMode = "signed"
    code_key: bytes = b""
    """The key of the one-time codes' digests (a key of its own, derived from the shop's)."""
    mailer: Mailer | None = None
    code_lifetime: timedelta = timedelta(minutes=10)
    codes_per_hour: int = 5
    failures_per_hour: int = 10

    @classmethod
    def tau2(cls) -> IdentityPolicy:
        """tau2-bench's rule (an email, or a name and zip code, is proof): evaluation only."""
        return cls(mode="tau2")


class IdentityRequired(Exception):
    """Account data was asked for before the customer proved who they are."""


class NotConfirmed(Exception):
    """A consequential action was asked to run without a staged action confirmed in a later turn."""


class ShopTools:
    """One conversation's door to the store."""

    def __init__(
        self,
        store: Store,
        state: State,
        identity: IdentityPolicy | None = None,
        *,
        client: str = "unknown",
    ) -> None:
        """`identity`: how a guest may prove who they are (default: only a signed-in customer
        is known); `client`: where the message came from (wrong codes count against it)."""
        self.store = store
        self.state = state
        self.identity = identity or IdentityPolicy()
        self.client = client
        self._product = lru_cache(maxsize=256)(self._load_product)

    # --- identity ---------------------------------------------------------------------------

    @property
    def customer_id(self) -> str:
        if self.state.customer_id is None:
            raise IdentityRequired()
        return self.state.customer_id

    @property
    def verified(self) -> bool:
        return self.state.customer_id is not None

    @property
    def knowledge_proves(self) -> bool:
        """Whether knowing an email, or a name and zip code, proves who one is: only in tau2
        mode, for evaluation. Otherwise the three lookups below verify nobody."""
        return self.identity.mode == "tau2"

    def verify_email(self, email: str) -> CustomerView | None:
        if not self.knowledge_proves:
            return None
        try:
            customer_id = self.store.customers.find_by_email(email)
        except CustomerNotFound:
            return None
        return self._verified(customer_id)

    def verify_name_zip(self, first: str, last: str, zip_code: str) -> CustomerView | None:
        if not self.knowledge_proves:
            return None
        try:
            customer_id = self.store.customers.find_by_name_zip(first, last, zip_code)
        except CustomerNotFound:
            return None
        return self._verified(customer_id)

    def verify_named(self, zip_code: str, text: str) -> CustomerView | None:
        """The customer whose name is somewhere in `text` and whose default zip is `zip_code`."""
        if not self.knowledge_proves:
            return None
        try:
            customer_id = self.store.customers.find_by_zip_named(zip_code, text)
        except CustomerNotFound:
            return None
        return self._verified(customer_id)

    def send_code(self, email: str, lang: Language) -> CodeSent:
        """Code mode: mail a one-time code to the account with this email (to the address the
        shop keeps). "sent" also when no account has it, so the answer tells nobody whether
        one does; "limited": too many codes asked for; "unavailable": no code can be sent."""
        policy = self.identity
        if policy.mode != "code" or policy.mailer is None:
            return "unavailable"
        self.state.code_sent = True
        self.state.code_for = None
        try:
            customer_id = self.store.customers.find_by_email(email)
        except CustomerNotFound:
            return "sent"
        try:
            code = self.store.proofs.issue_code(
                customer_id,
                key=policy.code_key,
                lifetime=policy.code_lifetime,
                per_hour=policy.codes_per_hour,
            )
        except StoreError:
            return "limited"
        minutes = max(1, int(policy.code_lifetime.total_seconds() // 60))
        try:
            to = self.store.customers.get(customer_id).email
            policy.mailer.send_code(to, code, lang, minutes)
        except (OSError, smtplib.SMTPException):
            log.exception("the one-time code could not be mailed")
            self.state.code_sent = False
            return "unavailable"
        self.state.code_for = customer_id
        return "sent"

    def verify_code(self, code: str) -> CustomerView | None:
        """Code mode: the customer the code was sent to, if it is their live code (single use,
        compared in constant time). Raises TooManyTries when this customer or this client has
        had too many wrong codes this hour."""
        policy = self.identity
        if policy.mode != "code" or not self.state.code_sent:
            return None
        customer_id = self.state.code_for
        if customer_id is None:
            # A code "sent" to an email no account has: wrong, like any wrong code.
            self.store.proofs.check_not_locked("code", "", self.client, policy.failures_per_hour)
            self.store.proofs.record_failure("code", "", self.client)
            return None
        if not self.store.proofs.redeem_code(
            customer_id,
            code,
            key=policy.code_key,
            client=self.client,
            failures_per_hour=policy.failures_per_hour,
        ):
            return None
        self.state.code_sent = False
        self.state.code_for = None
        return self._verified(customer_id)

    def _verified(self, customer_id: str) -> CustomerView:
        self.state.customer_id = customer_id
        return self.store.customers.get(customer_id)

    # --- the customer's own records ---------------------------------------------------------

    def customer(self) -> CustomerView:
        return self.store.customers.get(self.customer_id)

    def orders(self, statuses: set[str] | None = None, limit: int = 20) -> list[OrderSummary]:
        """The customer's orders, newest first; with `statuses`, the newest in those states
        (however many older orders in other states came after them)."""
        return self.store.orders.history(self.customer_id, status=statuses, limit=limit)

    def order(self, order_id: str) -> OrderView:
        """Another customer's order is not found, exactly like an order that does not exist."""
        return self.store.orders.get(self.customer_id, order_id)

    # --- catalog (no identity needed) -------------------------------------------------------

    def product(self, product_id: str) -> ProductView:
        return self._product(product_id)

    def _load_product(self, product_id: str) -> ProductView:
        return self.store.catalog.product(product_id)

    def product_name(self, product_id: str | None, stored: str, lang: Language) -> str:
        if product_id is None:
            return stored
        try:
            return localized(self.product(product_id).name, lang) or stored
        except StoreError:
            return stored

    # --- previewing, staging and committing -------------------------------------------------

    def check_order(self, kind: ActionKind, order_id: str) -> OrderView:
        """The order, if the customer may ask for an action of this kind on it at all; raises
        the store's refusal (its state, how it is served, its history) otherwise."""
        return self.store.actions.check_order(self.customer_id, kind, order_id)

    def allows(self, kind: ActionKind, order_id: str) -> bool:
        return self.store.actions.allows(self.customer_id, kind, order_id)

    def preview(self, action: StoreAction) -> Preview:
        """What the store would do for this customer, checked as doing it would check; raises
        the store's refusal. Staging starts here, so a refused action is never offered."""
        return self.store.preview(self.customer_id, action)

    def stage(self, preview: Preview, job: Job, shown: str) -> Staged:
        """Hold a previewed action for the customer's yes; replaces anything staged."""
        staged = Staged(
            action=preview.action,
            job=job,
            shown=shown,
            turn=self.state.turn,
            key=f"{preview.action.kind}-{secrets.token_hex(8)}",
        )
        self.state.staged = staged
        return staged

    def commit(self, staged: Staged) -> OrderView | CustomerView:
        """Do the staged action. Only the engine calls this, on the customer's explicit yes in a
        turn after the one it was staged in; the store checks everything again."""
        if staged.turn >= self.state.turn:
            raise NotConfirmed()
        return self.store.perform(self.customer_id, staged.action, staged.key)
