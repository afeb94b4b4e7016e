from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from tunelab.samplers.tpe import _truncnorm


@pytest.mark.parametrize(
    ("mu", "sigma", "lower", "upper"),
    [(0.0, 1.0, -1.0, 2.0), (5.0, 0.1, 0.0, 1.0), (-3.0, 2.0, -1.0, 10.0), (0.5, 0.01, 0.0, 1.0)],
)
def test_logpdf_matches_scipy_and_integrates_to_one(mu, sigma, lower, upper) -> None:
    x = np.linspace(lower, upper, 41)
    ours = _truncnorm.logpdf(x, mu, sigma, lower, upper)
    a, b = (lower - mu) / sigma, (upper - mu) / sigma
    np.testing.assert_allclose(
        ours, stats.truncnorm.logpdf(x, a, b, loc=mu, scale=sigma), rtol=1e-6, atol=1e-8
    )
    area, _ = integrate.quad(
        lambda v: np.exp(_truncnorm.logpdf(v, mu, sigma, lower, upper)),
        lower,
        upper,
        points=[min(max(mu, lower), upper)],
        limit=200,
    )
    assert area == pytest.approx(1.0, rel=1e-6)


def test_far_tails_stay_finite_where_the_naive_formula_underflows() -> None:
    mu, sigma, lower, upper = 0.0, 1.0, 40.0, 41.0  # Phi(41) - Phi(40) is 0.0 in floats
    value = _truncnorm.logpdf(np.array([40.5]), mu, sigma, lower, upper)
    assert np.isfinite(value).all()
    left = _truncnorm.logpdf(np.array([-40.5]), mu, sigma, -41.0, -40.0)
    np.testing.assert_allclose(value, left)  # symmetric
    draws = _truncnorm.sample(np.full(1000, mu), sigma, lower, upper, np.random.default_rng(0))
    assert np.all((draws >= lower) & (draws <= upper))
    assert draws.mean() < 40.2  # mass piles up at the near edge, as it should


def test_log_mass_is_a_difference_of_cdfs() -> None:
    mu, sigma, lower, upper = 1.0, 0.7, -2.0, 3.0
    a, b = (lower - mu) / sigma, (upper - mu) / sigma
    dist = stats.truncnorm(a, b, loc=mu, scale=sigma)
    edges = np.linspace(lower, upper, 11)
    ours = np.exp(_truncnorm.log_mass(edges[:-1], edges[1:], mu, sigma, lower, upper))
    np.testing.assert_allclose(ours, dist.cdf(edges[1:]) - dist.cdf(edges[:-1]), rtol=1e-7)
    assert ours.sum() == pytest.approx(1.0)


def test_outside_the_support_has_zero_density() -> None:
    assert _truncnorm.logpdf(np.array([3.0]), 0.0, 1.0, -1.0, 2.0)[0] == -np.inf


def test_samples_follow_the_distribution() -> None:
    rng = np.random.default_rng(1)
    mu, sigma, lower, upper = 0.3, 0.5, 0.0, 1.0
    draws = _truncnorm.sample(np.full(20000, mu), sigma, lower, upper, rng)
    a, b = (lower - mu) / sigma, (upper - mu) / sigma
    result = stats.kstest(draws, stats.truncnorm(a, b, loc=mu, scale=sigma).cdf)
    assert result.pvalue > 1e-3
