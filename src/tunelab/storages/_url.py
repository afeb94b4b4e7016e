"""Turn what a user passes as ``storage=`` into a storage object."""

from __future__ import annotations

from tunelab.storages._base import BaseStorage
from tunelab.storages._in_memory import InMemoryStorage

__all__ = ["get_storage"]


def get_storage(storage: BaseStorage | str | None) -> BaseStorage:
    """Resolve ``None`` (a fresh in-memory storage), a storage object, or a database URL.

    A URL opens an :class:`~tunelab.storages.rdb.RDBStorage`: ``sqlite:///path.db`` or
    ``postgresql+psycopg://user:password@host/database``.

    Raises:
        ValueError: The URL's scheme is not supported.

    Example:
        >>> type(get_storage(None)).__name__
        'InMemoryStorage'
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        scheme = storage.split(":", 1)[0].split("+", 1)[0].lower()
        if scheme not in ("sqlite", "postgresql"):
            raise ValueError(
                f"storage={storage!r}: unsupported database URL; use 'sqlite:///path.db' or "
                "'postgresql+psycopg://user@host/db'"
            )
        from tunelab.storages.rdb import RDBStorage  # deferred: SQLAlchemy loads on use

        return RDBStorage(storage)
    raise ValueError(
        f"storage={storage!r} must be None, a database URL string or a BaseStorage, "
        f"got {type(storage).__name__}"
    )
