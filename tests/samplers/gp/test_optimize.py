from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tunelab._encoding import SearchSpaceEncoder
from tunelab._typing import ParamValue
from tunelab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.samplers.gp import _optimize
from tunelab.samplers.gp._optimize import maximize_acquisition, neighbours, snap

SPACE = {
    "x": FloatDistribution(-3.0, 3.0),
    "lr": FloatDistribution(1e-4, 1.0, log=True),
    "n": IntDistribution(0, 40, step=2),
    "k": IntDistribution(1, 1000, log=True),
    "s": FloatDistribution(0.0, 1.0, step=0.1),
    "c": CategoricalDistribution(("a", "b", "c", "d")),
}
ENCODER = SearchSpaceEncoder(SPACE, categorical="onehot")
TARGET: dict[str, ParamValue] = {"x": 1.25, "lr": 1e-2, "n": 14, "k": 37, "s": 0.7, "c": "c"}


class Bowl:
    """A smooth bump with its peak at TARGET (in encoded coordinates)."""

    def __init__(self, target: dict[str, ParamValue]) -> None:
        self.centre = ENCODER.encode(target)
        self.calls = 0

    def values(self, x: np.ndarray) -> np.ndarray:
        self.calls += 1
        return np.asarray(-((x - self.centre) ** 2).sum(1))

    def value_and_grad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.calls += 1
        return -((x - self.centre) ** 2).sum(1), -2 * (x - self.centre)


def test_snap_gives_valid_configurations_and_is_idempotent() -> None:
    raw = np.random.default_rng(0).random((64, ENCODER.dim))
    snapped = snap(ENCODER, raw)
    np.testing.assert_allclose(snap(ENCODER, snapped), snapped, atol=1e-12)
    for row in snapped:
        params = ENCODER.decode(row)
        for name, dist in SPACE.items():
            assert dist.contains(dist.to_internal(params[name]))
        np.testing.assert_allclose(ENCODER.encode(params), row, atol=1e-12)
    # Continuous columns are untouched; the one-hot block holds a single 1.
    np.testing.assert_allclose(snapped[:, 0], raw[:, 0])
    block = snapped[:, ENCODER.columns["c"]]
    assert np.all(block.sum(1) == 1) and set(np.unique(block)) == {0.0, 1.0}


def test_neighbours_move_one_discrete_parameter_by_one_value() -> None:
    row = ENCODER.encode({"x": 0.5, "lr": 0.1, "n": 0, "k": 1000, "s": 0.5, "c": "a"})
    found = [ENCODER.decode(r) for r in neighbours(ENCODER, row)]
    changed = sorted(
        (name, p[name]) for p in found for name in SPACE if p[name] != ENCODER.decode(row)[name]
    )
    s_dist = SPACE["s"]
    assert isinstance(s_dist, FloatDistribution)
    s_values = (s_dist.lattice_value(4), s_dist.lattice_value(6))  # 0.4 and 0.6 on the lattice
    assert changed == sorted(
        [
            ("n", 2),
            ("k", 999),
            ("s", s_values[0]),
            ("s", s_values[1]),
            ("c", "b"),
            ("c", "c"),
            ("c", "d"),
        ]
    )  # n = 0 and k = 1000 sit on their bounds; x and lr are continuous


def test_finds_the_maximum_of_a_known_mixed_function() -> None:
    best = maximize_acquisition(Bowl(TARGET), ENCODER, np.random.default_rng(1))
    params = ENCODER.decode(best.x)
    assert params["x"] == pytest.approx(1.25, abs=1e-4)
    assert params["lr"] == pytest.approx(1e-2, rel=1e-3)
    assert {k: params[k] for k in ("n", "k", "c")} == {"n": 14, "k": 37, "c": "c"}
    assert params["s"] == pytest.approx(0.7, abs=1e-12)
    assert best.value == pytest.approx(0.0, abs=1e-6)
    assert not best.degraded


def test_finds_the_best_of_a_purely_categorical_space() -> None:
    enc = SearchSpaceEncoder(
        {"a": CategoricalDistribution(tuple("pqrs")), "b": CategoricalDistribution((1, 2, 3))},
        categorical="onehot",
    )
    centre = enc.encode({"a": "r", "b": 2})

    class Match:
        def values(self, x: np.ndarray) -> np.ndarray:
            return np.asarray((x * centre).sum(1))

        def value_and_grad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            raise AssertionError("nothing continuous to ascend")

    best = maximize_acquisition(Match(), enc, np.random.default_rng(0), n_candidates=4)
    assert enc.decode(best.x) == {"a": "r", "b": 2}


def test_a_passed_deadline_returns_the_best_scored_candidate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no local search after the deadline")

    monkeypatch.setattr(_optimize, "minimize", refuse)
    anchors = ENCODER.encode(TARGET)[None, :]
    best = maximize_acquisition(
        Bowl(TARGET), ENCODER, np.random.default_rng(2), anchors=anchors, deadline=0.0
    )
    assert best.degraded
    np.testing.assert_allclose(best.x, anchors[0])  # the anchor is among the candidates


def test_same_rng_gives_the_same_result() -> None:
    bowl = Bowl({**TARGET, "x": -2.0})
    a = maximize_acquisition(bowl, ENCODER, np.random.default_rng(7))
    b = maximize_acquisition(bowl, ENCODER, np.random.default_rng(7))
    np.testing.assert_array_equal(a.x, b.x)
