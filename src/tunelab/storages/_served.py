# mypy: disable-error-code="no-any-return"
# (each RemoteStorage method returns what the served storage returned, as Any)
"""Serve a storage that lives in one process to worker processes.

:class:`StorageServer` runs in the parent (one thread per connected worker) and answers
calls on the storage it wraps, typically an :class:`InMemoryStorage`; :class:`RemoteStorage`
is the worker-side client. It pickles as the server's address and key, so it can be
handed to spawned processes, which connect on first use. The server listens on the
loopback interface only and every connection must present the random key.

Example:
    >>> from tunelab.storages import InMemoryStorage
    >>> from tunelab.storages._served import StorageServer
    >>> from tunelab import StudyDirection
    >>> with StorageServer(InMemoryStorage()) as server:
    ...     remote = server.client()
    ...     remote.create_study("s", [StudyDirection.MINIMIZE]).name
    's'
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Collection, Sequence
from multiprocessing.connection import Client, Connection, Listener
from typing import Any

from tunelab._records import FrozenStudy, FrozenTrial, StudyDirection, TrialState
from tunelab._typing import JSONValue
from tunelab.distributions import BaseDistribution
from tunelab.storages._base import BaseStorage

__all__ = ["RemoteStorage", "StorageServer"]

_METHODS = frozenset(
    {
        "create_study",
        "get_study",
        "list_studies",
        "delete_study",
        "set_study_attr",
        "create_trial",
        "enqueue_batch",
        "claim_waiting_trial",
        "claim_or_create_trial",
        "set_trial_param",
        "set_intermediate_value",
        "set_trial_attr",
        "finish_trial",
        "get_trial",
        "get_trial_by_number",
        "get_trials",
        "count_trials",
        "record_heartbeat",
        "fail_stale_trials",
    }
)


class StorageServer:
    """Answer storage calls from other processes, on 127.0.0.1, until closed.

    Args:
        storage: The storage to serve (it must be thread-safe).
    """

    def __init__(self, storage: BaseStorage) -> None:
        self._storage = storage
        self._key = secrets.token_bytes(32)
        self._listener = Listener(("127.0.0.1", 0), authkey=self._key)
        self._closed = threading.Event()
        self._thread = threading.Thread(
            target=self._accept, name="tunelab-storage-server", daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the server listens on."""
        host, port = self._listener.address
        return str(host), int(port)

    def client(self) -> RemoteStorage:
        """A picklable client for this server."""
        return RemoteStorage(self.address, self._key)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn = self._listener.accept()
            except OSError:  # closed, or a client that failed authentication
                if self._closed.is_set():
                    return
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: Connection) -> None:
        with conn:
            while True:
                try:
                    method, args, kwargs = conn.recv()
                except (EOFError, OSError):
                    return
                if method not in _METHODS:
                    conn.send((False, ValueError(f"unknown storage method {method!r}")))
                    continue
                try:
                    result = getattr(self._storage, method)(*args, **kwargs)
                except Exception as exc:
                    conn.send((False, exc))
                else:
                    conn.send((True, result))

    def close(self) -> None:
        """Stop accepting connections."""
        self._closed.set()
        self._listener.close()

    def __enter__(self) -> StorageServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RemoteStorage(BaseStorage):
    """A storage whose calls are answered by a :class:`StorageServer` in another process.

    Each thread of each process opens its own connection on first use.
    """

    def __init__(self, address: tuple[str, int], key: bytes) -> None:
        self._address = address
        self._key = key
        self._local = threading.local()

    def __reduce__(self) -> tuple[Any, ...]:
        return (RemoteStorage, (self._address, self._key))

    @property
    def shared_across_processes(self) -> bool:
        return True

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = Client(self._address, authkey=self._key)
            self._local.conn, self._local.pid = conn, os.getpid()
        conn.send((method, args, kwargs))
        ok, value = conn.recv()
        if not ok:
            raise value
        return value

    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> FrozenStudy:
        return self._call("create_study", name, list(directions))

    def get_study(self, name: str) -> FrozenStudy:
        return self._call("get_study", name)

    def list_studies(self) -> list[FrozenStudy]:
        return self._call("list_studies")

    def delete_study(self, study_id: int) -> None:
        self._call("delete_study", study_id)

    def set_study_attr(
        self, study_id: int, key: str, value: JSONValue, *, system: bool = False
    ) -> None:
        self._call("set_study_attr", study_id, key, value, system=system)

    def create_trial(
        self,
        study_id: int,
        *,
        state: TrialState = TrialState.RUNNING,
        template: FrozenTrial | None = None,
        max_trials: int | None = None,
    ) -> FrozenTrial:
        return self._call(
            "create_trial",
            study_id,
            state=state,
            template=template,
            max_trials=max_trials,
        )

    def enqueue_batch(self, study_id: int, key: str, templates: Sequence[FrozenTrial]) -> bool:
        return self._call("enqueue_batch", study_id, key, list(templates))

    def claim_waiting_trial(self, study_id: int, worker_id: str) -> FrozenTrial | None:
        return self._call("claim_waiting_trial", study_id, worker_id)

    def claim_or_create_trial(
        self, study_id: int, worker_id: str, *, max_trials: int | None = None
    ) -> FrozenTrial:
        return self._call("claim_or_create_trial", study_id, worker_id, max_trials=max_trials)

    def set_trial_param(
        self, trial_id: int, name: str, internal: float, distribution: BaseDistribution
    ) -> None:
        self._call("set_trial_param", trial_id, name, internal, distribution)

    def set_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        self._call("set_intermediate_value", trial_id, step, value)

    def set_trial_attr(
        self, trial_id: int, key: str, value: JSONValue, *, system: bool = False
    ) -> None:
        self._call("set_trial_attr", trial_id, key, value, system=system)

    def finish_trial(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> FrozenTrial:
        return self._call(
            "finish_trial",
            trial_id,
            state,
            None if values is None else list(values),
        )

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return self._call("get_trial", trial_id)

    def get_trial_by_number(self, study_id: int, number: int) -> FrozenTrial:
        return self._call("get_trial_by_number", study_id, number)

    def get_trials(
        self,
        study_id: int,
        *,
        states: Collection[TrialState] | None = None,
        min_number: int = 0,
    ) -> list[FrozenTrial]:
        return self._call(
            "get_trials",
            study_id,
            states=None if states is None else list(states),
            min_number=min_number,
        )

    def count_trials(self, study_id: int, *, states: Collection[TrialState] | None = None) -> int:
        return self._call(
            "count_trials",
            study_id,
            states=None if states is None else list(states),
        )

    def record_heartbeat(self, trial_id: int, worker_id: str) -> None:
        self._call("record_heartbeat", trial_id, worker_id)

    def fail_stale_trials(self, study_id: int, grace_period: float) -> list[FrozenTrial]:
        return self._call("fail_stale_trials", study_id, grace_period)
