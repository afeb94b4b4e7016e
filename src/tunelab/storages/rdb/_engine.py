"""Engines and transactions: SQLite pragmas, write locks, bounded retry with backoff.

SQLite runs in WAL mode so readers never block the writer; every write transaction
starts with ``BEGIN IMMEDIATE`` so that two writers queue for the lock up front instead of
failing half-way ("database is locked"). Transient lock or serialisation errors are
retried with exponential backoff and jitter, within a bounded total time; what still fails
becomes a :class:`~tunelab.exceptions.StorageError` that says what to do.
"""

from __future__ import annotations

import random
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import StaticPool

from tunelab.exceptions import StorageError

__all__ = ["Database"]

T = TypeVar("T")

_READONLY = "tunelab_readonly"
_TRANSIENT_MARKERS = (
    "database is locked",
    "database table is locked",
    "busy",
    "could not serialize access",
    "deadlock detected",
    "server closed the connection unexpectedly",
    "connection reset",
)


def _is_transient(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return any(marker in text for marker in _TRANSIENT_MARKERS)


def _explain(url: str, exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc))
    low = text.lower()
    if "readonly" in low or "read-only" in low:
        hint = "the database file (or its directory) is read-only; fix its permissions"
    elif "disk is full" in low or "no space left" in low:
        hint = "the disk is full; free space and run again (finished trials are kept)"
    elif "unable to open database file" in low:
        hint = "the file cannot be opened: check that its directory exists and is writable"
    elif "connection" in low and ("refused" in low or "failed" in low):
        hint = "the database server cannot be reached: check host, port and that it runs"
    else:
        hint = "see the database error above"
    return f"storage {url!r}: {text.strip()} ({hint})"


class Database:
    """One SQLAlchemy engine plus the transaction helpers the storage uses.

    Args:
        url: An SQLAlchemy URL, e.g. ``sqlite:///tunelab.db`` or
            ``postgresql+psycopg://user@host/db``.
        engine_kwargs: Extra arguments for :func:`sqlalchemy.create_engine`.
        retry_seconds: How long transient lock errors are retried before giving up.
    """

    def __init__(
        self,
        url: str,
        engine_kwargs: dict[str, Any] | None = None,
        retry_seconds: float = 60.0,
    ) -> None:
        self.url = url
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise ValueError(f"storage={url!r} is not a valid database URL: {exc}") from None
        self.dialect = parsed.get_backend_name()
        self.retry_seconds = retry_seconds
        kwargs: dict[str, Any] = dict(engine_kwargs or {})
        if self.dialect == "sqlite":
            if parsed.database in (None, "", ":memory:"):
                kwargs.setdefault("poolclass", StaticPool)
            kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
        else:
            kwargs.setdefault("pool_pre_ping", True)
        try:
            self.engine: Engine = create_engine(url, **kwargs)
        except (NoSuchModuleError, ImportError) as exc:
            raise ValueError(
                f"storage={self.safe_url_of(parsed)!r}: no driver for this URL ({exc}); use "
                "sqlite:///path.db, or postgresql+psycopg://... with tunelab[postgres]"
            ) from None
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)
        self._reader = self.engine.execution_options(**{_READONLY: True})
        # Close pooled connections when the storage is garbage-collected, so that
        # short-lived storages (one per create_study call, say) do not leak them.
        weakref.finalize(self, self.engine.dispose)

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden."""
        return self.safe_url_of(make_url(self.url))

    @staticmethod
    def safe_url_of(url: URL) -> str:
        """``url`` rendered with any password hidden."""
        return url.render_as_string(hide_password=True)

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a write transaction, retrying transient lock errors.

        ``work`` may run more than once (each failed attempt is rolled back), so it must
        do all its reads and writes through the connection it is given.
        """
        return self._run(self.engine, work)

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a read transaction (no write lock on SQLite)."""
        return self._run(self._reader, work)

    def _run(self, engine: Engine, work: Callable[[Connection], T]) -> T:
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.002
        while True:
            try:
                with engine.begin() as conn:
                    return work(conn)
            except (OperationalError, DBAPIError) as exc:
                if not _is_transient(exc) or time.monotonic() >= deadline:
                    raise StorageError(_explain(self.safe_url, exc)) from exc
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.25)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A plain connection, for schema work that manages its own transactions."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise StorageError(_explain(self.safe_url, exc)) from exc

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # tunelab issues BEGIN itself (see _on_begin)
        cursor = dbapi_conn.cursor()
        try:
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get(_READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")
