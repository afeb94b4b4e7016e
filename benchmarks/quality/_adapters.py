"""One adapter per optimizer: translate a neutral problem, run N trials with a seed.

Every adapter is driven the same way by ``run.py``::

    adapter.setup(problem, seed)      # imports, subprocess start: not timed
    start = perf_counter()
    adapter.run(problem, evaluate, n_trials, seed)   # calls evaluate(params) n_trials times
    wall = perf_counter() - start
    adapter.teardown()

``evaluate`` (an :class:`Evaluator`) runs the objective, records the observed and the
noiseless values and the time spent inside the objective; the optimizer's own overhead is
``wall - evaluate.objective_time``. Parameters proposed for inactive conditional branches are
dropped by :meth:`Problem.active` before the objective sees them.

How conditional (tree-structured) spaces are mapped:

* tunelab, Optuna: define-by-run, natively: a conditional parameter is suggested only when
  its parent takes one of its values (Optuna's multivariate TPE uses ``group=True``).
* Hyperopt: natively, with nested ``hp.choice`` (each branch has its own labels).
* SMAC3: natively, ConfigSpace ``EqualsCondition``/``InCondition``.
* scikit-optimize, bayes_opt, Nevergrad, HEBO: no conditionals: the space is flattened,
  every parameter is proposed every trial, and inactive ones are ignored by the objective.
* tunelab ``GridSampler``: a grid over the flattened space (inactive values repeat points).

Integer parameters with a step are exposed as an integer index ``0..n-1`` where the library
has no step (scikit-optimize, SMAC3, Nevergrad, HEBO, Hyperopt). bayes_opt has only
continuous parameters: log-scaled ones are optimized in log space, integers and categorical
indices are continuous and rounded (floored for categories), the usual workaround.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # benchmarks/, for _problems
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _problems import CategoricalParam, FloatParam, IntParam, Param, Problem

__all__ = ["ADAPTERS", "Adapter", "Evaluator", "all_adapters", "unavailable_notes"]

HERE = Path(__file__).resolve().parent
HEBO_PYTHON = HERE.parent / ".venv-hebo" / "bin" / "python"


class BudgetExhausted(Exception):
    """Raised when an optimizer asks for more evaluations than its budget."""


class Evaluator:
    """The objective as the optimizers see it: records everything, times itself."""

    def __init__(self, problem: Problem, seed: int, n_trials: int) -> None:
        self.problem = problem
        self.n_trials = n_trials
        # Noise stream depends on (seed, problem) only: the same for every optimizer.
        self.rng = np.random.default_rng([seed, zlib.crc32(problem.name.encode())])
        self.observed: list[float] = []
        self.true: list[float] = []
        self.params: list[dict[str, Any]] = []
        self.objective_time = 0.0

    @property
    def n(self) -> int:
        return len(self.observed)

    def __call__(self, params: Mapping[str, Any]) -> float:
        if self.n >= self.n_trials:
            raise BudgetExhausted
        start = time.perf_counter()
        active = self.problem.active(params)
        observed, true = self.problem.evaluate(active, self.rng)
        self.objective_time += time.perf_counter() - start
        self.observed.append(observed)
        self.true.append(true)
        self.params.append(active)
        return observed


class Adapter:
    """Base class. Subclasses set the class attributes and implement :meth:`run`."""

    name: str = ""
    library: str = ""  # importable module whose presence (and version) matters
    cheap: bool = False  # own time per trial small enough for --quick
    conditional: str = "flattened"  # how conditional spaces are handled (documented above)

    def unavailable(self) -> str | None:
        """Why this adapter cannot run here, or None."""
        try:
            importlib.import_module(self.library)
        except Exception as exc:  # ImportError, or a broken install
            return f"{self.library} not importable: {type(exc).__name__}: {exc}"
        return None

    def version(self) -> str:
        try:
            from importlib.metadata import version

            dist = {
                "skopt": "scikit-optimize",
                "bayes_opt": "bayesian-optimization",
            }.get(self.library, self.library)
            return version(dist)
        except Exception:
            module = importlib.import_module(self.library)
            return str(getattr(module, "__version__", "?"))

    def setup(self, problem: Problem, seed: int) -> None:
        importlib.import_module(self.library)

    def run(self, problem: Problem, evaluate: Evaluator, n_trials: int, seed: int) -> None:
        raise NotImplementedError

    def teardown(self) -> None:
        pass


# --- define-by-run: tunelab and Optuna ---------------------------------------------------


def _define_by_run(trial: Any, problem: Problem) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for p in problem.space:
        if p.condition is not None and not p.condition.holds(params):
            continue
        if isinstance(p, FloatParam):
            params[p.name] = trial.suggest_float(p.name, p.low, p.high, log=p.log)
        elif isinstance(p, IntParam):
            params[p.name] = trial.suggest_int(p.name, p.low, p.high, step=p.step, log=p.log)
        else:
            params[p.name] = trial.suggest_categorical(p.name, list(p.choices))
    return params


def _grid_values(problem: Problem, n_trials: int) -> dict[str, list[Any]]:
    """Per-parameter value lists whose product has at least ``n_trials`` points if possible.

    Categoricals list every choice; numeric parameters get ``k`` evenly spaced levels (on the
    log scale for log parameters), ``k`` the smallest that makes the grid big enough.
    """

    def levels(p: Param, k: int) -> list[Any]:
        if isinstance(p, CategoricalParam):
            return list(p.choices)
        if isinstance(p, FloatParam):
            if p.log:
                return [float(v) for v in np.geomspace(p.low, p.high, k)]
            return [float(v) for v in np.linspace(p.low, p.high, k)]
        if p.log:
            raw = np.geomspace(p.low, p.high, min(k, p.high - p.low + 1))
            return sorted({p.clip(round(v)) for v in raw})
        idx = np.linspace(0, p.n_levels - 1, min(k, p.n_levels))
        return sorted({p.from_index(i) for i in idx})

    k = 2
    while True:
        grid = {p.name: levels(p, k) for p in problem.space}
        size = math.prod(len(v) for v in grid.values())
        if size >= n_trials or k > n_trials:
            return grid
        k += 1


class TunelabAdapter(Adapter):
    library = "tunelab"
    conditional = "native (define-by-run)"

    def __init__(
        self,
        class_name: str,
        cheap: bool,
        kwargs: Mapping[str, Any] | None = None,
        suffix: str = "",
    ) -> None:
        self.class_name = class_name
        self.kwargs = dict(kwargs or {})
        self.name = "tunelab-" + class_name.removesuffix("Sampler").lower() + suffix
        self.cheap = cheap
        if class_name == "GridSampler":
            self.conditional = "flattened grid"

    def unavailable(self) -> str | None:
        reason = super().unavailable()
        if reason:
            return reason
        samplers = importlib.import_module("tunelab.samplers")
        if not hasattr(samplers, self.class_name):
            return f"tunelab.samplers has no {self.class_name} yet"
        return None

    def version(self) -> str:
        import tunelab

        return str(tunelab.__version__)

    def _sampler(self, problem: Problem, n_trials: int, seed: int) -> Any:
        import tunelab.samplers as samplers

        cls = getattr(samplers, self.class_name)
        if self.class_name == "GridSampler":
            return cls(_grid_values(problem, n_trials), seed=seed)
        return cls(seed=seed, **self.kwargs)

    def run(self, problem: Problem, evaluate: Evaluator, n_trials: int, seed: int) -> None:
        import tunelab as tl

        study = tl.create_study(
            direction="minimize", sampler=self._sampler(problem, n_trials, seed)
        )
        study.optimize(lambda t: evaluate(_define_by_run(t, problem)), n_trials=n_trials)


class OptunaAdapter(Adapter):
    library = "optuna"
    conditional = "native (define-by-run)"

    def __init__(self, name: str, factory: Callable[[int], Any], cheap: bool) -> None:
        self.name, self.factory, self.cheap = name, factory, cheap

    def unavailable(self) -> str | None:
        reason = super().unavailable()
        if reason is None and self.name == "optuna-gp":
            try:
                importlib.import_module("torch")
            except Exception as exc:
                return f"optuna GPSampler needs torch: {exc}"
        return reason

    def run(self, problem: Problem, evaluate: Evaluator, n_trials: int, seed: int) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ExperimentalWarning, fallback warnings
            study = optuna.create_study(direction="minimize", sampler=self.factory(seed))
            study.optimize(lambda t: evaluate(_define_by_run(t, problem)), n_trials=n_trials)


def _optuna(kind: str) -> Callable[[int], Any]:
    def make(seed: int) -> Any:
        import optuna.samplers as s

        if kind == "random":
            return s.RandomSampler(seed=seed)
        if kind == "tpe":  # the default; multivariate for one objective since Optuna 5
            return s.TPESampler(seed=seed)
        if kind == "tpe-uni":  # independent TPE (Optuna < 5's default)
            return s.TPESampler(seed=seed, multivariate=False)
        if kind == "tpe-mv":
            return s.TPESampler(seed=seed, multivariate=True, group=True)
        if kind == "gp":
            return s.GPSampler(seed=seed)
        if kind == "cmaes":
            return s.CmaEsSampler(seed=seed)
        raise ValueError(kind)

    return make


# --- Hyperopt (native conditionals via nested hp.choice) ----------------------------------


class HyperoptAdapter(Adapter):
    name = "hyperopt-tpe"
    library = "hyperopt"
    cheap = True
    conditional = "native (nested hp.choice)"

    def _space(self, problem: Problem) -> dict[str, Any]:
        from hyperopt import hp

        def children(parent: str, value: Any) -> list[Param]:
            return [
                q
                for q in problem.space
                if q.condition is not None
                and q.condition.parent == parent
                and value in q.condition.values
            ]

        def expr(p: Param, suffix: str) -> Any:
            label = p.name + suffix
            if isinstance(p, CategoricalParam):
                branches: list[Any] = []
                for c in p.choices:
                    kids = children(p.name, c)
                    if kids:
                        sub = f"{suffix}|{p.name}={c}"
                        branches.append({"__value__": c, **{q.name: expr(q, sub) for q in kids}})
                    else:
                        branches.append(c)
                return hp.choice(label, branches)
            if isinstance(p, FloatParam):
                if p.log:
                    return hp.loguniform(label, math.log(p.low), math.log(p.high))
                return hp.uniform(label, p.low, p.high)
            if p.log:
                return hp.qloguniform(label, math.log(p.low - 0.499), math.log(p.high + 0.499), 1)
            return hp.quniform(label, -0.499, p.n_levels - 0.501, 1)  # lattice index

        return {p.name: expr(p, "") for p in problem.space if p.condition is None}

    @staticmethod
    def _flatten(sample: Mapping[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        for key, value in sample.items():
            if isinstance(value, dict):
                out[key] = value["__value__"]
                HyperoptAdapter._flatten({k: v for k, v in value.items() if k != "__value__"}, out)
            else:
                out[key] = value
        return out

    def run(self, problem: Problem, evaluate: Evaluator, n_trials: int, seed: int) -> None:
        from hyperopt import STATUS_OK, Trials, fmin, tpe

        specs = {p.name: p for p in problem.space}

        def objective(sample: Mapping[str, Any]) -> dict[str, Any]:
            flat = self._flatten(sample, {})
            for name, value in flat.items():
                p = specs[name]
                if isinstance(p, IntParam) and not p.log:
                    flat[name] = p.from_index(value)
            return {"loss": evaluate(flat), "status": STATUS_OK}

        logging.getLogger("hyperopt").setLevel(logging.ERROR)
        fmin(
            objective,
            self._space(problem),
            algo=tpe.suggest,
            max_evals=n_trials,
            trials=Trials(),
            rstate=np.random.default_rng(seed),
            show_progressbar=False,
        )


# --- SMAC3 (native conditionals via ConfigSpace) -----------------------------------------


class SmacAdapter(Adapter):
    name = "smac-hpo"
    library = "smac"
    conditional = "native (ConfigSpace conditions)"

    def setup(self, problem: Problem, seed: int) -> None:
        import ConfigSpace  # noqa: F401
        from smac import HyperparameterOptimizationFacade  # noqa: F401

    def version(self) -> str:
        from importlib.metadata import version

        return version("smac")

    def run(self, problem: Problem, evaluate: Evaluator, n_trials: int, seed: int) -> None:
        from ConfigSpace import (
            Categorical,
            ConfigurationSpace,
            EqualsCondition,
            Float,
            InCondition,
            Integer,
        )
        from smac import HyperparameterOptimizationFacade, Scenario
        from smac.runhistory.dataclasses import TrialValue

        cs = ConfigurationSpace(seed=seed)
        specs = {p.name: p for p in problem.space}
        hps: dict[str, Any] = {}
        for p in problem.space:
            if isinstance(p, FloatParam):
                hps[p.name] = Float(p.name, (p.low, p.high), log=p.log)
            elif isinstance(p, IntParam):
                if p.log:
                    hps[p.name] = Integer(p.name, (p.low, p.high), log=True)
                else:  # lattice index: ConfigSpace has no step
                    hps[p.name] = Integer(p.name, (0, p.n_levels - 1))
            else:
                hps[p.name] = Categorical(p.name, list(p.choices))
        cs.add(list(hps.values()))
        for p in problem.space:
            if p.condition is not None:
                child, parent = hps[p.name], hps[p.condition.parent]
                values = list(p.condition.values)
                if len(values) == 1:
                    cs.add(EqualsCondition(child, parent, values[0]))
                else:
                    cs.add(InCondition(child, parent, values))

        def target(config: Any, seed: int = 0) -> float:  # never called: ask/tell
            raise RuntimeError

        with tempfile.TemporaryDirectory(prefix="smac-") as tmp:
            scenario = Scenario(
                cs,
                name=f"bench-{os.getpid()}-{seed}",
                deterministic=True,
                n_trials=n_trials,
                seed=seed,
                output_directory=Path(tmp),
            )
            smac = HyperparameterOptimizationFacade(
                scenario, target, overwrite=True, logging_level=40
            )
            for _ in range(n_trials):
                info = smac.ask()
                config = dict(info.config)  # active parameters only
                for name, value in config.items():
                    p = specs[name]
                    if isinstance(p, IntParam) and not p.log:
                        config[name] = p.from_index(value)
                smac.tell(info, TrialValue(cost=evaluate(config)))


# --- flattened: scikit-optimize, Nevergrad, bayes_opt ------------------------------------


def _decode_flat(problem: Problem, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Values of a flattened encoding (step ints as index) back to parameter values."""
    out: dict[str, Any] = {}
    for p in problem.space:
        value = raw[p.name]
        if isinstance(p, IntParam) and not p.log:
            out[p.name] = p.from_index(value)
        elif isinstance(p, IntParam):
            out[p.name] = p.clip(round(float(value)))
        elif isinstance(p, FloatParam):
            out[p.name] = p.clip(float(value))
        else:
            out[p.name] = value
    return out


