"""Who is asking: the signed session cookie of the web chat and the console (a demo customer or
a guest with the conversations they started; a staff member and their role)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request

from shopkeep.api.errors import Refused
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


def session_id(request: Request) -> str:
    """A random id for this browser session, made on first use (what a per-session limit
    counts by)."""
    sid = request.session.get("sid")
    if not isinstance(sid, str):
        sid = secrets.token_urlsafe(12)
        request.session["sid"] = sid
    return sid


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
    """The staff member of this browser's live server-side session (signed out, expired or
    deactivated: None). The cookie holds only the session's random token."""
    token = request.session.get("staff_session")
    if not isinstance(token, str):
        return None
    store: Store = request.app.state.store
    account = store.staff.session_user(token)
    if account is None:
        return None
    return StaffUser(
        username=account.username, role=account.role, display_name=account.display_name
    )


def sign_in_staff(request: Request, username: str, lifetime: timedelta) -> None:
    store: Store = request.app.state.store
    sign_out_staff(request)
    request.session["staff_session"] = store.staff.open_session(username, lifetime)


def sign_out_staff(request: Request) -> None:
    """End the session on the server too: the old cookie opens nothing afterwards."""
    token = request.session.pop("staff_session", None)
    if isinstance(token, str):
        store: Store = request.app.state.store
        store.staff.close_session(token)


def require_staff(request: Request) -> StaffUser:
    """A FastAPI dependency: the signed-in staff member, any role, whose session is live and
    whose account still exists and is active (the account's role is the one that counts)."""
    user = staff_user(request)
    if user is None:
        request.session.pop("staff_session", None)
        raise Refused(401, "staff_login_required", "Sign in to the console first.")
    return user


def require_manager(request: Request) -> StaffUser:
    """A FastAPI dependency: a signed-in manager (the analytics)."""
    user = require_staff(request)
    if user.role != "manager":
        raise Refused(403, "manager_only", "Only a manager may see this.")
    return user
