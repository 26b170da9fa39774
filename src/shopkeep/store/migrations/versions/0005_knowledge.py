"""the merchant's knowledge base: documents, passages and their full-text index

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shopkeep.store.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("lang", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("imported_at", shopkeep.store.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_documents")),
        sa.UniqueConstraint("source", name=op.f("uq_knowledge_documents_source")),
    )
    op.create_table(
        "knowledge_passages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("heading", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["knowledge_documents.id"],
            name=op.f("fk_knowledge_passages_document_id_knowledge_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_passages")),
    )
    op.create_index(
        op.f("ix_knowledge_passages_document_id"),
        "knowledge_passages",
        ["document_id"],
        unique=False,
    )
    # The full-text index, in each database's own engine, one row per passage (rowid = the
    # passage's id), kept by the store; not part of the models' metadata: `Database.schema_drift`
    # leaves names starting with knowledge_fts aside.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE knowledge_fts USING fts5(terms)")
    else:
        op.execute(
            "CREATE TABLE knowledge_fts (rowid integer PRIMARY KEY REFERENCES "
            "knowledge_passages (id) ON DELETE CASCADE, terms tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX knowledge_fts_terms ON knowledge_fts USING gin (terms)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS knowledge_fts")
    op.drop_index(op.f("ix_knowledge_passages_document_id"), table_name="knowledge_passages")
    op.drop_table("knowledge_passages")
    op.drop_table("knowledge_documents")
