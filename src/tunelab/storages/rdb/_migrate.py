"""Schema creation, version checks and upgrades (Alembic).

A fresh database gets the current schema in one transaction and is stamped with the
Alembic head; a database at another revision is refused with a message that says what to
run. Concurrent first use (several workers opening an empty database at once) is
serialised: SQLite by its write lock (``BEGIN IMMEDIATE``), PostgreSQL by an advisory lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import DBAPIError

from tunelab.exceptions import StorageError
from tunelab.storages.rdb._engine import Database
from tunelab.storages.rdb._schema import SCHEMA_HEAD, metadata

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["current_revision", "ensure_schema", "upgrade"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 7_311_202_611  # arbitrary constant naming "tunelab schema" advisory lock


def _config(url: str) -> Config:
    from alembic.config import Config  # Alembic is imported only when the schema changes

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _history(url: str) -> list[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config(url))
    return [rev.revision for rev in script.walk_revisions()]


def _revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _at_head(db: Database) -> bool:
    """Whether the database is stamped with this tunelab's schema (a plain read).

    The common case (every open of an existing study) then needs neither the write lock
    nor Alembic, whose import alone costs a worker process about 0.1 s.
    """

    def work(conn: Connection) -> bool:
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        return [row[0] for row in rows] == [SCHEMA_HEAD]

    try:
        return db.read(work)
    except (DBAPIError, StorageError):  # no version table yet, or not readable: full check
        return False


def current_revision(db: Database) -> str | None:
    """The Alembic revision of the database, or None if it has no tunelab schema."""
    return db.read(_revision)


def ensure_schema(db: Database) -> None:
    """Create the schema on an empty database; refuse one at another revision.

    Raises:
        StorageError: The database schema is older (run ``tunelab storage upgrade URL``)
            or newer (upgrade tunelab) than this version of tunelab.
    """
    if _at_head(db):
        return

    def work(conn: Connection) -> str | None:
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

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
    from alembic import command

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
