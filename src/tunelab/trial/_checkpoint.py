"""Where trials keep checkpoints: one directory per trial, next to the study.

The root is, in order: the ``TUNELAB_CHECKPOINT_DIR`` environment variable; for a SQLite
study, a ``<database file>.checkpoints`` directory beside the database; otherwise
``<temp dir>/tunelab-checkpoints``. Each study gets a subdirectory and each trial a
``trial-<number>`` directory inside it. Every worker of a study computes the same paths,
so a checkpoint saved by one process can be loaded by another on the same machine (or,
with a shared ``TUNELAB_CHECKPOINT_DIR``, on another machine).

Checkpoints are pickled Python objects (PyTorch state dicts included): load only
checkpoints your own study wrote.
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

__all__ = [
    "CHECKPOINT_FILE",
    "CHECKPOINT_PARENT_ATTR",
    "checkpoint_root",
    "read_checkpoint",
    "remove_checkpoint",
    "trial_dir",
    "write_checkpoint",
]

CHECKPOINT_FILE = "checkpoint.pkl"
CHECKPOINT_PARENT_ATTR = "checkpoint:parent"
"""System attribute: the number of the trial whose checkpoint this trial starts from."""


def checkpoint_root(storage_url: str | None, study_name: str) -> Path:
    """The directory holding the checkpoints of ``study_name``'s trials."""
    env = os.environ.get("TUNELAB_CHECKPOINT_DIR")
    if env:
        base = Path(env)
    elif storage_url and storage_url.startswith("sqlite:///") and ":memory:" not in storage_url:
        database = Path(storage_url[len("sqlite:///") :].split("?")[0])
        base = database.with_name(database.name + ".checkpoints")
    else:
        base = Path(tempfile.gettempdir()) / "tunelab-checkpoints"
    return base / re.sub(r"[^A-Za-z0-9._-]", "_", study_name)


def trial_dir(root: Path, number: int) -> Path:
    return root / f"trial-{number}"


def write_checkpoint(directory: Path, state: Any) -> Path:
    """Pickle ``state`` into ``directory`` atomically (a crash leaves the old file)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / CHECKPOINT_FILE
    partial = directory / (CHECKPOINT_FILE + f".{os.getpid()}.tmp")
    with open(partial, "wb") as handle:
        pickle.dump(state, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, target)
    return target


def read_checkpoint(directory: Path) -> Any:
    """The object saved in ``directory``.

    Raises:
        FileNotFoundError: Nothing was saved there (or it was cleaned up).
    """
    with open(directory / CHECKPOINT_FILE, "rb") as handle:
        return pickle.load(handle)


def remove_checkpoint(directory: Path) -> None:
    """Delete a trial's checkpoint directory, if any."""
    shutil.rmtree(directory, ignore_errors=True)
