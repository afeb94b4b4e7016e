from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from tunelab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.samplers.tpe._parzen import ParzenEstimator


def _estimator(dist, values, **kwargs) -> ParzenEstimator:
    values = np.asarray(values, dtype=float)
    return ParzenEstimator({"p": values}, {"p": dist}, np.ones(len(values)), **kwargs)


@pytest.mark.parametrize("multivariate", [False, True])
def test_continuous_density_integrates_to_one(multivariate) -> None:
    dist = FloatDistribution(-2.0, 3.0)
    est = _estimator(dist, [0.0, 0.5, 2.9], multivariate=multivariate)
    area, _ = integrate.quad(
        lambda v: np.exp(est.log_pdf({"p": np.array([v])}))[0], -2, 3, limit=200
    )
    assert area == pytest.approx(1.0, rel=1e-5)


def test_log_float_density_integrates_to_one_in_log_space() -> None:
    dist = FloatDistribution(1e-3, 10.0, log=True)
    est = _estimator(dist, [0.01, 0.02, 1.0])
    # the density lives on log(x): integrate over u = log x
    area, _ = integrate.quad(
        lambda u: np.exp(est.log_pdf({"p": np.array([np.exp(u)])}))[0],
        np.log(1e-3),
        np.log(10.0),
        limit=200,
    )
    assert area == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize(
    "dist",
    [
        IntDistribution(0, 20),
        IntDistribution(1, 1000, log=True),
        IntDistribution(0, 30, step=3),
        FloatDistribution(0.0, 1.0, step=0.125),
        CategoricalDistribution(["a", "b", "c", None]),
    ],
    ids=repr,
)
def test_discrete_masses_sum_to_one(dist) -> None:
    if isinstance(dist, CategoricalDistribution):
        support = np.arange(len(dist.choices), dtype=float)
        values = [0.0, 0.0, 2.0]
    elif isinstance(dist, IntDistribution):
        support = np.arange(dist.low, dist.high + 1, dist.step, dtype=float)
        values = [float(support[1]), float(support[-1])]
    else:
        support = np.arange(0, 9) * 0.125
        values = [0.25, 0.5]
    est = _estimator(dist, values)
    assert np.exp(est.log_pdf({"p": support})).sum() == pytest.approx(1.0, rel=1e-6)


def test_samples_are_valid_values_and_concentrate_near_observations() -> None:
    space = {
        "x": FloatDistribution(0.0, 100.0),
        "n": IntDistribution(1, 64, log=True),
        "c": CategoricalDistribution(["u", "v", "w"]),
    }
    obs = {"x": np.full(30, 10.0), "n": np.full(30, 8.0), "c": np.full(30, 2.0)}
    est = ParzenEstimator(obs, space, np.ones(30), multivariate=True)
    draws = est.sample(np.random.default_rng(0), 2000)
    for name, dist in space.items():
        assert all(dist.contains(v) for v in draws[name])
    # Equal observations: neighbour gaps are 0, floored at range / 32.
    assert np.median(draws["x"]) == pytest.approx(10.0, abs=6.0)
    assert np.mean(draws["x"] < 40.0) > 0.9
    assert np.median(draws["n"]) == 8
    assert np.mean(draws["c"] == 2) > 0.8


def test_the_prior_keeps_unobserved_regions_possible() -> None:
    est = _estimator(FloatDistribution(0.0, 1.0), [0.1] * 10)
    assert np.isfinite(est.log_pdf({"p": np.array([0.99])}))[0]


def test_an_empty_estimator_is_the_prior() -> None:
    est = _estimator(FloatDistribution(0.0, 1.0), [])
    values = est.log_pdf({"p": np.array([0.0, 0.5, 1.0])})
    assert np.all(np.isfinite(values))
    assert values[1] > values[0]  # the prior is centred


def test_weights_shift_mass_towards_heavier_observations() -> None:
    dist = FloatDistribution(0.0, 1.0)
    est = ParzenEstimator({"p": np.array([0.2, 0.8])}, {"p": dist}, np.array([0.1, 1.0]))
    at = est.log_pdf({"p": np.array([0.2, 0.8])})
    assert at[1] > at[0]


