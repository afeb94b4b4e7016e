"""The unit-cube codec: containment, scalar/vector agreement, round trips and bin widths."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tunelab._encoding import (
    SearchSpaceEncoder,
    internal_to_unit,
    unit_to_internal,
    unit_to_internal_scalar,
)
from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tunelab.testing.strategies import (
    categorical_distributions,
    distributions,
    float_distributions,
    int_distributions,
    search_spaces,
    values_in,
)

FAST = settings(max_examples=60, deadline=None)

units = st.floats(0.0, 1.0, allow_nan=False)
CATEGORICAL_MODES = ["index", "onehot"]


def lattice_distributions() -> st.SearchStrategy[BaseDistribution]:
    """Distributions with finitely many, equally weighted values."""
    return st.one_of(
        int_distributions().filter(lambda d: not d.log),
        float_distributions().filter(lambda d: d.step is not None),
        categorical_distributions(),
    )


def _size_low_step(dist: BaseDistribution) -> tuple[int, float, float]:
    if isinstance(dist, CategoricalDistribution):
        return len(dist.choices), 0.0, 1.0
    if isinstance(dist, IntDistribution):
        return (dist.high - dist.low) // dist.step + 1, float(dist.low), float(dist.step)
    assert isinstance(dist, FloatDistribution)
    assert dist.step is not None
    return round((dist.high - dist.low) / dist.step) + 1, dist.low, dist.step


def _same_param(dist: BaseDistribution, got: Any, want: Any) -> bool:
    if type(got) is not type(want):
        return False
    if isinstance(dist, FloatDistribution) and dist.step is None:
        scale = max(dist.high - dist.low, abs(dist.low), abs(dist.high))
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12 * scale)
    return bool(got == want)


@st.composite
def space_and_params(
    draw: st.DrawFn,
) -> tuple[dict[str, BaseDistribution], dict[str, Any]]:
    space = draw(search_spaces(max_size=5))
    params = {name: draw(values_in(dist)) for name, dist in space.items()}
    return space, params


# --- unit_to_internal -------------------------------------------------------------------


@FAST
@given(distributions(), st.lists(units, min_size=1, max_size=20))
def test_every_decoded_value_is_contained(dist: BaseDistribution, us: list[float]) -> None:
    u = np.array([0.0, 1.0, *us])
    internal = unit_to_internal(dist, u)
    assert internal.shape == u.shape
    assert internal.dtype == np.float64
    for x in internal:
        assert dist.contains(float(x)), (dist, float(x))
    for value in (0.0, 1.0, *us):
        assert dist.contains(unit_to_internal_scalar(dist, value))


def _agree(dist: BaseDistribution, a: float, b: float) -> bool:
    """Exact, except that log floats may differ by exp()'s last-digit rounding."""
    if isinstance(dist, FloatDistribution) and dist.log:
        return math.isclose(a, b, rel_tol=1e-12)
    return a == b


@FAST
@given(distributions(), st.lists(units, min_size=1, max_size=20))
@example(FloatDistribution(2.0, 113644.0, log=True), [0.5])
def test_scalar_and_vectorised_decoding_agree(dist: BaseDistribution, us: list[float]) -> None:
    u = [0.0, 1.0, 0.5, math.nextafter(1.0, 0.0), 5e-324, *us]
    vector = unit_to_internal(dist, np.array(u))
    for value, expected in zip(u, vector, strict=True):
        scalar = unit_to_internal_scalar(dist, value)
        assert type(scalar) is float
        assert _agree(dist, scalar, float(expected)), (dist, value, scalar, float(expected))


@pytest.mark.parametrize(
    "dist",
    [
        FloatDistribution(-3.0, 7.0),
        FloatDistribution(1e-5, 10.0, log=True),
        FloatDistribution(1e-3, 1e6, log=True),
        FloatDistribution(0.1, 0.9, step=0.1),
        IntDistribution(-5, 17),
        IntDistribution(1, 1000, log=True),
        IntDistribution(3, 4, log=True),
        IntDistribution(0, 100, step=5),
        CategoricalDistribution(["a", "b", "c"]),
    ],
    ids=repr,
)
def test_scalar_and_vectorised_agree_on_a_fine_grid(dist: BaseDistribution) -> None:
    u = np.linspace(0.0, 1.0, 20_001)
    vector = unit_to_internal(dist, u)
    scalar = np.array([unit_to_internal_scalar(dist, float(x)) for x in u])
    mismatches = [i for i in range(u.size) if not _agree(dist, vector[i], scalar[i])]
    mismatches = np.array(mismatches, dtype=int)
    assert mismatches.size == 0, [(u[i], vector[i], scalar[i]) for i in mismatches[:5]]


