"""Hypothesis helpers for the sampler tests.

General distributions and search spaces come from :mod:`tunelab.testing.strategies`;
this module adds stepped floats written the way users write them (``0.1, 0.3,
step=0.1``), the distributions a grid can enumerate, and helpers to suggest and check.
"""

from __future__ import annotations

from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tunelab.testing.strategies import categorical_distributions


@st.composite
def stepped_float_distributions(draw: st.DrawFn, *, max_steps: int = 50) -> FloatDistribution:
    """Stepped floats whose bounds are short decimals (``-12.5, 3.75, step=0.25``)."""
    n = draw(st.integers(0, max_steps))
    scale = 10.0 ** draw(st.integers(0, 3))
    low_units = draw(st.integers(-10_000, 10_000))
    step_units = draw(st.integers(1, 1000))
    low, step = low_units / scale, step_units / scale
    high = (low_units + n * step_units) / scale
    try:
        return FloatDistribution(low, high, step=step)
    except ValueError:
        assume(False)
        raise AssertionError("unreachable") from None


@st.composite
def _small_int_distributions(draw: st.DrawFn) -> IntDistribution:
    low = draw(st.integers(-1000, 1000))
    step = draw(st.integers(1, 10))
    return IntDistribution(low, low + draw(st.integers(0, 20)) * step, step=step)


def enumerable_distributions() -> st.SearchStrategy[BaseDistribution]:
    """Small distributions a GridSampler accepts: linear int, stepped float, categorical."""
    return st.one_of(
        _small_int_distributions(),
        stepped_float_distributions(max_steps=20),
        categorical_distributions(max_choices=6),
    )


def suggest(trial: Any, name: str, dist: BaseDistribution) -> Any:
    """Call the ``suggest_*`` method of ``trial`` that matches ``dist``."""
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    assert isinstance(dist, CategoricalDistribution)
    return trial.suggest_categorical(name, list(dist.choices))


def suggest_all(space: dict[str, BaseDistribution]) -> Any:
    """An objective that suggests every parameter of ``space`` and returns 0."""

    def objective(trial: Any) -> float:
        for name, dist in space.items():
            suggest(trial, name, dist)
        return 0.0

    return objective


def _choice_key(value: object) -> tuple[str, object]:
    return (type(value).__name__, value)


def assert_inside(value: Any, dist: BaseDistribution) -> None:
    """``value`` is a valid external value of ``dist``, of the right Python type."""
    if isinstance(dist, FloatDistribution):
        assert type(value) is float
    elif isinstance(dist, IntDistribution):
        assert type(value) is int
    else:
        assert any(_choice_key(value) == _choice_key(c) for c in dist.choices)
    assert dist.contains(dist.to_internal(value)), (value, dist)
