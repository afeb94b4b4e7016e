"""``study.yaml``: a study described in YAML, checked with errors that name the YAML path.

Top-level keys (only ``space`` and ``objective`` are required)::

    storage: sqlite:///tunelab.db          # default: tunelab.db next to the config file
    study_name: iris-svc                   # default: the config file's stem
    direction: maximize                    # or directions: [minimize, maximize]
    sampler: tpe                           # or {name: tpe, seed: 0, multivariate: false}
    pruner: {name: median, n_startup_trials: 5}
    n_trials: 50
    timeout: 600                           # seconds for the whole run
    n_jobs: 1
    space:
      lr: {type: float, low: 1.0e-4, high: 0.1, log: true}
      depth: {type: int, low: 1, high: 10}
      kernel: {type: categorical, choices: [rbf, linear]}
      gamma: {type: float, low: 1.0e-4, high: 1.0, log: true, when: {kernel: rbf}}
    objective:
      function: my_package.train:objective     # called with a dict of parameters
      # or
      command: python train.py --lr {lr} --depth {depth}
      timeout: 300                         # seconds per trial (command only)
      metric: accuracy                     # key of the JSON object the command prints

A parameter with ``when: {parent: value}`` (or a list of values) exists only when the
earlier parameter ``parent`` took one of those values.
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tunelab as tl
from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

__all__ = ["ConfigError", "ObjectiveSpec", "Parameter", "StudyConfig", "load_config"]

_TOP = {
    "storage",
    "study_name",
    "direction",
    "directions",
    "sampler",
    "pruner",
    "n_trials",
    "timeout",
    "n_jobs",
    "space",
    "objective",
}
_PARAM = {
    "float": {"type", "low", "high", "log", "step", "when"},
    "int": {"type", "low", "high", "log", "step", "when"},
    "categorical": {"type", "choices", "when"},
}
_OBJECTIVE = {"function", "command", "timeout", "metric", "shell", "cwd", "env"}


class ConfigError(ValueError):
    """A problem in the YAML file, reported with its path (``space.lr.low: ...``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


@dataclass(frozen=True)
class Parameter:
    """One entry of ``space``: its distribution and the condition for it to exist."""

    name: str
    distribution: BaseDistribution
    when: dict[str, list[Any]] = field(default_factory=dict)

    def active(self, params: dict[str, Any]) -> bool:
        """Whether the condition holds for the parameters suggested so far."""
        return all(params.get(parent) in values for parent, values in self.when.items())


@dataclass(frozen=True)
class ObjectiveSpec:
    """How a trial is evaluated: a Python function or a shell command template."""

    function: str | None = None
    command: str | None = None
    timeout: float | None = None
    metric: str | list[str] | None = None
    shell: bool = False
    cwd: str | None = None
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StudyConfig:
    """A validated ``study.yaml``."""

    path: Path
    storage: str
    study_name: str
    directions: list[str]
    sampler: tuple[str, dict[str, Any]]
    pruner: tuple[str, dict[str, Any]] | None
    n_trials: int | None
    timeout: float | None
    n_jobs: int
    space: list[Parameter]
    objective: ObjectiveSpec

    def make_sampler(self) -> tl.samplers.BaseSampler:
        """The configured sampler (errors name ``sampler``)."""
        name, options = self.sampler
        factory = _SAMPLERS[name]
        try:
            sampler: tl.samplers.BaseSampler = factory(**options)
            return sampler
        except (TypeError, ValueError) as exc:
            raise ConfigError("sampler", _clean(exc)) from None

    def make_pruner(self) -> tl.pruners.BasePruner | None:
        """The configured pruner, or None (errors name ``pruner``)."""
        if self.pruner is None:
            return None
        name, options = self.pruner
        try:
            pruner: tl.pruners.BasePruner = _PRUNERS[name](**options)
            return pruner
        except (TypeError, ValueError) as exc:
            raise ConfigError("pruner", _clean(exc)) from None


def _clean(exc: BaseException) -> str:
    return re.sub(r"^\w+\.__init__\(\) ", "", str(exc))


_SAMPLERS: dict[str, Any] = {
    "auto": lambda **kw: tl.samplers.AutoSampler(**kw),
    "random": lambda **kw: tl.samplers.RandomSampler(**kw),
    "qmc": lambda **kw: tl.samplers.QMCSampler(**kw),
    "tpe": lambda **kw: tl.samplers.TPESampler(**kw),
    "gp": lambda **kw: tl.samplers.GPSampler(**kw),
    "cmaes": lambda **kw: tl.samplers.CmaEsSampler(**kw),
}
_PRUNERS: dict[str, Any] = {
    "none": lambda **kw: tl.pruners.NopPruner(**kw),
    "median": lambda **kw: tl.pruners.MedianPruner(**kw),
    "percentile": lambda **kw: tl.pruners.PercentilePruner(**kw),
    "successive_halving": lambda **kw: tl.pruners.SuccessiveHalvingPruner(**kw),
    "hyperband": lambda **kw: tl.pruners.HyperbandPruner(**kw),
    "threshold": lambda **kw: tl.pruners.ThresholdPruner(**kw),
    "curve": lambda **kw: tl.pruners.CurvePruner(**kw),
    "paired_fold": lambda **kw: tl.pruners.PairedFoldPruner(**kw),
}


def _expect(value: Any, kind: type | tuple[type, ...], path: str, what: str) -> Any:
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ConfigError(path, f"must be {what}, got {value!r}")
    if not isinstance(value, kind):
        raise ConfigError(path, f"must be {what}, got {value!r}")
    return value


def _unknown(mapping: dict[str, Any], allowed: set[str], path: str) -> None:
    extra = sorted(set(mapping) - allowed)
    if extra:
        where = f"{path}." if path else ""
        raise ConfigError(
            f"{where}{extra[0]}", f"unknown key; allowed: {', '.join(sorted(allowed))}"
        )


def _number(value: Any, path: str) -> float:
    if isinstance(value, str):  # YAML 1.1 reads 1e-4 (no dot) as a string
        with contextlib.suppress(ValueError):
            value = float(value)
    number = float(_expect(value, (int, float), path, "a number"))
    if not math.isfinite(number):
        raise ConfigError(path, f"must be finite, got {value!r}")
    return number


def _integer(value: Any, path: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(path, f"must be an integer, got {value!r}")
    return value


def _named(value: Any, path: str, table: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if isinstance(value, str):
        name, options = value, {}
    else:
        options = dict(
            _expect(value, dict, path, f"a name or a mapping with 'name' ({', '.join(table)})")
        )
        if "name" not in options:
            raise ConfigError(path, f"needs a 'name' ({', '.join(table)})")
        name = options.pop("name")
    if not isinstance(name, str) or name not in table:
        raise ConfigError(
            f"{path}.name" if not isinstance(value, str) else path,
            f"unknown {path} {name!r}; choose one of {', '.join(table)}",
        )
    return str(name), {str(k): v for k, v in options.items()}


def _parameter(name: str, spec: Any, path: str, earlier: dict[str, Parameter]) -> Parameter:
    spec = _expect(spec, dict, path, "a mapping with 'type'")
    kind = spec.get("type")
    if not isinstance(kind, str) or kind not in _PARAM:
        raise ConfigError(f"{path}.type", f"must be float, int or categorical, got {kind!r}")
    _unknown(spec, _PARAM[kind], path)
    when: dict[str, list[Any]] = {}
    if "when" in spec:
        condition = _expect(spec["when"], dict, f"{path}.when", "a mapping parent: value(s)")
        for parent, values in condition.items():
            if parent not in earlier:
                raise ConfigError(
                    f"{path}.when.{parent}", "must name a parameter defined above this one"
                )
            when[str(parent)] = list(values) if isinstance(values, list) else [values]
            parent_dist = earlier[parent].distribution
            if isinstance(parent_dist, CategoricalDistribution):
                allowed = parent_dist.choices
                missing = [v for v in when[str(parent)] if v not in allowed]
                if missing:
                    raise ConfigError(
                        f"{path}.when.{parent}",
                        f"{missing[0]!r} is not one of {parent}'s choices {list(allowed)}",
                    )
    try:
        if kind == "categorical":
            choices = _expect(spec.get("choices"), list, f"{path}.choices", "a list of values")
            if not choices:
                raise ConfigError(f"{path}.choices", "must not be empty")
            dist: BaseDistribution = CategoricalDistribution(tuple(choices))
        else:
            for key in ("low", "high"):
                if key not in spec:
                    raise ConfigError(f"{path}.{key}", "is required")
            low = _number(spec["low"], f"{path}.low")
            high = _number(spec["high"], f"{path}.high")
            log = bool(_expect(spec.get("log", False), bool, f"{path}.log", "true or false"))
            step = spec.get("step")
            if kind == "float":
                dist = FloatDistribution(
                    low,
                    high,
                    log=log,
                    step=None if step is None else _number(step, f"{path}.step"),
                )
            else:
                for key in ("low", "high"):
                    _integer(spec[key], f"{path}.{key}")
                dist = IntDistribution(
                    int(low),
                    int(high),
                    log=log,
                    step=1 if step is None else _integer(step, f"{path}.step"),
                )
    except ConfigError:
        raise
    except ValueError as exc:
        message = str(exc).removeprefix(f"parameter {name!r}: ")
        key = next((k for k in ("low", "high", "step", "choices") if k in message), "")
        raise ConfigError(f"{path}.{key}" if key else path, message) from None
    return Parameter(name, dist, when)


def _objective(spec: Any) -> ObjectiveSpec:
    spec = _expect(spec, dict, "objective", "a mapping with 'function' or 'command'")
    _unknown(spec, _OBJECTIVE, "objective")
    function, command = spec.get("function"), spec.get("command")
    if (function is None) == (command is None):
        raise ConfigError("objective", "give exactly one of 'function' and 'command'")
    if function is not None:
        _expect(function, str, "objective.function", "'module:function'")
        if not re.fullmatch(r"[\w.]+:[\w.]+", function):
            raise ConfigError(
                "objective.function", f"must look like 'module:function', got {function!r}"
            )
    if command is not None:
        _expect(command, str, "objective.command", "a command line")
    timeout = spec.get("timeout")
    if timeout is not None:
        timeout = _number(timeout, "objective.timeout")
        if timeout <= 0:
            raise ConfigError("objective.timeout", f"must be > 0 seconds, got {spec['timeout']!r}")
    metric = spec.get("metric")
    if metric is not None and not (
        isinstance(metric, str)
        or (isinstance(metric, list) and all(isinstance(m, str) for m in metric))
    ):
        raise ConfigError("objective.metric", f"must be a key or a list of keys, got {metric!r}")
    env = spec.get("env") or {}
    _expect(env, dict, "objective.env", "a mapping of variable: value")
    return ObjectiveSpec(
        function=function,
        command=command,
        timeout=timeout,
        metric=metric,
        shell=bool(_expect(spec.get("shell", False), bool, "objective.shell", "true or false")),
        cwd=None if spec.get("cwd") is None else str(spec["cwd"]),
        env={str(k): str(v) for k, v in env.items()},
    )


def parse_config(data: Any, path: Path) -> StudyConfig:
    """Validate the loaded YAML ``data`` of the file at ``path``."""
    data = _expect(data, dict, "", "a YAML mapping at the top level")
    _unknown(data, _TOP, "")
    for key in ("space", "objective"):
        if key not in data:
            raise ConfigError(key, "is required")
    if "direction" in data and "directions" in data:
        raise ConfigError("directions", "give either direction or directions, not both")
    if "directions" in data:
        directions = _expect(data["directions"], list, "directions", "a list of minimize/maximize")
    else:
        directions = [data.get("direction", "minimize")]
    for i, d in enumerate(directions):
        if d not in ("minimize", "maximize"):
            where = f"directions[{i}]" if "directions" in data else "direction"
            raise ConfigError(where, f"must be minimize or maximize, got {d!r}")
    space_spec = _expect(data["space"], dict, "space", "a mapping of parameter name: spec")
    if not space_spec:
        raise ConfigError("space", "must define at least one parameter")
    space: dict[str, Parameter] = {}
    for name, spec in space_spec.items():
        space[str(name)] = _parameter(str(name), spec, f"space.{name}", space)
    n_trials = data.get("n_trials")
    if n_trials is not None and (
        not isinstance(n_trials, int) or isinstance(n_trials, bool) or n_trials < 1
    ):
        raise ConfigError("n_trials", f"must be an integer >= 1, got {n_trials!r}")
    timeout = data.get("timeout")
    if timeout is not None:
        timeout = _number(timeout, "timeout")
        if timeout <= 0:
            raise ConfigError("timeout", f"must be > 0 seconds, got {data['timeout']!r}")
    n_jobs = data.get("n_jobs", 1)
    if (
        not isinstance(n_jobs, int)
        or isinstance(n_jobs, bool)
        or not (n_jobs == -1 or n_jobs >= 1)
    ):
        raise ConfigError("n_jobs", f"must be -1 or an integer >= 1, got {n_jobs!r}")
    storage = data.get("storage")
    if storage is None:
        storage = f"sqlite:///{(path.parent / 'tunelab.db').as_posix()}"
    _expect(storage, str, "storage", "a storage URL")
    study_name = data.get("study_name") or path.stem
    _expect(study_name, str, "study_name", "a string")
    pruner = None if data.get("pruner") is None else _named(data["pruner"], "pruner", _PRUNERS)
    return StudyConfig(
        path=path,
        storage=storage,
        study_name=study_name,
        directions=[str(d) for d in directions],
        sampler=_named(data.get("sampler", "auto"), "sampler", _SAMPLERS),
        pruner=pruner,
        n_trials=n_trials,
        timeout=timeout,
        n_jobs=n_jobs,
        space=list(space.values()),
        objective=_objective(data["objective"]),
    )


@functools.cache
def _unique_key_loader() -> Any:
    """A ``yaml.SafeLoader`` that rejects a key given twice in one mapping (built once)."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):  # type: ignore[misc]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, str) and key in seen:
                    mark = key_node.start_mark
                    raise ConfigError(
                        key,
                        f"key given twice in one mapping (line {mark.line + 1}); "
                        "YAML would silently keep the last",
                    )
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def load_config(path: str | Path) -> StudyConfig:
    """Read and validate a ``study.yaml`` (safe YAML loading).

    Raises:
        ConfigError: The file is missing, not YAML, or invalid; the message names the
            YAML path of the first problem.
    """
    import yaml

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("", f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        data = yaml.load(text, Loader=_unique_key_loader())  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError("", f"{file} is not valid YAML{where}: {problem}") from None
    return parse_config(data, file.resolve())