@FAST
@given(distributions(), st.floats(-10.0, 10.0, allow_nan=False))
def test_out_of_range_u_is_clipped(dist: BaseDistribution, u: float) -> None:
    clipped = min(max(u, 0.0), 1.0)
    assert unit_to_internal_scalar(dist, u) == unit_to_internal_scalar(dist, clipped)
    assert (
        unit_to_internal(dist, np.array([u]))[0] == unit_to_internal(dist, np.array([clipped]))[0]
    )


def test_unit_to_internal_keeps_the_shape() -> None:
    u = np.linspace(0.0, 1.0, 12).reshape(3, 4)
    assert unit_to_internal(IntDistribution(0, 9), u).shape == (3, 4)


def test_continuous_float_is_linear() -> None:
    d = FloatDistribution(-2.0, 6.0)
    assert unit_to_internal(d, np.array([0.0, 0.25, 0.5, 1.0])).tolist() == [-2.0, 0.0, 2.0, 6.0]
    assert internal_to_unit(d, np.array([-2.0, 0.0, 6.0])).tolist() == [0.0, 0.25, 1.0]


def test_log_float_is_linear_in_log_space() -> None:
    d = FloatDistribution(1e-4, 1e-2, log=True)
    x = unit_to_internal(d, np.array([0.0, 0.5, 1.0]))
    assert x.tolist() == pytest.approx([1e-4, 1e-3, 1e-2], rel=1e-12)
    assert internal_to_unit(d, np.array([1e-3]))[0] == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize(
    ("dist", "value"),
    [
        (FloatDistribution(2.0, 2.0), 2.0),
        (FloatDistribution(2.0, 2.0, log=True), 2.0),
        (FloatDistribution(2.0, 2.0, step=0.5), 2.0),
        (IntDistribution(4, 4), 4),
        (IntDistribution(4, 4, log=True), 4),
        (CategoricalDistribution(["only"]), "only"),
    ],
    ids=repr,
)
def test_single_valued_distributions_encode_and_decode(dist: BaseDistribution, value: Any) -> None:
    internal = dist.to_internal(value)
    u = internal_to_unit(dist, np.array([internal]))
    assert np.isfinite(u).all()
    assert 0.0 <= u[0] <= 1.0
    assert unit_to_internal(dist, u)[0] == internal
    for x in (0.0, 0.3, 1.0):
        assert unit_to_internal_scalar(dist, x) == internal
    enc = SearchSpaceEncoder({"p": dist})
    assert enc.decode(enc.encode({"p": value})) == {"p": value}


# --- equal bins for discrete values ------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(lattice_distributions())
def test_discrete_values_own_equal_bins(dist: BaseDistribution) -> None:
    n, low, step = _size_low_step(dist)
    per_bin = 4
    m = n * per_bin
    # Cell centres never sit on a bin boundary, so the counts are exact.
    u = (np.arange(m) + 0.5) / m
    internal = unit_to_internal(dist, u)
    ks = np.round((internal - low) / step).astype(np.int64)
    counts = Counter(ks.tolist())
    assert counts == dict.fromkeys(range(n), per_bin)
    # The scalar path bins identically.
    scalar = [unit_to_internal_scalar(dist, float(x)) for x in u]
    assert scalar == internal.tolist()


@settings(max_examples=40, deadline=None)
@given(lattice_distributions())
def test_discrete_values_encode_to_bin_centres(dist: BaseDistribution) -> None:
    n, low, step = _size_low_step(dist)
    ks = np.arange(n)
    internal = unit_to_internal(dist, (ks + 0.5) / n)
    assert np.round((internal - low) / step).astype(np.int64).tolist() == ks.tolist()
    centres = internal_to_unit(dist, internal)
    assert centres.tolist() == ((ks + 0.5) / n).tolist()


def test_categorical_bins_example() -> None:
    d = CategoricalDistribution(["a", "b", "c", "d"])
    u = (np.arange(400) + 0.5) / 400
    counts = Counter(unit_to_internal(d, u).tolist())
    assert counts == {0.0: 100, 1.0: 100, 2.0: 100, 3.0: 100}
    assert internal_to_unit(d, np.arange(4.0)).tolist() == [0.125, 0.375, 0.625, 0.875]


def test_int_bins_example() -> None:
    d = IntDistribution(0, 2)
    u = (np.arange(300) + 0.5) / 300
    counts = Counter(unit_to_internal(d, u).tolist())
    # Rounding a continuous value would give the end points half-width bins (75/150/75).
    assert counts == {0.0: 100, 1.0: 100, 2.0: 100}


