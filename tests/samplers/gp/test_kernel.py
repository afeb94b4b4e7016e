from __future__ import annotations

import math

import numpy as np
import pytest

from tunelab._encoding import SearchSpaceEncoder
from tunelab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.samplers.gp._kernel import (
    ColumnGroups,
    Matern52,
    matern52,
    matern52_ds,
    matern52_with_ds,
)

SPACE = {
    "x": FloatDistribution(-2.0, 3.0),
    "c": CategoricalDistribution(("a", "b", "c")),
    "n": IntDistribution(1, 9),
}


def _encoder() -> SearchSpaceEncoder:
    return SearchSpaceEncoder(SPACE, categorical="onehot")


def _rows(rng: np.random.Generator, m: int) -> np.ndarray:
    enc = _encoder()
    return np.array(
        [
            enc.encode({"x": rng.uniform(-2, 3), "c": "abc"[int(rng.integers(3))], "n": 1 + i % 9})
            for i in range(m)
        ]
    )


def _direct(a: np.ndarray, b: np.ndarray, ls: np.ndarray, s2: float) -> float:
    """The textbook formula, one pair at a time: numeric columns plus a Hamming term."""
    r2 = ((a[0] - b[0]) / ls[0]) ** 2  # x
    r2 += float(not np.array_equal(a[1:4], b[1:4])) / ls[1] ** 2  # c: mismatch indicator
    r2 += ((a[4] - b[4]) / ls[2]) ** 2  # n
    r = math.sqrt(r2)
    return float(s2 * (1 + math.sqrt(5) * r + 5 / 3 * r2) * math.exp(-math.sqrt(5) * r))


def test_groups_give_one_lengthscale_per_parameter_and_half_weight_to_one_hot() -> None:
    groups = ColumnGroups.from_encoder(_encoder())
    assert groups.n_groups == 3
    assert groups.group.tolist() == [0, 1, 1, 1, 2]
    assert groups.weight.tolist() == [1.0, 0.5, 0.5, 0.5, 1.0]
    assert groups.sum_by_group(np.arange(5.0)).tolist() == [0.0, 6.0, 4.0]


def test_kernel_matches_the_direct_formula_symmetric_and_psd() -> None:
    rng = np.random.default_rng(0)
    X = _rows(rng, 12)
    ls, s2 = np.array([0.4, 0.7, 1.3]), 1.7
    kernel = Matern52(ColumnGroups.from_encoder(_encoder()), ls, s2)
    K = kernel(X, X)
    direct = np.array([[_direct(a, b, ls, s2) for b in X] for a in X])
    np.testing.assert_allclose(K, direct, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(K, K.T, atol=1e-14)
    np.testing.assert_allclose(np.diag(K), s2)
    assert np.linalg.eigvalsh(K).min() > -1e-10


def test_categorical_distance_is_hamming_whatever_the_number_of_choices() -> None:
    enc = _encoder()
    kernel = Matern52(ColumnGroups.from_encoder(enc), np.array([1.0, 0.5, 1.0]), 1.0)
    a = enc.encode({"x": 0.0, "c": "a", "n": 3})
    b = enc.encode({"x": 0.0, "c": "c", "n": 3})
    assert kernel.sq_dist(a[None], b[None])[0, 0] == pytest.approx(1 / 0.5**2)


def test_correlation_and_its_derivative() -> None:
    s = np.linspace(0.0, 9.0, 50)
    eps = 1e-7
    fd = (matern52(s + eps) - matern52(np.maximum(s - eps, 0))) / (
        s + eps - np.maximum(s - eps, 0)
    )
    np.testing.assert_allclose(matern52_ds(s), fd, rtol=1e-5, atol=1e-7)
    assert matern52(np.array([0.0]))[0] == 1.0
    assert matern52_ds(np.array([0.0]))[0] == pytest.approx(-5 / 6)
    value, ds = matern52_with_ds(s)
    np.testing.assert_allclose(value, matern52(s))
    np.testing.assert_allclose(ds, matern52_ds(s))


def test_input_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(1)
    X = rng.random((7, 5))
    x = rng.random((3, 5))
    weights = rng.standard_normal((3, 7))
    kernel = Matern52(
        ColumnGroups(np.array([0, 1, 1, 2, 3]), np.ones(5), 4), np.array([0.3, 0.8, 1.5, 0.6]), 2.0
    )
    grad = kernel.grad_inputs(x, X, weights)
    eps = 1e-6
    for d in range(5):
        step = np.zeros(5)
        step[d] = eps
        plus = (kernel(x + step, X) * weights).sum(1)
        minus = (kernel(x - step, X) * weights).sum(1)
        np.testing.assert_allclose(grad[:, d], (plus - minus) / (2 * eps), rtol=1e-5, atol=1e-7)
