"""Where studies live: the storage contract and its backends.

Example:
    >>> import tunelab as tl
    >>> storage = tl.storages.InMemoryStorage()
    >>> study = tl.create_study(storage=storage, study_name="shared")
    >>> tl.load_study(study_name="shared", storage=storage).study_name
    'shared'
"""

from tunelab.storages._base import BaseStorage
from tunelab.storages._in_memory import InMemoryStorage
from tunelab.storages._transfer import copy_study, export_study, import_study
from tunelab.storages._url import get_storage

__all__ = [
    "BaseStorage",
    "InMemoryStorage",
    "copy_study",
    "export_study",
    "get_storage",
    "import_study",
]