def _bandwidths(
    values: list[float], multivariate: bool = True, bandwidth: str = "scott"
) -> np.ndarray:
    dist = FloatDistribution(0.0, 10.0)
    est = ParzenEstimator(
        {"x": np.array(values)},
        {"x": dist},
        np.ones(len(values)),
        multivariate=multivariate,
        bandwidth=bandwidth,
    )
    return est._kernels["x"][2][:-1]  # the observations' sigmas (the last is the prior's)


def test_neighbour_bandwidths_are_the_larger_gap_whether_joint_or_not() -> None:
    values = [1.0, 2.0, 6.0, 6.5]  # gaps 1, 4, 0.5
    for multivariate in (False, True):
        sigmas = _bandwidths(values, multivariate, "neighbour")
        # The outermost points use their one inner gap; floored at 10 / min(100, 6).
        np.testing.assert_allclose(sigmas, [10 / 6, 4.0, 4.0, 10 / 6])


def test_an_unknown_bandwidth_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="bandwidth='silverman' must be one of"):
        _bandwidths([1.0, 2.0], True, "silverman")


def test_multivariate_bandwidths_follow_scotts_rule_from_four_observations() -> None:
    spread = [1.0, 3.0, 5.0, 7.0, 9.0]
    std = float(np.std(spread, ddof=1))
    iqr = float(np.subtract(*np.percentile(spread, [75, 25]))) / 1.349
    expected = 1.059 * min(std, iqr) * 5 ** (-1 / 5)
    np.testing.assert_allclose(_bandwidths(spread), expected)
    # Clustered points do not collapse the kernels: at least a tenth of the range.
    np.testing.assert_allclose(_bandwidths([5.0, 5.01, 5.02, 5.03]), 1.0)
    # With fewer points their spread says little: 0.2 * range * n^(-1/5), magic-clipped.
    np.testing.assert_allclose(_bandwidths([5.0, 5.01]), max(2.0 * 2 ** (-1 / 5), 10 / 4))


def test_a_lone_observation_is_as_wide_as_its_distance_to_the_farther_bound() -> None:
    np.testing.assert_allclose(_bandwidths([2.0], bandwidth="neighbour"), [8.0])
    np.testing.assert_allclose(_bandwidths([7.0], bandwidth="neighbour"), [7.0])


def test_categorical_kernels_smooth_by_prior_weight_over_n_plus_one_per_choice() -> None:
    dist = CategoricalDistribution(["a", "b", "c", "d"])
    est = _estimator(dist, [0.0, 0.0, 1.0], prior_weight=2.0)
    table = np.exp(est._kernels["p"][1])
    smooth = 2.0 / 4  # prior_weight / (n + 1) on every choice, then 1 on the observed one
    np.testing.assert_allclose(table[0], np.array([1 + smooth, smooth, smooth, smooth]) / 3.0)
    np.testing.assert_allclose(table[2], np.array([smooth, 1 + smooth, smooth, smooth]) / 3.0)
    np.testing.assert_allclose(table[-1], 0.25)  # the prior is uniform
    # More observations smooth less: the observed choice's share grows.
    many = np.exp(_estimator(dist, [0.0] * 30, prior_weight=2.0)._kernels["p"][1])
    assert many[0, 0] > table[0, 0]


def test_the_prior_weighs_against_the_observation_weights_as_given() -> None:
    dist = FloatDistribution(0.0, 1.0)
    down = ParzenEstimator({"p": np.array([0.2, 0.8])}, {"p": dist}, np.array([0.25, 0.25]))
    full = ParzenEstimator({"p": np.array([0.2, 0.8])}, {"p": dist}, np.array([1.0, 1.0]))
    # Down-weighted (older) observations leave the prior a larger share: 1/1.5, not 1/3.
    assert np.exp(down._log_weights[-1]) == pytest.approx(1.0 / 1.5)
    assert np.exp(full._log_weights[-1]) == pytest.approx(1.0 / 3.0)
