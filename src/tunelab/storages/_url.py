"""Turn what a user passes as ``storage=`` into a storage object."""

from __future__ import annotations

from tunelab.storages._base import BaseStorage
from tunelab.storages._in_memory import InMemoryStorage

__all__ = ["get_storage"]


def get_storage(storage: BaseStorage | str | None) -> BaseStorage:
    """Resolve ``None`` (a fresh in-memory storage), a storage object, or a database URL.

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
        raise ValueError(
            f"storage={storage!r}: database URLs are not supported by this version; "
            "pass None for in-memory storage or a BaseStorage instance"
        )
    raise ValueError(
        f"storage={storage!r} must be None, a database URL string or a BaseStorage, "
        f"got {type(storage).__name__}"
    )