class SkoptAdapter(Adapter):
    name = "skopt-gp"
    library = "skopt"

    def run(self, problem: Problem, evaluate: Evaluator, n_trials: int, seed: int) -> None:
        from skopt import Optimizer
        from skopt.space import Categorical, Integer, Real

        dims: list[Any] = []
        for p in problem.space:
            if isinstance(p, FloatParam):
                prior = "log-uniform" if p.log else "uniform"
                dims.append(Real(p.low, p.high, prior=prior, name=p.name))
            elif isinstance(p, IntParam) and p.log:
                dims.append(Integer(p.low, p.high, prior="log-uniform", name=p.name))
            elif isinstance(p, IntParam):
                dims.append(Integer(0, p.n_levels - 1, name=p.name))
            else:
                dims.append(Categorical(list(p.choices), name=p.name))
        # gp_minimize's defaults: GP, gp_hedge, 10 random initial points.
        opt = Optimizer(dims, base_estimator="GP", n_initial_points=10, random_state=seed)
        names = [p.name for p in problem.space]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(n_trials):
                x = opt.ask()
                value = evaluate(_decode_flat(problem, dict(zip(names, x, strict=True))))
                opt.tell(x, value)


def _one_element_float(x: Any) -> float:
    """``float(x)``, also for a one-element array of any shape."""
    return float(np.asarray(x).reshape(-1)[0]) if np.size(x) == 1 else float(x)


