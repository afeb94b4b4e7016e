from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy.linalg import LinAlgError

from tunelab.samplers.gp import _fit
from tunelab.samplers.gp._fit import (
    Hyperparameters,
    fit_hyperparameters,
    log_prior,
    neg_log_posterior,
    theta_bounds,
)
from tunelab.samplers.gp._kernel import ColumnGroups
from tunelab.samplers.gp._posterior import robust_cholesky

# Columns: one numeric, a 3-choice categorical block, one numeric.
GROUPS = ColumnGroups(np.array([0, 1, 1, 1, 2]), np.array([1, 0.5, 0.5, 0.5, 1]), 3)


def _data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, 5))
    X[:, 1:4] = np.eye(3)[rng.integers(0, 3, n)]
    y = np.sin(5 * X[:, 0]) + X[:, 1] - X[:, 4] ** 2 + 0.05 * rng.standard_normal(n)
    return X, (y - y.mean()) / y.std()


def _finite_difference(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    eps = 1e-6
    grad = np.empty_like(theta)
    for j in range(theta.size):
        step = np.zeros_like(theta)
        step[j] = eps
        plus = neg_log_posterior(theta + step, X, y, GROUPS)[0]
        minus = neg_log_posterior(theta - step, X, y, GROUPS)[0]
        grad[j] = (plus - minus) / (2 * eps)
    return grad


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_matches_finite_differences(seed: int) -> None:
    X, y = _data(25, seed)
    rng = np.random.default_rng(seed)
    theta = np.concatenate([rng.normal(-0.5, 0.5, 3), [rng.normal(0, 0.5)], [math.log(1e-2)]])
    _, grad = neg_log_posterior(theta, X, y, GROUPS)
    np.testing.assert_allclose(grad, _finite_difference(theta, X, y), rtol=1e-4, atol=1e-5)


def test_value_is_the_gaussian_negative_log_likelihood_minus_the_log_prior() -> None:
    X, y = _data(10)
    theta = np.array([-0.3, 0.2, 0.1, 0.4, math.log(0.05)])
    hp = Hyperparameters.from_theta(theta)
    K = hp.kernel(GROUPS)(X, X) + hp.noise_var * np.eye(10)
    sign, logdet = np.linalg.slogdet(K)
    nll = 0.5 * y @ np.linalg.solve(K, y) + 0.5 * logdet + 5 * math.log(2 * math.pi)
    value, _ = neg_log_posterior(theta, X, y, GROUPS)
    assert sign > 0
    assert value == pytest.approx(nll - log_prior(theta)[0], rel=1e-10)


def test_log_prior_gradient_and_mode() -> None:
    theta = np.array([0.1, -2.0, 3.0, 0.5, -4.0])
    value, grad = log_prior(theta)
    eps = 1e-6
    fd = [
        (log_prior(theta + eps * e)[0] - log_prior(theta - eps * e)[0]) / (2 * eps)
        for e in np.eye(5)
    ]
    np.testing.assert_allclose(grad, fd, rtol=1e-6)
    mean, _ = _fit._prior_moments(3)
    assert log_prior(mean)[0] == 0.0 > value
    # Dimension-scaled lengthscale prior: the median lengthscale is G ** (1/4) / 2.
    assert math.exp(mean[0]) == pytest.approx(3**0.25 / 2)


def test_hyperparameters_round_trip_through_theta() -> None:
    hp = Hyperparameters(np.array([0.5, 2.0]), 1.5, 1e-4)
    back = Hyperparameters.from_theta(hp.to_theta())
    np.testing.assert_allclose(back.lengthscales, hp.lengthscales)
    assert (back.signal_var, back.noise_var) == pytest.approx((1.5, 1e-4))


def test_fit_finds_the_irrelevant_column_and_improves_on_its_start() -> None:
    rng = np.random.default_rng(3)
    X = rng.random((30, 2))
    y = np.sin(6 * X[:, 0])
    y = (y - y.mean()) / y.std()
    groups = ColumnGroups(np.array([0, 1]), np.ones(2), 2)
    hp = fit_hyperparameters(X, y, groups, rng=rng)
    assert hp.lengthscales[1] > 5 * hp.lengthscales[0]
    start = _fit._prior_moments(2)[0]
    assert (
        neg_log_posterior(hp.to_theta(), X, y, groups)[0]
        < neg_log_posterior(start, X, y, groups)[0]
    )


def test_fixed_noise_is_kept_and_noisy_data_get_a_larger_noise() -> None:
    X, y = _data(40)
    rng = np.random.default_rng(0)
    fixed = fit_hyperparameters(X, y, GROUPS, rng=rng, fixed_noise=1e-6)
    assert fixed.noise_var == pytest.approx(1e-6)
    groups = ColumnGroups(np.array([0]), np.ones(1), 1)
    x = np.linspace(0.0, 1.0, 40)[:, None]
    clean = np.sin(3 * x[:, 0])
    noisy = clean + np.random.default_rng(1).normal(scale=0.5, size=40)
    fits = [
        fit_hyperparameters(x, (v - v.mean()) / v.std(), groups, rng=rng) for v in (clean, noisy)
    ]
    assert fits[0].noise_var < 1e-3 < 0.1 < fits[1].noise_var


def test_every_fitted_value_lies_within_the_bounds() -> None:
    X, y = _data(15)
    hp = fit_hyperparameters(X, y, GROUPS, rng=np.random.default_rng(0), n_random_starts=3)
    for value, (low, high) in zip(hp.to_theta(), theta_bounds(3), strict=True):
        assert low - 1e-9 <= value <= high + 1e-9


def test_warm_start_is_the_first_start_and_a_wrong_shape_is_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warm = Hyperparameters(np.array([0.3, 0.4, 0.5]), 2.0, 1e-3)
    starts = _fit._starts(3, np.random.default_rng(0), warm, None, 1)
    np.testing.assert_allclose(starts[0], warm.to_theta())
    assert len(starts) == 2
    other = Hyperparameters(np.array([0.3]), 2.0, 1e-3)
    starts = _fit._starts(3, np.random.default_rng(0), other, None, 0)
    np.testing.assert_allclose(starts[0], _fit._prior_moments(3)[0])


def test_a_passed_deadline_returns_the_first_start_without_optimising(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no optimisation after the deadline")

    monkeypatch.setattr(_fit, "minimize", refuse)
    X, y = _data(12)
    warm = Hyperparameters(np.array([0.3, 0.4, 0.5]), 2.0, 1e-3)
    hp = fit_hyperparameters(
        X, y, GROUPS, rng=np.random.default_rng(0), warm_start=warm, deadline=0.0
    )
    np.testing.assert_allclose(hp.to_theta(), warm.to_theta())


def test_duplicate_rows_with_tiny_noise_still_factorise() -> None:
    X = np.repeat(np.random.default_rng(0).random((5, 2)), 4, axis=0)
    y = np.random.default_rng(1).standard_normal(20)
    groups = ColumnGroups(np.array([0, 1]), np.ones(2), 2)
    hp = fit_hyperparameters(X, y, groups, rng=np.random.default_rng(0), fixed_noise=1e-6)
    value, grad = neg_log_posterior(hp.to_theta(), X, y, groups)
    assert np.isfinite(value) and np.all(np.isfinite(grad))


def test_robust_cholesky_adds_jitter_to_singular_matrices_and_rejects_nan() -> None:
    ones = np.ones((4, 4))  # rank one
    L = robust_cholesky(ones)
    assert np.allclose(L @ L.T, ones, atol=1e-3)
    with pytest.raises(LinAlgError, match="not positive definite"):
        robust_cholesky(np.full((3, 3), np.nan))
    with pytest.raises(LinAlgError):
        robust_cholesky(-np.eye(3))


def test_known_per_row_noise_enters_the_likelihood_and_its_gradient() -> None:
    X, y = _data(20, 3)
    extra = np.where(np.arange(20) % 4 == 0, 0.3, 0.0)  # every fourth row is a projection
    theta = np.array([-0.4, 0.1, 0.2, 0.3, math.log(1e-2)])
    hp = Hyperparameters.from_theta(theta)
    K = hp.kernel(GROUPS)(X, X) + np.diag(hp.noise_var + extra)
    _, logdet = np.linalg.slogdet(K)
    nll = 0.5 * y @ np.linalg.solve(K, y) + 0.5 * logdet + 10 * math.log(2 * math.pi)
    value, grad = neg_log_posterior(theta, X, y, GROUPS, extra)
    assert value == pytest.approx(nll - log_prior(theta)[0], rel=1e-9)
    assert value != pytest.approx(neg_log_posterior(theta, X, y, GROUPS)[0], rel=1e-6)
    eps = 1e-6
    numeric = np.empty_like(theta)
    for j in range(theta.size):
        step = np.zeros_like(theta)
        step[j] = eps
        numeric[j] = (
            neg_log_posterior(theta + step, X, y, GROUPS, extra)[0]
            - neg_log_posterior(theta - step, X, y, GROUPS, extra)[0]
        ) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-5)
