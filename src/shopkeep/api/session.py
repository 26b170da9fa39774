"""Who is asking: the signed session cookie of the web chat and the console (a demo customer or
a guest with the conversations they started; a staff member and their role)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from shopkeep.api.errors import Refused
from shopkeep.store.errors import StaffNotFound
from shopkeep.store.shop import Store
from shopkeep.store.staff import StaffRole
from shopkeep.store.views import ConversationView

COOKIE = "shopkeep_session"
MAX_GUEST_CONVERSATIONS = 50
"""The conversations a browser session remembers starting (the cookie stays small)."""


@dataclass(frozen=True)
class Shopper:
    customer_id: str | None
    """Signed in (the demo login); None: a guest, who verifies identity in chat."""
    conversations: tuple[str, ...]

    def may_open(self, conversation: ConversationView) -> bool:
        """A conversation this browser started, or one of the signed-in customer's own."""
        if conversation.id in self.conversations:
            return True
        return self.customer_id is not None and conversation.customer_id == self.customer_id


@dataclass(frozen=True)
class StaffUser:
    username: str
    role: StaffRole
    display_name: str = ""


def shopper(request: Request) -> Shopper:
    session = request.session
    return Shopper(
        customer_id=session.get("customer_id"),
        conversations=tuple(session.get("conversations", ())),
    )


def sign_in_customer(request: Request, customer_id: str | None) -> None:
    """Act as `customer_id` (None: a guest) from now on; what a previous customer started in
    this browser is no longer reachable from it."""
    request.session.pop("conversations", None)
    if customer_id is None:
        request.session.pop("customer_id", None)
    else:
        request.session["customer_id"] = customer_id


def remember_conversation(request: Request, conversation_id: str) -> None:
    started = [c for c in request.session.get("conversations", []) if c != conversation_id]
    started.append(conversation_id)
    request.session["conversations"] = started[-MAX_GUEST_CONVERSATIONS:]


def staff_user(request: Request) -> StaffUser | None:
    username, role = request.session.get("staff"), request.session.get("staff_role")
    if username is None or role not in ("agent", "manager"):
        return None
    return StaffUser(username=username, role=role)


def sign_in_staff(request: Request, username: str, role: StaffRole) -> None:
    request.session["staff"] = username
    request.session["staff_role"] = role


def sign_out_staff(request: Request) -> None:
    request.session.pop("staff", None)
    request.session.pop("staff_role", None)


def require_staff(request: Request) -> StaffUser:
    """A FastAPI dependency: the signed-in staff member, any role, whose account still exists
    and is active (a cookie outlives a deactivation; the account's role is the one that
    counts)."""
    user = staff_user(request)
    if user is None:
        raise Refused(401, "staff_login_required", "Sign in to the console first.")
    store: Store = request.app.state.store
    try:
        account = store.staff.get(user.username)
    except StaffNotFound:
        account = None
    if account is None or not account.active:
        sign_out_staff(request)
        raise Refused(401, "staff_login_required", "Sign in to the console first.")
    return StaffUser(
        username=account.username, role=account.role, display_name=account.display_name
    )


def require_manager(request: Request) -> StaffUser:
    """A FastAPI dependency: a signed-in manager (the analytics)."""
    user = require_staff(request)
    if user.role != "manager":
        raise Refused(403, "manager_only", "Only a manager may see this.")
    return user
