"""identity: one-time codes, failed proofs (codes and staff passwords), staff sessions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shopkeep.store.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", shopkeep.store.models.UTCDateTime(), nullable=False),
        sa.Column("expires_at", shopkeep.store.models.UTCDateTime(), nullable=False),
        sa.Column("used_at", shopkeep.store.models.UTCDateTime(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_identity_codes_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_codes")),
    )
    op.create_index(
        op.f("ix_identity_codes_customer_id"), "identity_codes", ["customer_id"], unique=False
    )
    op.create_table(
        "proof_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", shopkeep.store.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proof_failures")),
    )
    op.create_index(
        "ix_proof_failures_client", "proof_failures", ["kind", "client", "at"], unique=False
    )
    op.create_index(
        "ix_proof_failures_subject", "proof_failures", ["kind", "subject", "at"], unique=False
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("created_at", shopkeep.store.models.UTCDateTime(), nullable=False),
        sa.Column("expires_at", shopkeep.store.models.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", shopkeep.store.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
    )
    op.create_index(
        op.f("ix_staff_sessions_username"), "staff_sessions", ["username"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_sessions_username"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_index("ix_proof_failures_subject", table_name="proof_failures")
    op.drop_index("ix_proof_failures_client", table_name="proof_failures")
    op.drop_table("proof_failures")
    op.drop_index(op.f("ix_identity_codes_customer_id"), table_name="identity_codes")
    op.drop_table("identity_codes")