def test_stepped_float_bins_example() -> None:
    d = FloatDistribution(0.0, 1.0, step=0.25)
    u = (np.arange(500) + 0.5) / 500
    counts = Counter(unit_to_internal(d, u).tolist())
    assert counts == {0.0: 100, 0.25: 100, 0.5: 100, 0.75: 100, 1.0: 100}


@pytest.mark.parametrize(("low", "high"), [(1, 10), (1, 2), (3, 7), (2, 200), (10, 11), (1, 1000)])
def test_log_int_bins_are_proportional_to_log_width(low: int, high: int) -> None:
    d = IntDistribution(low, high, log=True)
    m = 200_000
    u = (np.arange(m) + 0.5) / m
    counts = Counter(unit_to_internal(d, u).astype(np.int64).tolist())
    assert set(counts) == set(range(low, high + 1))
    total = math.log(high + 0.5) - math.log(low - 0.5)
    for j in range(low, high + 1):
        expected = m * (math.log(j + 0.5) - math.log(j - 0.5)) / total
        assert abs(counts[j] - expected) <= 1.0, (j, counts[j], expected)


def test_log_int_small_values_get_wider_bins() -> None:
    d = IntDistribution(1, 100, log=True)
    u = (np.arange(100_000) + 0.5) / 100_000
    counts = Counter(unit_to_internal(d, u).astype(np.int64).tolist())
    assert counts[1] > counts[2] > counts[10] > counts[100] > 0


# --- internal_to_unit ---------------------------------------------------------------------


@st.composite
def dist_and_value(draw: st.DrawFn) -> tuple[BaseDistribution, Any]:
    dist = draw(distributions())
    return dist, draw(values_in(dist))


@FAST
@given(dist_and_value())
@example((FloatDistribution(0.5, 0.5, log=True), 0.5))
def test_internal_to_unit_lands_in_the_unit_interval_and_decodes_back(
    case: tuple[BaseDistribution, Any],
) -> None:
    dist, value = case
    internal = dist.to_internal(value)
    u = internal_to_unit(dist, np.array([internal]))
    assert 0.0 <= u[0] <= 1.0
    back = unit_to_internal(dist, u)[0]
    assert _same_param(dist, dist.to_external(float(back)), value)


# --- SearchSpaceEncoder -------------------------------------------------------------------


@pytest.mark.parametrize("mode", CATEGORICAL_MODES)
@FAST
@given(space_and_params())
@example(({"p": FloatDistribution(3.0, 3.0, log=True)}, {"p": 3.0}))
@example(({"p": FloatDistribution(1e-6, math.nextafter(1e-6, 1.0), log=True)}, {"p": 1e-6}))
def test_encode_decode_round_trip(
    mode: str, case: tuple[dict[str, BaseDistribution], dict[str, Any]]
) -> None:
    space, params = case
    enc = SearchSpaceEncoder(space, categorical=mode)  # type: ignore[arg-type]
    row = enc.encode(params)
    assert row.shape == (enc.dim,)
    assert ((row >= 0.0) & (row <= 1.0)).all()
    decoded = enc.decode(row)
    assert list(decoded) == list(space)
    for name, dist in space.items():
        assert _same_param(dist, decoded[name], params[name]), (name, dist, decoded, params)


@pytest.mark.parametrize("mode", CATEGORICAL_MODES)
@FAST
@given(search_spaces(max_size=5), st.data())
def test_decode_of_any_row_gives_values_in_the_space(
    mode: str, space: dict[str, BaseDistribution], data: st.DataObject
) -> None:
    enc = SearchSpaceEncoder(space, categorical=mode)  # type: ignore[arg-type]
    row = np.array(data.draw(st.lists(units, min_size=enc.dim, max_size=enc.dim)))
    decoded = enc.decode(row)
    for name, dist in space.items():
        assert dist.contains(dist.to_internal(decoded[name]))


def test_encoder_example() -> None:
    enc = SearchSpaceEncoder(
        {
            "lr": FloatDistribution(1e-4, 1e-2, log=True),
            "opt": CategoricalDistribution(["sgd", "adam"]),
        }
    )
    assert enc.encode({"lr": 1e-3, "opt": "adam"}).round(12).tolist() == [0.5, 0.75]
    assert enc.decode(np.array([0.5, 0.1]))["opt"] == "sgd"
    assert enc.decode(np.array([0.5, 0.9]))["opt"] == "adam"


SPACE: dict[str, BaseDistribution] = {
    "x": FloatDistribution(0.0, 1.0),
    "opt": CategoricalDistribution(["sgd", "adam", "rmsprop"]),
    "n": IntDistribution(1, 8),
    "flag": CategoricalDistribution([True, False]),
}


