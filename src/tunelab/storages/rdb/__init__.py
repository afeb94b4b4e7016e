"""Relational storage: SQLite and PostgreSQL through SQLAlchemy, schema under Alembic.

Example:
    >>> from tunelab.storages.rdb import RDBStorage
    >>> RDBStorage("sqlite://").list_studies()
    []
"""

from tunelab.storages.rdb._migrate import upgrade
from tunelab.storages.rdb._storage import RDBStorage

__all__ = ["RDBStorage", "upgrade"]
