from __future__ import annotations

import numpy as np
import pytest

from tunelab.samplers.gp._kernel import ColumnGroups, Matern52
from tunelab.samplers.gp._posterior import Posterior

KERNEL = Matern52(ColumnGroups(np.array([0, 1, 2]), np.ones(3), 3), np.array([0.3, 0.6, 1.2]), 1.3)


def _posterior(noise: float = 1e-4) -> Posterior:
    rng = np.random.default_rng(0)
    X = rng.random((15, 3))
    y = np.cos(4 * X[:, 0]) + X[:, 1]
    return Posterior.fit(KERNEL, noise, X, (y - y.mean()) / y.std())


def test_matches_the_textbook_formulas() -> None:
    post = _posterior()
    x = np.random.default_rng(1).random((6, 3))
    K = KERNEL(post.X, post.X) + post.noise_var * np.eye(15)
    k = KERNEL(x, post.X)
    mean, var = post.predict(x)
    np.testing.assert_allclose(mean, k @ np.linalg.solve(K, post.y), rtol=1e-8)
    expected_var = KERNEL.signal_var - np.einsum("ij,ji->i", k, np.linalg.solve(K, k.T))
    np.testing.assert_allclose(var, expected_var, rtol=1e-6, atol=1e-10)


def test_nearly_interpolates_with_tiny_noise() -> None:
    post = _posterior(noise=1e-8)
    mean, var = post.predict(post.X)
    np.testing.assert_allclose(mean, post.y, atol=1e-5)
    assert np.all(var < 1e-5)
    assert np.all(var > 0)


def test_gradients_match_finite_differences() -> None:
    post = _posterior()
    x = np.random.default_rng(2).random((4, 3))
    mean, var, d_mean, d_var = post.predict_with_grad(x)
    np.testing.assert_allclose((mean, var), post.predict(x), rtol=1e-10)
    eps = 1e-6
    for d in range(3):
        step = np.zeros(3)
        step[d] = eps
        (m1, v1), (m0, v0) = post.predict(x + step), post.predict(x - step)
        np.testing.assert_allclose(d_mean[:, d], (m1 - m0) / (2 * eps), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(d_var[:, d], (v1 - v0) / (2 * eps), rtol=1e-5, atol=1e-7)


def test_fantasies_keep_the_mean_and_shrink_the_variance_near_them() -> None:
    post = _posterior()
    pending = np.array([[0.5, 0.5, 0.5], [0.1, 0.9, 0.2]])
    believed = post.with_fantasies(pending)
    assert believed.X.shape == (17, 3)
    probe = np.vstack([pending, np.random.default_rng(3).random((5, 3))])
    m0, v0 = post.predict(probe)
    m1, v1 = believed.predict(probe)
    np.testing.assert_allclose(m1, m0, atol=1e-6)
    assert np.all(v1 <= v0 + 1e-12)
    assert np.all(v1[:2] < 1e-3)
    assert post.with_fantasies(np.empty((0, 3))) is post


@pytest.mark.parametrize("noise", [1e-6, 0.5])
def test_variance_is_positive_everywhere(noise: float) -> None:
    post = _posterior(noise)
    grid = np.random.default_rng(4).random((200, 3))
    _, var = post.predict(np.vstack([grid, post.X]))
    assert np.all(var > 0)
    assert np.all(var <= KERNEL.signal_var + 1e-9)


def test_a_row_with_known_extra_noise_is_trusted_less() -> None:
    exact = _posterior(noise=1e-8)
    extra = np.zeros(15)
    extra[0] = 0.5  # row 0 is a projection with variance 0.5
    loose = Posterior.fit(KERNEL, 1e-8, exact.X, exact.y, extra)
    mean_exact, var_exact = exact.predict(exact.X[:2])
    mean_loose, var_loose = loose.predict(exact.X[:2])
    assert abs(mean_loose[0] - exact.y[0]) > 1e-3 > abs(mean_exact[0] - exact.y[0])
    assert var_loose[0] > 100 * var_exact[0]
    assert mean_loose[1] == pytest.approx(exact.y[1], abs=1e-4)  # other rows: still exact
    K = KERNEL(exact.X, exact.X) + np.diag(1e-8 + extra)
    x = np.random.default_rng(2).random((4, 3))
    np.testing.assert_allclose(
        loose.predict(x)[0], KERNEL(x, exact.X) @ np.linalg.solve(K, exact.y), rtol=1e-6
    )
    fantasised = loose.with_fantasies(x[:1])
    assert fantasised.extra_noise.tolist() == [*extra.tolist(), 0.0]
