from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from scipy.special import ndtr

from tunelab.samplers.gp._acquisition import (
    Acquisition,
    LogExpectedImprovement,
    PosteriorMean,
    UpperConfidenceBound,
    log_ei,
    log_h,
    log_h_grad,
)
from tunelab.samplers.gp._kernel import ColumnGroups, Matern52
from tunelab.samplers.gp._posterior import Posterior


def _h_direct(z: np.ndarray) -> np.ndarray:
    return np.asarray(np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) + z * ndtr(z))


def test_log_ei_equals_log_of_ei_where_ei_is_representable() -> None:
    z = np.linspace(-20.0, 8.0, 2801)  # h(-20) ~ 1e-91: representable, mild cancellation
    np.testing.assert_allclose(log_h(z), np.log(_h_direct(z)), rtol=1e-9)
    mean, var, best = np.array([0.3, -1.0, 2.0]), np.array([0.25, 4.0, 1e-6]), 0.5
    sigma = np.sqrt(var)
    ei = sigma * _h_direct((mean - best) / sigma)
    np.testing.assert_allclose(np.exp(log_ei(mean, var, best)), ei, rtol=1e-10)


def test_log_ei_stays_finite_and_increasing_where_ei_underflows() -> None:
    z = -np.logspace(0.0, 100.0, 4000)[::-1]  # -1e100 ... -1, increasing
    values = log_h(z)
    assert np.all(np.isfinite(values))
    assert np.all(np.diff(values) > 0)
    assert _h_direct(np.array([-40.0]))[0] == 0.0  # plain EI has underflowed here
    # Far left, log h(z) ~ -z^2/2 - log(sqrt(2 pi)) - 2 log|z|.
    far = np.array([-1e3, -1e6])
    asymptote = -0.5 * far**2 - 0.5 * math.log(2 * math.pi) - 2 * np.log(-far)
    np.testing.assert_allclose(log_h(far), asymptote, rtol=1e-9)


@pytest.mark.parametrize("switch", [-1.0, -100.0])
def test_log_h_is_continuous_across_its_branches(switch: float) -> None:
    z = np.array([np.nextafter(switch, -np.inf), switch, np.nextafter(switch, np.inf)])
    values = log_h(z)
    assert np.all(np.diff(values) >= -1e-12 * abs(values[0]))
    assert values[2] - values[0] < 1e-9 * max(1.0, abs(values[0]))
    slopes = log_h_grad(z)
    np.testing.assert_allclose(slopes, slopes[1], rtol=1e-9)


def test_log_h_gradient_matches_finite_differences() -> None:
    z = np.concatenate([np.linspace(-150, 10, 400), [-1e4, 1.5e3]])
    eps = 1e-6 * np.maximum(1.0, np.abs(z))
    fd = (log_h(z + eps) - log_h(z - eps)) / (2 * eps)
    np.testing.assert_allclose(log_h_grad(z), fd, rtol=1e-5)


def _posterior() -> Posterior:
    rng = np.random.default_rng(0)
    X = rng.random((12, 2))
    y = np.sin(5 * X[:, 0]) * X[:, 1]
    kernel = Matern52(ColumnGroups(np.array([0, 1]), np.ones(2), 2), np.array([0.3, 0.5]), 1.0)
    return Posterior.fit(kernel, 1e-5, X, (y - y.mean()) / y.std())


ACQUISITIONS: dict[str, Callable[[Posterior], Acquisition]] = {
    "logei": lambda p: LogExpectedImprovement(p, best=float(p.y.max())),
    "logei-far-below": lambda p: LogExpectedImprovement(p, best=float(p.y.max()) + 30.0),
    "ucb": lambda p: UpperConfidenceBound(p, beta=2.0),
    "mean": lambda p: PosteriorMean(p),
}


@pytest.mark.parametrize("name", sorted(ACQUISITIONS))
def test_acquisition_gradients_match_finite_differences(name: str) -> None:
    acq = ACQUISITIONS[name](_posterior())
    x = np.random.default_rng(5).uniform(0.05, 0.95, (6, 2))
    values, grad = acq.value_and_grad(x)
    np.testing.assert_allclose(values, acq.values(x), rtol=1e-10)
    assert np.all(np.isfinite(values))
    eps = 1e-6
    for d in range(2):
        step = np.zeros(2)
        step[d] = eps
        fd = (acq.values(x + step) - acq.values(x - step)) / (2 * eps)
        np.testing.assert_allclose(grad[:, d], fd, rtol=1e-4, atol=1e-6)


def test_ucb_and_mean_values() -> None:
    post = _posterior()
    x = np.random.default_rng(6).random((5, 2))
    mean, var = post.predict(x)
    np.testing.assert_allclose(UpperConfidenceBound(post, 4.0).values(x), mean + 2 * np.sqrt(var))
    np.testing.assert_allclose(PosteriorMean(post).values(x), mean)
