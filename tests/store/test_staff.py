"""Staff accounts: who may sign in to the console, with which role; passwords kept as scrypt
hashes only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shopkeep.store import Store
from shopkeep.store.errors import InvalidRequest, StaffExists, StaffNotFound
from shopkeep.store.models import StaffMember


def test_that_a_staff_member_signs_in_with_their_password_and_role(store: Store) -> None:
    store.staff.add("mina", password="correct horse", role="agent", display_name="Mina Park")
    member = store.staff.authenticate("mina", "correct horse")
    assert member is not None
    assert (member.username, member.display_name, member.role) == ("mina", "Mina Park", "agent")


def test_that_a_wrong_password_or_an_unknown_name_signs_nobody_in(store: Store) -> None:
    store.staff.add("mina", password="correct horse", role="agent")
    assert store.staff.authenticate("mina", "wrong horse") is None
    assert store.staff.authenticate("nobody", "correct horse") is None


def test_that_the_password_is_stored_only_as_a_salted_hash(store: Store) -> None:
    store.staff.add("mina", password="correct horse", role="agent")
    store.staff.add("joon", password="correct horse", role="manager")
    with store.db.reading() as s:
        hashes = list(s.scalars(select(StaffMember.password_hash)))
    assert all("correct horse" not in h and h.startswith("scrypt$") for h in hashes)
    assert hashes[0] != hashes[1]  # salted: the same password, two different hashes


def test_that_a_deactivated_member_can_no_longer_sign_in(store: Store) -> None:
    store.staff.add("mina", password="correct horse", role="agent")
    store.staff.deactivate("mina")
    assert store.staff.authenticate("mina", "correct horse") is None
    assert store.staff.get("mina").active is False


@pytest.mark.parametrize(
    ("username", "password", "role", "field"),
    [
        ("mina park", "correct horse", "agent", "username"),
        ("", "correct horse", "agent", "username"),
        ("mina", "short", "agent", "password"),
        ("mina", "correct horse", "owner", "role"),
    ],
)
def test_that_a_bad_account_is_refused_and_nothing_is_stored(
    store: Store, username: str, password: str, role: str, field: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        store.staff.add(username, password=password, role=role)
    assert refused.value.details["field"] == field
    assert store.staff.all() == []


def test_that_a_username_is_taken_once(store: Store) -> None:
    store.staff.add("mina", password="correct horse", role="agent")
    with pytest.raises(StaffExists):
        store.staff.add("mina", password="another long one", role="manager")
    assert [m.role for m in store.staff.all()] == ["agent"]


def test_that_an_unknown_member_is_not_found(store: Store) -> None:
    with pytest.raises(StaffNotFound):
        store.staff.deactivate("nobody")