def test_index_mode_columns() -> None:
    enc = SearchSpaceEncoder(SPACE)
    assert enc.names == ("x", "opt", "n", "flag")
    assert enc.dim == 4
    assert enc.columns == {
        "x": slice(0, 1),
        "opt": slice(1, 2),
        "n": slice(2, 3),
        "flag": slice(3, 4),
    }


def test_onehot_mode_columns_and_dim() -> None:
    enc = SearchSpaceEncoder(SPACE, categorical="onehot")
    assert enc.names == ("x", "opt", "n", "flag")
    assert enc.dim == 1 + 3 + 1 + 2
    assert enc.columns == {
        "x": slice(0, 1),
        "opt": slice(1, 4),
        "n": slice(4, 5),
        "flag": slice(5, 7),
    }


def test_onehot_encoding_sets_exactly_one_column() -> None:
    enc = SearchSpaceEncoder(SPACE, categorical="onehot")
    row = enc.encode({"x": 0.25, "opt": "rmsprop", "n": 1, "flag": False})
    assert row[enc.columns["opt"]].tolist() == [0.0, 0.0, 1.0]
    assert row[enc.columns["flag"]].tolist() == [0.0, 1.0]
    assert row[0] == 0.25


def test_onehot_decoding_takes_the_argmax() -> None:
    enc = SearchSpaceEncoder(SPACE, categorical="onehot")
    row = np.array([0.5, 0.2, 0.7, 0.1, 0.0, 0.9, 0.4])
    decoded = enc.decode(row)
    assert decoded["opt"] == "adam"
    assert decoded["flag"] is True
    assert decoded["n"] == 1


@pytest.mark.parametrize("mode", CATEGORICAL_MODES)
@FAST
@given(search_spaces(max_size=5, min_size=1))
def test_dim_is_the_sum_of_column_widths(mode: str, space: dict[str, BaseDistribution]) -> None:
    enc = SearchSpaceEncoder(space, categorical=mode)  # type: ignore[arg-type]
    widths = [
        len(d.choices) if mode == "onehot" and isinstance(d, CategoricalDistribution) else 1
        for d in space.values()
    ]
    assert enc.dim == sum(widths)
    start = 0
    for name, width in zip(space, widths, strict=True):
        assert enc.columns[name] == slice(start, start + width)
        start += width


def test_decode_internal_of_a_matrix() -> None:
    enc = SearchSpaceEncoder(SPACE, categorical="onehot")
    rows = np.array(
        [
            [0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0],
        ]
    )
    out = enc.decode_internal(rows)
    assert out["x"].tolist() == [0.0, 1.0]
    assert out["opt"].tolist() == [0.0, 2.0]
    assert out["n"].tolist() == [1.0, 8.0]
    assert out["flag"].tolist() == [0.0, 1.0]


def test_encode_internal_matches_encode() -> None:
    enc = SearchSpaceEncoder(SPACE)
    params = {"x": 0.75, "opt": "adam", "n": 8, "flag": False}
    internal = {name: SPACE[name].to_internal(v) for name, v in params.items()}
    assert enc.encode_internal(internal).tolist() == enc.encode(params).tolist()
    assert enc.encode(params).tolist() == [0.75, 0.5, 15 / 16, 0.75]


@pytest.mark.parametrize("mode", CATEGORICAL_MODES)
@pytest.mark.parametrize("delta", [-1, 1, 3])
def test_wrong_column_count_is_an_error(mode: str, delta: int) -> None:
    enc = SearchSpaceEncoder(SPACE, categorical=mode)  # type: ignore[arg-type]
    width = enc.dim + delta
    with pytest.raises(ValueError, match=rf"expected {enc.dim} columns, got {width}"):
        enc.decode(np.full(width, 0.5))
    with pytest.raises(ValueError, match=rf"expected {enc.dim} columns, got {width}"):
        enc.decode_internal(np.full((2, width), 0.5))


@pytest.mark.parametrize("mode", ["one-hot", "ordinal", "", "INDEX", None])
def test_invalid_categorical_mode_is_an_error(mode: Any) -> None:
    with pytest.raises(ValueError, match=r"categorical="):
        SearchSpaceEncoder(SPACE, categorical=mode)


def test_encoder_copies_the_space() -> None:
    space = dict(SPACE)
    enc = SearchSpaceEncoder(space)
    space["extra"] = IntDistribution(0, 1)
    assert enc.names == ("x", "opt", "n", "flag")
    assert enc.dim == 4


def test_empty_space() -> None:
    enc = SearchSpaceEncoder({})
    assert enc.dim == 0
    assert enc.encode({}).shape == (0,)
    assert enc.decode(np.empty(0)) == {}