class NevergradAdapter(Adapter):
    name = "nevergrad-ngopt"
    library = "nevergrad"
    cheap = True

    def run(self, problem: Problem, evaluate: Evaluator, n_trials: int, seed: int) -> None:
        import nevergrad as ng
        from nevergrad.optimization import metamodel

        # nevergrad 1.0.12's metamodel (chosen by NGOpt e.g. for 2-d spaces at 200 trials)
        # converts a model's one-element prediction array with float(), which NumPy >= 2.4
        # refuses (nevergrad issue #1612: a DeprecationWarning in earlier NumPy). Give
        # that module a float() that accepts one-element arrays, as NumPy used to.
        metamodel.float = _one_element_float  # type: ignore[attr-defined]

        params: dict[str, Any] = {}
        for p in problem.space:
            if isinstance(p, FloatParam):
                params[p.name] = (
                    ng.p.Log(lower=p.low, upper=p.high)
                    if p.log
                    else ng.p.Scalar(lower=p.low, upper=p.high)
                )
            elif isinstance(p, IntParam) and p.log:
                params[p.name] = ng.p.Log(lower=p.low, upper=p.high).set_integer_casting()
            elif isinstance(p, IntParam):
                params[p.name] = ng.p.Scalar(lower=0, upper=p.n_levels - 1).set_integer_casting()
            else:
                params[p.name] = ng.p.Choice(list(p.choices))
        space = ng.p.Dict(**params)
        space.random_state = np.random.RandomState(seed)
        opt = ng.optimizers.NGOpt(parametrization=space, budget=n_trials, num_workers=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(n_trials):
                cand = opt.ask()
                opt.tell(cand, evaluate(_decode_flat(problem, cand.value)))


class BayesOptAdapter(Adapter):
    name = "bayes_opt-gp"
    library = "bayes_opt"
    conditional = "flattened (continuous relaxation)"
    INIT_POINTS = 5  # BayesianOptimization.maximize's default

    def run(self, problem: Problem, evaluate: Evaluator, n_trials: int, seed: int) -> None:
        import bayes_opt

        bounds: dict[str, tuple[float, float]] = {}
        for p in problem.space:
            if isinstance(p, FloatParam):
                bounds[p.name] = (math.log(p.low), math.log(p.high)) if p.log else (p.low, p.high)
            elif isinstance(p, IntParam) and p.log:
                bounds[p.name] = (math.log(p.low - 0.499), math.log(p.high + 0.499))
            elif isinstance(p, IntParam):
                bounds[p.name] = (-0.499, p.n_levels - 0.501)
            else:
                bounds[p.name] = (0.0, len(p.choices) - 1e-9)

        def decode(x: Mapping[str, float]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for p in problem.space:
                v = float(x[p.name])
                if isinstance(p, FloatParam):
                    out[p.name] = p.clip(math.exp(v) if p.log else v)
                elif isinstance(p, IntParam) and p.log:
                    out[p.name] = p.clip(round(math.exp(v)))
                elif isinstance(p, IntParam):
                    out[p.name] = p.from_index(v)
                else:
                    out[p.name] = p.choices[min(int(v), len(p.choices) - 1)]
            return out

        major = int(self.version().split(".")[0])
        if major >= 2:  # 2.x/3.x API: acquisition objects, suggest() without arguments
            from bayes_opt import acquisition

            opt = bayes_opt.BayesianOptimization(
                f=None,
                pbounds=bounds,
                random_state=seed,
                verbose=0,
                allow_duplicate_points=True,
                acquisition_function=acquisition.UpperConfidenceBound(kappa=2.576),
            )

            def suggest() -> dict[str, float]:
                return dict(opt.suggest())

        else:
            opt = bayes_opt.BayesianOptimization(
                f=None, pbounds=bounds, random_state=seed, verbose=0, allow_duplicate_points=True
            )
            utility = bayes_opt.UtilityFunction(kind="ucb", kappa=2.576, xi=0.0)

            def suggest() -> dict[str, float]:
                return dict(opt.suggest(utility))

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i in range(n_trials):
                if i < self.INIT_POINTS:
                    x = opt.space.array_to_params(opt.space.random_sample())
                else:
                    x = suggest()
                opt.register(params=x, target=-evaluate(decode(x)))


# --- HEBO, in its own virtualenv, over JSON lines ----------------------------------------


class HeboAdapter(Adapter):
    """HEBO pins numpy < 1.25, so it lives in ``benchmarks/.venv-hebo`` (see README).

    ``_hebo_worker.py`` runs there and speaks one JSON object per line on stdin/stdout
    (init / ask / tell / close); the objective runs here, in the benchmark process. The
    worker's start-up (interpreter, torch, HEBO imports) happens in :meth:`setup` and is
    not counted as HEBO's time per trial; the pipe round trips are.
    """

    name = "hebo"
    library = "hebo"

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.log: Any = None
        self._version: str | None = None

    def unavailable(self) -> str | None:
        if not HEBO_PYTHON.exists():
            return (
                f"{HEBO_PYTHON} missing: create it as benchmarks/quality/README.md "
                '"Installing the peers" says (wheels only, HEBO without its pins)'
            )
        return None

    def version(self) -> str:
        if self._version is None:
            out = subprocess.run(
                [
                    str(HEBO_PYTHON),
                    "-c",
                    "import importlib.metadata as m; print(m.version('HEBO'))",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            self._version = out.stdout.strip() or "?"
        return self._version

    def _call(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def _read(self) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout
        line = self.proc.stdout.readline()
        if not line:
            self.log.seek(0)
            tail = self.log.read()[-3000:]
            raise RuntimeError(f"HEBO worker died; its stderr ends with:\n{tail}")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"HEBO worker: {reply['error']}")
        return reply

    def setup(self, problem: Problem, seed: int) -> None:
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in teardown()
        self.proc = subprocess.Popen(
            [str(HEBO_PYTHON), str(HERE / "_hebo_worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            bufsize=1,
        )
        self._read()  # {"ready": true} once torch and HEBO are imported
        space: list[dict[str, Any]] = []
        for p in problem.space:
            if isinstance(p, FloatParam):
                space.append(
                    {"name": p.name, "type": "pow" if p.log else "num", "lb": p.low, "ub": p.high}
                )
            elif isinstance(p, IntParam) and p.log:
                space.append({"name": p.name, "type": "pow_int", "lb": p.low, "ub": p.high})
            elif isinstance(p, IntParam):
                space.append({"name": p.name, "type": "int", "lb": 0, "ub": p.n_levels - 1})
            else:  # categories by index (as strings), mapped back here
                space.append(
                    {
                        "name": p.name,
                        "type": "cat",
                        "categories": [str(i) for i in range(len(p.choices))],
                    }
                )
        self._call({"op": "init", "space": space, "seed": seed})

    def run(self, problem: Problem, evaluate: Evaluator, n_trials: int, seed: int) -> None:
        for _ in range(n_trials):
            raw = self._call({"op": "ask"})["params"]
            for p in problem.space:
                if isinstance(p, CategoricalParam):
                    raw[p.name] = p.choices[int(raw[p.name])]
            self._call({"op": "tell", "value": evaluate(_decode_flat(problem, raw))})

    def teardown(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(Exception):
                self._call({"op": "close"})
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None
        if self.log is not None:
            self.log.close()
            self.log = None


# --- the registry -------------------------------------------------------------------------

# tunelab samplers looked up by name: (class name, cheap enough for --quick); every one
# runs with its defaults and ``seed``. Variants: (class name, cheap, kwargs, name suffix).
TUNELAB_SAMPLERS = (
    ("RandomSampler", True),
    ("QMCSampler", True),
    ("GridSampler", True),
    ("TPESampler", True),
    ("CmaEsSampler", True),
    ("GPSampler", False),
    ("AutoSampler", False),
)
TUNELAB_VARIANTS: tuple[tuple[str, bool, dict[str, Any], str], ...] = (
    ("TPESampler", True, {"multivariate": False}, "-uni"),
)


def _other_tunelab_samplers() -> list[str]:
    """Samplers exported by tunelab.samplers that the list above does not name."""
    try:
        samplers = importlib.import_module("tunelab.samplers")
    except Exception:
        return []
    known = {name for name, _ in TUNELAB_SAMPLERS} | {"BaseSampler"}
    out = []
    for name in getattr(samplers, "__all__", []):
        obj = getattr(samplers, name, None)
        if (
            name.endswith("Sampler")
            and name not in known
            and isinstance(obj, type)
            and issubclass(obj, samplers.BaseSampler)
        ):
            out.append(name)
    return out


def all_adapters() -> list[Adapter]:
    """Every adapter, available here or not (see :meth:`Adapter.unavailable`)."""
    adapters: list[Adapter] = [TunelabAdapter(n, cheap) for n, cheap in TUNELAB_SAMPLERS]
    adapters += [TunelabAdapter(*variant) for variant in TUNELAB_VARIANTS]
    adapters += [TunelabAdapter(n, False) for n in _other_tunelab_samplers()]
    adapters += [
        OptunaAdapter("optuna-random", _optuna("random"), cheap=True),
        OptunaAdapter("optuna-tpe", _optuna("tpe"), cheap=True),
        OptunaAdapter("optuna-tpe-uni", _optuna("tpe-uni"), cheap=True),
        OptunaAdapter("optuna-tpe-mv", _optuna("tpe-mv"), cheap=True),
        OptunaAdapter("optuna-cmaes", _optuna("cmaes"), cheap=True),
        OptunaAdapter("optuna-gp", _optuna("gp"), cheap=False),
        HyperoptAdapter(),
        SkoptAdapter(),
        BayesOptAdapter(),
        SmacAdapter(),
        NevergradAdapter(),
        HeboAdapter(),
    ]
    return adapters


ADAPTERS: dict[str, Adapter] = {a.name: a for a in all_adapters()}


def unavailable_notes(names: list[str] | None = None) -> dict[str, str]:
    """{adapter name: why it is skipped} for the adapters that cannot run here."""
    notes = {}
    for name, adapter in ADAPTERS.items():
        if names is not None and name not in names:
            continue
        reason = adapter.unavailable()
        if reason:
            notes[name] = reason
    return notes


if __name__ == "__main__":  # python benchmarks/quality/_adapters.py: what is available
    for name, adapter in ADAPTERS.items():
        why = adapter.unavailable()
        print(f"{name:<18} {'-' if why else adapter.version():<10} {why or ''}")
    sys.exit(0)
