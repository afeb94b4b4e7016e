"""Trial isolation: each trial's objective runs in a fresh subprocess.

A trial that crashes the interpreter (a segfault in native code), hangs past its
timeout, or exceeds its memory limit then only loses its own process: the trial becomes
FAIL with the reason, and the study goes on. The parent asks for the trial (so the
sampler's joint proposal is made once, in the parent) and tells the result; the child
rebuilds the study from the storage, runs the objective on the same trial, and sends
back the value, a pruning signal or the exception.
"""

from __future__ import annotations

import multiprocessing
import numbers
import pickle
import re
import secrets
import signal
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cloudpickle

from tunelab.exceptions import TrialPruned, TunelabError
from tunelab.storages import BaseStorage
from tunelab.trial import Trial

if TYPE_CHECKING:  # annotations only: _study imports this module indirectly
    from tunelab.study._run import Objective

__all__ = ["Isolation", "IsolatedObjective", "TrialProcessError", "parse_memory"]

_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
TRACEBACK_ATTR = "_tunelab_traceback"


class TrialProcessError(TunelabError):
    """The isolated trial's process crashed, hung past its timeout or ran out of memory.

    The trial is marked FAIL with this message and the study goes on.
    """


def parse_memory(value: int | str | None) -> int | None:
    """Bytes from an int or a string such as ``"512MiB"``, ``"4G"`` or ``"2 GB"``.

    Example:
        >>> parse_memory("1.5GiB")
        1610612736
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"memory_limit={value!r} must be bytes (int) or a string like '4GiB'")
    if isinstance(value, numbers.Integral):
        number, unit = float(value), ""
    else:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kKmMgGtT]?)(i?[bB])?\s*", str(value))
        if match is None:
            raise ValueError(
                f"memory_limit={value!r} must be bytes (int) or a string like '512MiB' or '4G'"
            )
        number, unit = float(match.group(1)), match.group(2).lower()
    limit = int(number * _UNITS[unit])
    if limit < 64 * 1024**2:
        raise ValueError(f"memory_limit={value!r} is below 64 MiB; a Python process needs more")
    return limit


@dataclass(frozen=True)
class Isolation:
    """Run every trial in a fresh subprocess, optionally with a timeout and memory limit.

    Args:
        timeout: Seconds a trial may run; a trial still running then is killed and
            becomes FAIL.
        memory_limit: The most address space the trial's process may use (bytes, or a
            string such as ``"4GiB"``); beyond it allocations fail and the trial becomes
            FAIL.
        start_method: How the subprocess starts (``"spawn"``, safe everywhere).

    The sampler's joint proposals are made in the parent as usual; parameters drawn one
    at a time inside the child use a freshly seeded copy of the sampler, so a seeded
    sampler's sequence is not reproduced exactly under isolation.

    Example:
        >>> import tunelab as tl
        >>> study = tl.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1,
        ...                isolate=tl.Isolation(timeout=120, memory_limit="2GiB"))
        >>> study.trials[0].state.name
        'COMPLETE'
    """

    timeout: float | None = None
    memory_limit: int | str | None = None
    start_method: str = "spawn"

    def __post_init__(self) -> None:
        if self.timeout is not None and (
            isinstance(self.timeout, bool)
            or not isinstance(self.timeout, numbers.Real)
            or not float(self.timeout) > 0
        ):
            raise ValueError(f"timeout={self.timeout!r} must be None or seconds > 0")
        object.__setattr__(self, "memory_limit", parse_memory(self.memory_limit))
        if self.start_method not in multiprocessing.get_all_start_methods():
            raise ValueError(
                f"start_method={self.start_method!r} must be one of "
                f"{multiprocessing.get_all_start_methods()}"
            )


def _child(conn: Any, payload: bytes) -> None:
    """The subprocess: rebuild the trial, run the objective, send back what happened."""
    spec = pickle.loads(payload)
    if spec["memory_limit"] is not None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (spec["memory_limit"], spec["memory_limit"]))
    from tunelab.study._study import Study

    spec["sampler"].reseed_rng(spec["seed"])
    storage: BaseStorage = spec["storage"]
    study = Study(
        storage,
        storage.get_study(spec["study_name"]),
        spec["sampler"],
        spec["pruner"],
        spec["options"],
    )
    trial = Trial(
        study._context, storage.get_trial(spec["trial_id"]), spec["space"], spec["relative"]
    )
    try:
        result = spec["objective"](trial)
    except TrialPruned:
        conn.send(("pruned", None))
    except BaseException as exc:
        text = traceback.format_exc()
        try:
            blob = pickle.dumps(exc)
        except Exception:
            blob = None
        conn.send(("error", (blob, f"{type(exc).__name__}: {exc}", text)))
    else:
        conn.send(("value", result))


class IsolatedObjective:
    """Wraps an objective so that each call runs in a fresh subprocess.

    Args:
        objective: The user's objective.
        isolation: Timeout, memory limit and start method.
        storage: A storage the subprocess can reach (a database, or a served client).
    """

    def __init__(self, objective: Objective, isolation: Isolation, storage: BaseStorage) -> None:
        self._objective = objective
        self._isolation = isolation
        self._storage = storage

    def __call__(self, trial: Trial) -> Any:
        """Run ``objective(trial)`` in a subprocess and return its result."""
        study = trial._ctx.study
        spec = {
            "storage": self._storage,
            "study_name": study.study_name,
            "sampler": study.sampler,
            "pruner": study.pruner,
            "options": study._options,
            "trial_id": trial.trial_id,
            "space": dict(trial._relative_space),
            "relative": dict(trial._relative),
            "objective": self._objective,
            "memory_limit": self._isolation.memory_limit,
            # The sampler is a fresh copy in every child: reseed it, or every trial
            # would draw the same values.
            "seed": secrets.randbits(32),
        }
        payload = cloudpickle.dumps(spec)
        context = multiprocessing.get_context(self._isolation.start_method)
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(  # type: ignore[attr-defined]
            target=_child,
            args=(sender, payload),
            daemon=True,
            name=f"tunelab-trial-{trial.number}",
        )
        process.start()
        sender.close()
        try:
            message = self._wait(receiver, process)
        except BaseException:
            _stop(process)
            raise
        finally:
            receiver.close()
        process.join(5)
        _stop(process)
        return self._unpack(message)

    def _wait(self, receiver: Any, process: Any) -> Any:
        timeout = self._isolation.timeout
        if not receiver.poll(timeout):
            _stop(process)
            raise TrialProcessError(
                f"the trial ran longer than its timeout of {timeout:g} s and was killed"
            )
        try:
            return receiver.recv()
        except EOFError:  # the process died without a word
            process.join(5)
            raise TrialProcessError(_death(process.exitcode, self._isolation)) from None

    def _unpack(self, message: tuple[str, Any]) -> Any:
        kind, body = message
        if kind == "value":
            return body
        if kind == "pruned":
            raise TrialPruned()
        blob, summary, text = body
        exc = pickle.loads(blob) if blob is not None else RuntimeError(summary)
        if isinstance(exc, MemoryError) and self._isolation.memory_limit is not None:
            exc = TrialProcessError(
                f"the trial exceeded its memory limit of {self._isolation.memory_limit} bytes "
                f"({summary})"
            )
        setattr(exc, TRACEBACK_ATTR, text)
        raise exc


def _stop(process: Any) -> None:
    if process.is_alive():
        process.kill()
        process.join(5)


def _death(exitcode: int | None, isolation: Isolation) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        if name == "SIGSEGV":
            hint = " (a crash in native code)"
        return f"the trial's process was killed by {name}{hint}"
    limit = "" if isolation.memory_limit is None else f" (memory limit {isolation.memory_limit} B)"
    return f"the trial's process exited with status {exitcode} before returning{limit}"
