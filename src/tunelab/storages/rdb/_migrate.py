"""Schema creation, version checks and upgrades (Alembic).

A fresh database gets the current schema in one transaction and is stamped with the
Alembic head; a database at another revision is refused with a message that says what to
run. Concurrent first use (several workers opening an empty database at once) is
serialised: SQLite by its write lock (``BEGIN IMMEDIATE``), PostgreSQL by an advisory lock.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from tunelab.exceptions import StorageError
from tunelab.storages.rdb._engine import Database
from tunelab.storages.rdb._schema import SCHEMA_HEAD, metadata

__all__ = ["current_revision", "ensure_schema", "upgrade"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 7_311_202_611  # arbitrary constant naming "tunelab schema" advisory lock


def _config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _history(url: str) -> list[str]:
    script = ScriptDirectory.from_config(_config(url))
    return [rev.revision for rev in script.walk_revisions()]


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def current_revision(db: Database) -> str | None:
    """The Alembic revision of the database, or None if it has no tunelab schema."""
    return db.read(_revision)


def ensure_schema(db: Database) -> None:
    """Create the schema on an empty database; refuse one at another revision.

    Raises:
        StorageError: The database schema is older (run ``tunelab storage upgrade URL``)
            or newer (upgrade tunelab) than this version of tunelab.
    """

    def work(conn: Connection) -> str | None:
        if db.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        revision = _revision(conn)
        if revision is None:
            existing = set(inspect(conn).get_table_names()) & set(metadata.tables)
            if existing:
                raise StorageError(
                    f"storage {db.safe_url!r} has tunelab tables {sorted(existing)} but no "
                    "schema version; it was not created by tunelab or is damaged"
                )
            metadata.create_all(conn)
            MigrationContext.configure(conn).stamp(
                ScriptDirectory.from_config(_config(db.url)), SCHEMA_HEAD
            )
            return SCHEMA_HEAD
        return revision

    revision = db.write(work)
    if revision == SCHEMA_HEAD:
        return
    if revision in _history(db.url):
        raise StorageError(
            f"storage {db.safe_url!r} has schema version {revision}, older than the "
            f"{SCHEMA_HEAD} this tunelab uses; back it up, then run: "
            f"tunelab storage upgrade '{db.safe_url}'"
        )
    raise StorageError(
        f"storage {db.safe_url!r} has schema version {revision}, which this tunelab "
        f"(schema {SCHEMA_HEAD}) does not know: it was written by a newer tunelab; "
        "upgrade tunelab (pip install -U tunelab)"
    )


def upgrade(url: str) -> tuple[str | None, str]:
    """Migrate the database at ``url`` to the current schema; return (before, after)."""
    db = Database(url)
    try:
        before = current_revision(db)
        with db.connection() as conn, conn.begin():
            cfg = _config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return before, SCHEMA_HEAD
    finally:
        db.dispose()
