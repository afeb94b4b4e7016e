"""Distributions: validation, internal/external conversion, JSON round trips."""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_from_json,
)
from tunelab.testing.strategies import (
    categorical_distributions,
    distributions,
    float_distributions,
    int_distributions,
    values_in,
)

FAST = settings(max_examples=60, deadline=None)


@st.composite
def dist_and_value(draw: st.DrawFn) -> tuple[BaseDistribution, Any]:
    dist = draw(distributions())
    return dist, draw(values_in(dist))


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same type (so True, 1 and 1.0 stay apart)."""
    return type(a) is type(b) and a == b


# --- properties -------------------------------------------------------------------------


@FAST
@given(dist_and_value())
def test_values_of_a_distribution_are_contained_after_to_internal(
    case: tuple[BaseDistribution, Any],
) -> None:
    dist, value = case
    internal = dist.to_internal(value)
    assert isinstance(internal, float)
    assert dist.contains(internal)


@FAST
@given(dist_and_value())
def test_to_external_inverts_to_internal(case: tuple[BaseDistribution, Any]) -> None:
    dist, value = case
    back = dist.to_external(dist.to_internal(value))
    assert _same(back, value)


@FAST
@given(distributions())
def test_json_round_trip(dist: BaseDistribution) -> None:
    assert distribution_from_json(dist.to_json()) == dist


@FAST
@given(distributions())
def test_json_round_trip_through_text(dist: BaseDistribution) -> None:
    text = json.dumps(dist.to_json())
    rebuilt = distribution_from_json(json.loads(text))
    assert rebuilt == dist
    assert type(rebuilt) is type(dist)


@FAST
@given(categorical_distributions())
def test_json_round_trip_keeps_choice_types(dist: CategoricalDistribution) -> None:
    rebuilt = distribution_from_json(json.loads(json.dumps(dist.to_json())))
    assert isinstance(rebuilt, CategoricalDistribution)
    assert [type(c) for c in rebuilt.choices] == [type(c) for c in dist.choices]


@FAST
@given(float_distributions())
def test_float_bounds_are_contained_and_outside_is_not(dist: FloatDistribution) -> None:
    assert dist.contains(dist.low)
    assert dist.contains(dist.high)
    assert not dist.contains(math.nextafter(dist.low, -math.inf))
    assert not dist.contains(math.nextafter(dist.high, math.inf))


@FAST
@given(int_distributions())
def test_int_bounds_are_contained_and_neighbours_are_not(dist: IntDistribution) -> None:
    assert dist.contains(float(dist.low))
    assert dist.contains(float(dist.high))
    assert not dist.contains(float(dist.low - 1))
    assert not dist.contains(float(dist.high + 1))
    assert not dist.contains(dist.low + 0.5)
    if dist.step > 1:
        assert not dist.contains(float(dist.low + 1))


@FAST
@given(categorical_distributions())
def test_categorical_contains_exactly_the_indices(dist: CategoricalDistribution) -> None:
    n = len(dist.choices)
    for i in range(n):
        assert dist.contains(float(i))
        assert _same(dist.to_external(float(i)), dist.choices[i])
    assert not dist.contains(-1.0)
    assert not dist.contains(float(n))
    assert not dist.contains(0.5)


@FAST
@given(distributions())
def test_is_single(dist: BaseDistribution) -> None:
    if isinstance(dist, CategoricalDistribution):
        expected = len(dist.choices) == 1
    else:
        assert isinstance(dist, (FloatDistribution, IntDistribution))
        expected = dist.low == dist.high
    assert dist.is_single() is expected


@pytest.mark.parametrize(
    "dist",
    [
        FloatDistribution(0.0, 1.0),
        FloatDistribution(1e-3, 1.0, log=True),
        FloatDistribution(0.0, 1.0, step=0.25),
        IntDistribution(0, 10),
        IntDistribution(1, 100, log=True),
        CategoricalDistribution(["a", None, 2]),
    ],
)
def test_contains_nan_and_infinities_is_false(dist: BaseDistribution) -> None:
    assert dist.contains(math.nan) is False
    assert dist.contains(math.inf) is False
    assert dist.contains(-math.inf) is False


# --- examples ---------------------------------------------------------------------------


def test_is_single_examples() -> None:
    assert FloatDistribution(2.5, 2.5).is_single()
    assert not FloatDistribution(2.5, 2.6).is_single()
    assert IntDistribution(3, 3).is_single()
    assert not IntDistribution(3, 5, step=2).is_single()
    assert CategoricalDistribution(["only"]).is_single()
    assert not CategoricalDistribution([True, 1]).is_single()


def test_float_stepped_contains_only_lattice_points() -> None:
    d = FloatDistribution(0.0, 1.0, step=0.1)
    for k in range(11):
        assert d.contains(k * 0.1)
    assert d.contains(0.3)  # 3 * 0.1 != 0.3 in binary; the tolerance accepts both
    assert not d.contains(0.15)
    assert not d.contains(1.1)


def test_int_stepped_contains_only_lattice_points() -> None:
    d = IntDistribution(16, 256, step=16)
    assert d.contains(48.0)
    assert not d.contains(50.0)
    assert not d.contains(272.0)


def test_bounds_are_normalised_to_plain_numbers() -> None:
    f = FloatDistribution(0, 2, step=1)
    assert type(f.low) is float and type(f.high) is float and type(f.step) is float
    i = IntDistribution(np.int64(1), np.int32(5))
    assert type(i.low) is int and type(i.high) is int
    g = FloatDistribution(Fraction(1, 2), np.float32(2.0))
    assert (g.low, g.high) == (0.5, 2.0)
    assert type(g.low) is float


def test_int_to_internal_and_back() -> None:
    d = IntDistribution(-5, 5)
    assert d.to_internal(-3) == -3.0
    assert d.to_external(-3.0) == -3
    assert type(d.to_external(2.0)) is int


def test_to_internal_rejects_values_of_the_wrong_type() -> None:
    with pytest.raises(ValueError, match="value"):
        FloatDistribution(0.0, 1.0).to_internal("0.5")
    with pytest.raises(ValueError, match="value"):
        IntDistribution(0, 10).to_internal(2.5)
    with pytest.raises(ValueError, match="value"):
        IntDistribution(0, 10).to_internal(True)
    with pytest.raises(ValueError, match="value"):
        CategoricalDistribution(["a", "b"]).to_internal("c")


def test_true_one_and_one_point_zero_are_distinct_choices() -> None:
    d = CategoricalDistribution([True, 1, 1.0])
    assert len(d.choices) == 3
    assert d.to_internal(True) == 0.0
    assert d.to_internal(1) == 1.0
    assert d.to_internal(1.0) == 2.0
    assert [type(d.to_external(float(i))) for i in range(3)] == [bool, int, float]


def test_categorical_without_the_other_type_does_not_confuse_them() -> None:
    assert CategoricalDistribution([1, 2]).to_internal(1) == 0.0
    with pytest.raises(ValueError):
        CategoricalDistribution([1, 2]).to_internal(True)
    with pytest.raises(ValueError):
        CategoricalDistribution([True, False]).to_internal(1)
    with pytest.raises(ValueError):
        CategoricalDistribution([0, 1]).to_internal(0.0)


def test_categorical_accepts_tuple_and_list_alike() -> None:
    assert CategoricalDistribution(("a", "b")) == CategoricalDistribution(["a", "b"])
    assert CategoricalDistribution(["a", "b"]).choices == ("a", "b")


def test_categorical_normalises_numpy_choices() -> None:
    d = CategoricalDistribution([np.int64(3), np.float64(0.5)])
    assert [type(c) for c in d.choices] == [int, float]
    assert d.choices == (3, 0.5)


def test_json_examples() -> None:
    assert FloatDistribution(1e-5, 1e-1, log=True).to_json() == {
        "type": "float",
        "low": 1e-5,
        "high": 1e-1,
        "log": True,
        "step": None,
    }
    assert IntDistribution(1, 9, step=2).to_json() == {
        "type": "int",
        "low": 1,
        "high": 9,
        "log": False,
        "step": 2,
    }
    assert CategoricalDistribution([None, True, "x"]).to_json() == {
        "type": "categorical",
        "choices": [None, True, "x"],
    }


def test_json_defaults_for_optional_keys() -> None:
    assert distribution_from_json({"type": "float", "low": 0, "high": 1}) == FloatDistribution(
        0.0, 1.0
    )
    assert distribution_from_json({"type": "int", "low": 0, "high": 4}) == IntDistribution(0, 4)


# --- invalid arguments ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "name"),
    [
        # low > high
        (lambda: FloatDistribution(1.0, 0.0), "low"),
        (lambda: IntDistribution(5, 4), "low"),
        # log with a non-positive low
        (lambda: FloatDistribution(0.0, 1.0, log=True), "low"),
        (lambda: FloatDistribution(-1.0, 1.0, log=True), "low"),
        (lambda: IntDistribution(0, 10, log=True), "low"),
        (lambda: IntDistribution(-3, 10, log=True), "low"),
        # log combined with step
        (lambda: FloatDistribution(1.0, 2.0, log=True, step=0.5), "step"),
        (lambda: IntDistribution(1, 9, log=True, step=2), "step"),
        # non-positive steps
        (lambda: FloatDistribution(0.0, 1.0, step=0.0), "step"),
        (lambda: FloatDistribution(0.0, 1.0, step=-0.5), "step"),
        (lambda: IntDistribution(0, 10, step=0), "step"),
        (lambda: IntDistribution(0, 10, step=-2), "step"),
        # non-finite bounds
        (lambda: FloatDistribution(-math.inf, 1.0), "low"),
        (lambda: FloatDistribution(0.0, math.inf), "high"),
        (lambda: FloatDistribution(math.nan, 1.0), "low"),
        (lambda: FloatDistribution(0.0, math.nan), "high"),
        (lambda: FloatDistribution(0.0, 1.0, step=math.inf), "step"),
        (lambda: FloatDistribution(0.0, 1.0, step=math.nan), "step"),
        # bool / str bounds
        (lambda: FloatDistribution(False, 1.0), "low"),
        (lambda: FloatDistribution(0.0, True), "high"),
        (lambda: FloatDistribution("0", 1.0), "low"),
        (lambda: FloatDistribution(0.0, "1"), "high"),
        (lambda: IntDistribution(True, 3), "low"),
        (lambda: IntDistribution(0, "3"), "high"),
        (lambda: FloatDistribution(0.0, 1.0, step=True), "step"),
        (lambda: IntDistribution(0, 4, step=True), "step"),
        # non-integer int bounds and steps
        (lambda: IntDistribution(0.5, 3), "low"),
        (lambda: IntDistribution(0, 3.0), "high"),
        (lambda: IntDistribution(0, 4, step=2.0), "step"),
        # log must be a bool
        (lambda: FloatDistribution(1.0, 2.0, log=1), "log"),
        (lambda: IntDistribution(1, 2, log="yes"), "log"),
    ],
)
def test_invalid_argument_raises_value_error_naming_it(factory: Any, name: str) -> None:
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        factory()


def test_low_greater_than_high_names_both_bounds() -> None:
    with pytest.raises(ValueError, match=r"low=2\.0.*high=1\.0"):
        FloatDistribution(2.0, 1.0)
    with pytest.raises(ValueError, match=r"low=7.*high=3"):
        IntDistribution(7, 3)


def test_log_needs_positive_low_message() -> None:
    with pytest.raises(ValueError, match=r"low > 0.*low=0\.0"):
        FloatDistribution(0.0, 1.0, log=True)
    with pytest.raises(ValueError, match=r"low >= 1.*low=0"):
        IntDistribution(0, 10, log=True)


def test_int_log_allows_low_one() -> None:
    assert IntDistribution(1, 10, log=True).low == 1


def test_float_step_that_does_not_divide_names_reachable_and_suggestions() -> None:
    with pytest.raises(ValueError) as info:
        FloatDistribution(0.0, 1.0, step=0.3)
    message = str(info.value)
    assert "step=0.3" in message
    assert "largest reachable value is 0.9" in message
    assert "high=0.9" in message
    assert "high=1.2" in message


def test_float_step_message_uses_low_offset() -> None:
    with pytest.raises(ValueError) as info:
        FloatDistribution(1.0, 2.0, step=0.4)
    message = str(info.value)
    assert "largest reachable value is 1.8" in message
    assert "high=1.8" in message
    assert "high=2.2" in message


def test_int_step_that_does_not_divide_names_reachable_and_suggestions() -> None:
    with pytest.raises(ValueError) as info:
        IntDistribution(16, 250, step=16)
    message = str(info.value)
    assert "step=16" in message
    assert "largest reachable value is 240" in message
    assert "high=240" in message
    assert "high=256" in message


def test_int_step_message_with_negative_low() -> None:
    with pytest.raises(ValueError) as info:
        IntDistribution(-10, 0, step=3)
    message = str(info.value)
    assert "largest reachable value is -1" in message
    assert "high=-1" in message
    assert "high=2" in message


def test_float_step_dividing_up_to_float_noise_is_accepted() -> None:
    d = FloatDistribution(0.0, 0.3, step=0.1)
    assert d.contains(0.2)
    assert d.step == 0.1


@st.composite
def _non_dividing_int(draw: st.DrawFn) -> tuple[int, int, int]:
    low = draw(st.integers(-1000, 1000))
    step = draw(st.integers(2, 50))
    count = draw(st.integers(0, 30))
    offset = draw(st.integers(1, step - 1))
    return low, low + count * step + offset, step


@FAST
@given(_non_dividing_int())
def test_int_non_dividing_step_always_suggests_neighbouring_highs(
    case: tuple[int, int, int],
) -> None:
    low, high, step = case
    reachable = low + (high - low) // step * step
    with pytest.raises(ValueError) as info:
        IntDistribution(low, high, step=step)
    message = str(info.value)
    assert f"largest reachable value is {reachable}" in message
    assert f"high={reachable}" in message
    assert f"high={reachable + step}" in message
    # Both suggestions are valid.
    assert IntDistribution(low, reachable, step=step).high == reachable
    assert IntDistribution(low, reachable + step, step=step).high == reachable + step


@st.composite
def _non_dividing_float(draw: st.DrawFn) -> tuple[float, float, float, int]:
    low = draw(st.integers(-1000, 1000)) / 8
    step = draw(st.integers(1, 400)) / 16
    count = draw(st.integers(0, 30))
    fraction = draw(st.sampled_from([0.125, 0.25, 0.5, 0.75, 0.875]))
    return low, low + (count + fraction) * step, step, count


_SUGGESTION = re.compile(
    r"largest reachable value is (?P<reach>\S+): use high=(?P<a>\S+) or high=(?P<b>\S+)$"
)


@FAST
@given(_non_dividing_float())
def test_float_non_dividing_step_suggests_valid_neighbouring_highs(
    case: tuple[float, float, float, int],
) -> None:
    low, high, step, count = case
    with pytest.raises(ValueError) as info:
        FloatDistribution(low, high, step=step)
    message = str(info.value)
    assert f"step={step!r}" in message
    match = _SUGGESTION.search(message)
    assert match is not None, message
    reach, below, above = (float(match[k]) for k in ("reach", "a", "b"))
    assert reach == below == low + count * step
    assert above == low + (count + 1) * step
    assert FloatDistribution(low, below, step=step).high == below
    assert FloatDistribution(low, above, step=step).high == above


@pytest.mark.parametrize(
    ("choices", "pattern"),
    [
        ([], r"choices must not be empty"),
        ((), r"choices must not be empty"),
        ([[1, 2]], r"choices\[0\]"),
        (["a", {"k": 1}], r"choices\[1\]"),
        ([{1, 2}], r"choices\[0\]"),
        ([b"bytes"], r"choices\[0\]"),
        ([object()], r"choices\[0\]"),
        (["a", "b", "a"], r"choices.*'a'.*more than once"),
        ([1, 2, 1], r"choices.*1.*more than once"),
        ([0.0, -0.0], r"choices.*more than once"),
        ([None, None], r"choices.*None.*more than once"),
        ([1.0, math.nan], r"choices\[1\].*NaN"),
        ("abc", r"choices='abc'"),
        (b"abc", r"choices="),
        ({"a": 1}, r"choices="),
        (42, r"choices=42"),
        ({"a", "b"}, r"choices="),
    ],
)
def test_invalid_choices(choices: Any, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        CategoricalDistribution(choices)


def test_unsupported_choice_type_message_names_the_type() -> None:
    with pytest.raises(ValueError, match=r"choices\[0\]=\[1\] has type list"):
        CategoricalDistribution([[1]])


def test_distribution_from_json_unknown_type() -> None:
    with pytest.raises(ValueError, match=r"type='uniform'"):
        distribution_from_json({"type": "uniform", "low": 0, "high": 1})


def test_distribution_from_json_without_type() -> None:
    with pytest.raises(ValueError, match=r"type=None"):
        distribution_from_json({"low": 0, "high": 1})


@pytest.mark.parametrize(
    ("data", "missing"),
    [
        ({"type": "float", "high": 1.0}, "low"),
        ({"type": "float", "low": 0.0}, "high"),
        ({"type": "int", "high": 3}, "low"),
        ({"type": "int", "low": 0}, "high"),
        ({"type": "categorical"}, "choices"),
    ],
)
def test_distribution_from_json_missing_key(data: dict[str, Any], missing: str) -> None:
    with pytest.raises(ValueError, match=rf"lacks the key '{missing}'"):
        distribution_from_json(data)


def test_distribution_from_json_validates_values() -> None:
    with pytest.raises(ValueError, match="low"):
        distribution_from_json({"type": "float", "low": 2.0, "high": 1.0})
    with pytest.raises(ValueError, match="choices"):
        distribution_from_json({"type": "categorical", "choices": []})


def test_distribution_from_json_rejects_string_choices() -> None:
    # The constructor refuses a bare string; JSON must not sneak one in as its characters.
    with pytest.raises(ValueError, match="choices"):
        distribution_from_json({"type": "categorical", "choices": "ab"})


def test_distributions_are_frozen() -> None:
    d = FloatDistribution(0.0, 1.0)
    with pytest.raises(AttributeError):
        d.low = 0.5  # type: ignore[misc]
    c = CategoricalDistribution(["a"])
    assert isinstance(c.choices, tuple)
    assert hash(c) == hash(CategoricalDistribution(("a",)))
