"""Hypothesis strategies for distributions, search spaces and the values they contain.

Every generated distribution is valid by construction: bounds stay within ``±1e6``, log
lower bounds within ``[1e-6, 1e3]``, and steps are chosen so that they divide the range.
Single-valued distributions (``low == high``, one choice) are generated too.

Example:
    >>> from hypothesis import given
    >>> from tunelab.distributions import distribution_from_json
    >>> from tunelab.testing.strategies import distributions
    >>> @given(distributions())
    ... def test_json_round_trip(dist):
    ...     assert distribution_from_json(dist.to_json()) == dist
    >>> test_json_round_trip()
"""

from __future__ import annotations

from hypothesis import strategies as st

from tunelab._typing import CategoricalChoice, ParamValue
from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

__all__ = [
    "categorical_distributions",
    "distributions",
    "float_distributions",
    "int_distributions",
    "search_spaces",
    "values_in",
]

_BOUND = 1e6
_INT_BOUND = 10**6
_LOG_LOW_MIN = 1e-6
_LOG_LOW_MAX = 1e3
_MAX_STEPS = 100


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(
        min_value=low,
        max_value=high,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
    )


@st.composite
def _float_distribution(draw: st.DrawFn) -> FloatDistribution:
    kind = draw(st.sampled_from(["uniform", "log", "step"]))
    single = draw(st.integers(0, 7)) == 0
    if kind == "uniform":
        low = draw(_floats(-_BOUND, _BOUND))
        high = low if single else draw(_floats(low, _BOUND))
        return FloatDistribution(low, high)
    if kind == "log":
        low = draw(_floats(_LOG_LOW_MIN, _LOG_LOW_MAX))
        high = low if single else draw(_floats(low, _BOUND))
        return FloatDistribution(low, high, log=True)
    # Narrower bounds keep float noise in ``high - low`` far below the divisibility tolerance.
    low = draw(_floats(-1e4, 1e4))
    step = draw(_floats(1e-2, 1e2))
    count = 0 if single else draw(st.integers(1, _MAX_STEPS))
    return FloatDistribution(low, low + count * step, step=step)


@st.composite
def _int_distribution(draw: st.DrawFn) -> IntDistribution:
    kind = draw(st.sampled_from(["uniform", "log", "step"]))
    single = draw(st.integers(0, 7)) == 0
    if kind == "uniform":
        low = draw(st.integers(-_INT_BOUND, _INT_BOUND))
        high = low if single else draw(st.integers(low, min(low + 1000, _INT_BOUND)))
        return IntDistribution(low, high)
    if kind == "log":
        low = draw(st.integers(1, 1000))
        high = low if single else draw(st.integers(low, _INT_BOUND))
        return IntDistribution(low, high, log=True)
    low = draw(st.integers(-100_000, 100_000))
    step = draw(st.integers(1, 1000))
    count = 0 if single else draw(st.integers(1, _MAX_STEPS))
    return IntDistribution(low, low + count * step, step=step)


def _choice_key(value: CategoricalChoice) -> tuple[str, CategoricalChoice]:
    return (type(value).__name__, value)


def _choices() -> st.SearchStrategy[CategoricalChoice]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-_INT_BOUND, _INT_BOUND),
        _floats(-_BOUND, _BOUND),
        st.text(max_size=10),
    )


def float_distributions() -> st.SearchStrategy[FloatDistribution]:
    """Valid :class:`FloatDistribution` values: uniform, log-scaled and stepped.

    Returns:
        A strategy of float distributions, some of them single-valued.
    """
    return _float_distribution()


def int_distributions() -> st.SearchStrategy[IntDistribution]:
    """Valid :class:`IntDistribution` values: uniform, log-scaled and stepped.

    Returns:
        A strategy of int distributions, some of them single-valued.
    """
    return _int_distribution()


def categorical_distributions(max_choices: int = 8) -> st.SearchStrategy[CategoricalDistribution]:
    """Valid :class:`CategoricalDistribution` values with mixed choice types.

    Choices are distinct by type and value, so ``True``, ``1`` and ``1.0`` may appear
    side by side.

    Args:
        max_choices: The largest number of choices.

    Returns:
        A strategy of categorical distributions with 1 to ``max_choices`` choices.
    """
    return st.lists(_choices(), min_size=1, max_size=max_choices, unique_by=_choice_key).map(
        lambda choices: CategoricalDistribution(tuple(choices))
    )


def distributions() -> st.SearchStrategy[BaseDistribution]:
    """Any valid distribution: float, int or categorical.

    Returns:
        A strategy drawing from the three distribution strategies.
    """
    return st.one_of(float_distributions(), int_distributions(), categorical_distributions())


def search_spaces(
    max_size: int = 5, *, min_size: int = 0
) -> st.SearchStrategy[dict[str, BaseDistribution]]:
    """Search spaces: dicts from parameter name to distribution.

    Args:
        max_size: The largest number of parameters.
        min_size: The smallest number of parameters.

    Returns:
        A strategy of ``{name: distribution}`` dicts.
    """
    names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
    return st.dictionaries(names, distributions(), min_size=min_size, max_size=max_size)


def values_in(dist: BaseDistribution) -> st.SearchStrategy[ParamValue]:
    """External values contained in ``dist`` (``dist.contains(dist.to_internal(v))``).

    Args:
        dist: A float, int or categorical distribution.

    Returns:
        A strategy of values of the distribution's external type.

    Raises:
        TypeError: ``dist`` is of an unsupported distribution type.
    """
    if isinstance(dist, CategoricalDistribution):
        return st.sampled_from(dist.choices)
    if isinstance(dist, IntDistribution):
        count = (dist.high - dist.low) // dist.step + 1
        low, step = dist.low, dist.step
        return st.integers(0, count - 1).map(lambda k: low + k * step)
    if isinstance(dist, FloatDistribution):
        if dist.step is None:
            return _floats(dist.low, dist.high)
        count = round((dist.high - dist.low) / dist.step) + 1
        flow, fstep, fhigh = dist.low, dist.step, dist.high
        return st.integers(0, count - 1).map(lambda k: min(flow + k * fstep, fhigh))
    raise TypeError(f"values_in does not support {type(dist).__name__}")
