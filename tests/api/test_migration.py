"""The agent checkout's tables (migration 0003) on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command

from shopkeep.store import Database
from shopkeep.store.migrations import alembic_config, current_revision


def test_that_the_agent_checkout_tables_migrate_down_and_up_to_match_the_models(
    db: Database,
) -> None:
    assert db.schema_drift() == []
    command.downgrade(alembic_config(db.engine), "0002")
    assert current_revision(db.engine) == "0002"
    dropped = db.schema_drift()
    for table in ("agent_checkout_sessions", "idempotency_keys", "webhook_deliveries"):
        assert any(table in difference for difference in dropped)
    assert db.migrate() >= "0003"  # or a later migration
    assert db.schema_drift() == []
