"""Learning-curve tasks for the pruning benchmark: every configuration's full curve.

Curves are computed once per (task, seed) and replayed to every pruner, so all pruners
see exactly the same trials in the same order and differ only in what they stop.

* ``synthetic``: ``loss(t) = A + (1 - A) * exp(-k t) + noise`` where the learning rate
  sets both the speed ``k`` (large rates converge in a few epochs) and the asymptote
  ``A`` (best near lr = 0.01): curves cross, and the configurations that end best are
  slow starters.
* ``sgd_digits``: scikit-learn's ``SGDClassifier`` trained epoch by epoch with
  ``partial_fit`` on the digits data set; the curve is the validation error. Small
  constant learning rates start slowly.
"""

from __future__ import annotations

import math

import numpy as np


class Task:
    """A stream of configurations with lazily computed learning curves."""

    def __init__(self, name: str, epochs: int, seed: int) -> None:
        self.name = name
        self.epochs = epochs
        self.seed = seed
        self._curves: dict[int, np.ndarray] = {}
        self.configs: dict[int, dict[str, float]] = {}

    def curve(self, index: int) -> np.ndarray:
        """The values reported after epochs 1..epochs by configuration ``index``."""
        if index not in self._curves:
            config, curve = self._make(index)
            self.configs[index] = config
            self._curves[index] = np.asarray(curve, dtype=float)
        return self._curves[index]

    def _make(self, index: int) -> tuple[dict[str, float], list[float]]:
        raise NotImplementedError


class Synthetic(Task):
    def __init__(self, seed: int, epochs: int = 30) -> None:
        super().__init__("synthetic", epochs, seed)

    def _make(self, index: int) -> tuple[dict[str, float], list[float]]:
        rng = np.random.default_rng([self.seed, index])
        lr = float(10 ** rng.uniform(-3.5, 0))
        momentum = float(rng.uniform(0.0, 0.95))
        width = int(2 ** rng.integers(4, 9))
        speed = 0.6 * math.sqrt(lr) * (1 + momentum)
        floor = 0.05 + 0.25 * (math.log10(lr) + 2) ** 2 / 4 + 0.03 * abs(math.log2(width / 64))
        t = np.arange(1, self.epochs + 1)
        noise = rng.normal(0.0, 0.004, size=self.epochs)
        curve = floor + (1 - floor) * np.exp(-speed * t) + noise
        return {"lr": lr, "momentum": momentum, "width": width}, list(curve)


class SGDDigits(Task):
    def __init__(self, seed: int, epochs: int = 30) -> None:
        super().__init__("sgd_digits", epochs, seed)
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import StandardScaler

        X, y = load_digits(return_X_y=True)
        X_train, X_val, y_train, y_val = train_test_split(
            X, y, test_size=0.4, random_state=seed, stratify=y
        )
        scaler = StandardScaler().fit(X_train)
        self._data = (scaler.transform(X_train), scaler.transform(X_val), y_train, y_val)
        self._classes = np.unique(y)

    def _make(self, index: int) -> tuple[dict[str, float], list[float]]:
        from sklearn.linear_model import SGDClassifier

        X_train, X_val, y_train, y_val = self._data
        rng = np.random.default_rng([self.seed, index])
        config = {
            "eta0": float(10 ** rng.uniform(-5, 0)),
            "alpha": float(10 ** rng.uniform(-6, -1)),
            "power_t": float(rng.uniform(0.0, 0.5)),
        }
        model = SGDClassifier(
            loss="log_loss",
            learning_rate="invscaling",
            eta0=config["eta0"],
            alpha=config["alpha"],
            power_t=config["power_t"],
            random_state=index,
        )
        order = rng.permutation(len(X_train))
        curve = []
        for _ in range(self.epochs):
            model.partial_fit(X_train[order], y_train[order], classes=self._classes)
            curve.append(1.0 - model.score(X_val, y_val))
        return config, curve


TASKS: dict[str, type[Task]] = {"synthetic": Synthetic, "sgd_digits": SGDDigits}
