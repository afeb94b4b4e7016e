"""Objectives of ``study.yaml``: a Python function, or a command run once per trial."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import math
import os
import shlex
import signal
import string
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import tunelab as tl
from tunelab.cli._config import ConfigError, Parameter, StudyConfig
from tunelab.distributions import CategoricalDistribution, FloatDistribution

__all__ = ["build_objective", "suggest_space"]

_STDERR_TAIL = 20  # lines of a failed command's stderr kept in the trial


def suggest_space(trial: tl.Trial, space: Sequence[Parameter]) -> dict[str, Any]:
    """Suggest every active parameter of ``space`` in order; return them by name."""
    params: dict[str, Any] = {}
    for p in space:
        if not p.active(params):
            continue
        d = p.distribution
        if isinstance(d, CategoricalDistribution):
            params[p.name] = trial.suggest_categorical(p.name, list(d.choices))
        elif isinstance(d, FloatDistribution):
            params[p.name] = trial.suggest_float(p.name, d.low, d.high, log=d.log, step=d.step)
        else:
            params[p.name] = trial.suggest_int(p.name, d.low, d.high, log=d.log, step=d.step)  # type: ignore[attr-defined]
    return params


def _values(result: Any, metric: str | list[str] | None, where: str) -> float | list[float]:
    """The objective value(s) from a number or a dict of metrics."""
    if isinstance(result, dict):
        if metric is None:
            if len(result) == 1:
                return float(next(iter(result.values())))
            raise ValueError(
                f"{where} gave several metrics {sorted(result)}: set objective.metric to "
                "the one to optimise"
            )
        keys = [metric] if isinstance(metric, str) else metric
        missing = [k for k in keys if k not in result]
        if missing:
            raise ValueError(f"{where} gave metrics {sorted(result)}, without {missing}")
        values = [float(result[k]) for k in keys]
        return values[0] if isinstance(metric, str) else values
    if isinstance(result, (list, tuple)):
        return [float(v) for v in result]
    return float(result)


class FunctionObjective:
    """Calls ``module:function`` with the dict of parameters.

    A function whose first argument is named ``trial`` gets the trial itself instead
    (its parameters already suggested), so it can report values for pruning.
    """

    def __init__(self, config: StudyConfig) -> None:
        self._target = config.objective.function or ""
        self._space = config.space
        self._metric = config.objective.metric
        self._root = str(config.path.parent)
        self._function: Callable[..., Any] | None = None
        self._wants_trial = False

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_function"] = None  # re-imported in the worker
        return state

    def _load(self) -> Callable[..., Any]:
        if self._function is None:
            if self._root not in sys.path:
                sys.path.insert(0, self._root)  # modules next to the YAML file
            module_name, _, attr = self._target.partition(":")
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                raise ConfigError(
                    "objective.function", f"cannot import {module_name!r}: {exc}"
                ) from None
            except Exception as exc:  # the module itself is broken: say where
                raise ConfigError(
                    "objective.function",
                    f"importing {module_name!r} failed: {type(exc).__name__}: {exc}",
                ) from None
            function: Any = module
            for part in attr.split("."):
                function = getattr(function, part, None)
            if not callable(function):
                raise ConfigError(
                    "objective.function", f"{self._target!r} is not a callable in {module_name!r}"
                )
            parameters = list(inspect.signature(function).parameters)
            self._wants_trial = bool(parameters) and parameters[0] == "trial"
            self._function = function
        return self._function

    def __call__(self, trial: tl.Trial) -> float | list[float]:
        function = self._load()
        params = suggest_space(trial, self._space)
        result = function(trial) if self._wants_trial else function(params)
        if isinstance(result, dict):
            trial.set_user_attr("metrics", {k: v for k, v in result.items() if _jsonable(v)})
        return _values(result, self._metric, f"{self._target}()")


def _jsonable(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool)) and not (
        isinstance(value, float) and not math.isfinite(value)
    )


_POSIX = os.name == "posix"


def _kill_tree(process: subprocess.Popen[str]) -> None:
    """Kill ``process`` and, on POSIX, every process of its group (a shell's children)."""
    if _POSIX:
        with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
            os.killpg(process.pid, signal.SIGKILL)
    elif process.poll() is None:
        process.kill()


class CommandObjective:
    """Runs the command template once per trial.

    Placeholders ``{name}`` take the trial's parameters (an inactive conditional one is
    empty). Each stdout line that is a JSON object with ``step`` and ``value`` (or the
    metric) is reported as an intermediate value, so a pruner can stop the command; the
    last stdout line is the result: a number or a JSON object of metrics. A non-zero
    exit code or a timeout fails the trial, with the exit code and the end of stderr in
    its ``system_attrs``.
    """

    def __init__(self, config: StudyConfig) -> None:
        spec = config.objective
        self._template = spec.command or ""
        self._space = config.space
        self._metric = spec.metric
        self._timeout = spec.timeout
        self._shell = spec.shell
        self._cwd = spec.cwd or str(config.path.parent)
        self._env = spec.env
        if not Path(self._cwd).is_dir():
            raise ConfigError("objective.cwd", f"{self._cwd!r} is not a directory")
        names = {p.name for p in config.space}
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(self._template)]
            if not self._shell:
                shlex.split(self._template)
        except ValueError as exc:
            raise ConfigError("objective.command", f"{exc}: {self._template!r}") from None
        for field in fields:
            if field is not None and field not in names:
                raise ConfigError(
                    "objective.command",
                    f"placeholder {{{field}}} is not a parameter of space "
                    f"({', '.join(sorted(names))})",
                )

    def command_line(self, params: dict[str, Any]) -> list[str] | str:
        values = {p.name: params.get(p.name, "") for p in self._space}
        if self._shell:
            return self._template.format_map({k: shlex.quote(str(v)) for k, v in values.items()})
        return [part.format_map(values) for part in shlex.split(self._template)]

    def __call__(self, trial: tl.Trial) -> float | list[float]:
        params = suggest_space(trial, self._space)
        line = self.command_line(params)
        shown = line if isinstance(line, str) else shlex.join(line)
        trial.set_user_attr("command", shown)
        env = {**os.environ, **self._env}
        stderr: deque[str] = deque(maxlen=_STDERR_TAIL)
        timed_out = threading.Event()
        last = ""
        with subprocess.Popen(
            line,
            shell=self._shell,
            cwd=self._cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            start_new_session=_POSIX,  # its own process group: a kill reaches its children
        ) as process:
            reader = threading.Thread(
                target=lambda: stderr.extend(process.stderr or ()), daemon=True
            )
            reader.start()

            def expire() -> None:
                timed_out.set()
                _kill_tree(process)

            timer = threading.Timer(self._timeout, expire) if self._timeout else None
            if timer is not None:
                timer.start()
            try:
                for raw in process.stdout or ():
                    text = raw.strip()
                    if not text:
                        continue
                    last = text
                    if self._report(trial, text):
                        _kill_tree(process)
                        raise tl.TrialPruned()
                code = process.wait()
            finally:
                if timer is not None:
                    timer.cancel()
                _kill_tree(process)  # children left behind, or an interrupted command
                process.wait()
                reader.join(timeout=5)
        tail = "".join(stderr).strip()
        if timed_out.is_set():
            trial.set_user_attr("command:stderr_tail", tail)
            raise RuntimeError(f"the command timed out after {self._timeout:g} s: {shown}")
        if code != 0:
            trial.set_user_attr("command:exit_code", code)
            trial.set_user_attr("command:stderr_tail", tail)
            raise RuntimeError(
                f"the command exited with code {code}: {shown}"
                + (f"; stderr ends with: {tail[-500:]}" if tail else "")
            )
        return self._result(trial, last, shown)

    def _report(self, trial: tl.Trial, text: str) -> bool:
        """Report an intermediate JSON line; return whether the trial should stop."""
        if not text.startswith("{"):
            return False
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return False
        if not isinstance(data, dict) or "step" not in data:
            return False
        key = (
            "value" if "value" in data else self._metric if isinstance(self._metric, str) else None
        )
        if key is None or key not in data:
            return False
        trial.report(float(data[key]), int(data["step"]))
        return trial.should_prune()

    def _result(self, trial: tl.Trial, last: str, shown: str) -> float | list[float]:
        try:
            result = json.loads(last)
        except json.JSONDecodeError:
            raise ValueError(
                f"the last line the command printed, {last[:200]!r}, is not a number or a "
                f"JSON object of metrics ({shown})"
            ) from None
        if isinstance(result, dict):
            trial.set_user_attr("metrics", {k: v for k, v in result.items() if _jsonable(v)})
        if (
            isinstance(result, dict)
            and "step" in result
            and "value" in result
            and self._metric is None
        ):
            return float(result["value"])
        return _values(result, self._metric, "the command")


def build_objective(config: StudyConfig) -> Callable[[tl.Trial], Any]:
    """The objective ``config`` describes."""
    if config.objective.function is not None:
        objective = FunctionObjective(config)
        objective._load()  # an import error is a config error, before any trial runs
        return objective
    return CommandObjective(config)
