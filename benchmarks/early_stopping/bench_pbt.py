"""Population-based training vs. a grid of constant learning rates, same compute.

The task is SGD on a noisy quadratic (Zhang et al., 2019): ``d`` directions with
curvatures log-spaced over three decades and gradient noise. A large learning rate
makes fast progress along flat directions but stalls at a noise floor proportional to
the rate; a small one reaches a low floor but crawls along flat directions. No constant
rate does both, a decaying one does: the setting where PBT should discover a schedule.

Both methods get the same number of SGD steps: PBT trains ``population`` members for
``rounds`` rounds of ``steps`` steps (exploit/explore between rounds, the model state
carried by trial checkpoints); the grid trains ``population`` constant rates, log-spaced
over the stable range, for ``rounds * steps`` steps each. Reported per seed and as a
median: the best final loss of each method (loss = expected quadratic loss of the final
iterate, exact), and the learning-rate schedule PBT found for its best member.

    python benchmarks/early_stopping/bench_pbt.py --seeds 7                  # ~2 s
    python benchmarks/early_stopping/bench_pbt.py --seeds 7 --population 16 --rounds 10
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

import tunelab as tl
from tunelab.distributions import FloatDistribution

LR_LOW, LR_HIGH = 1e-3, 1.5


class NoisyQuadratic:
    """``loss(x) = sum(h * x**2) / 2``; stochastic gradients ``h * x + sqrt(h) * noise``."""

    def __init__(self, seed: int, dim: int = 100, noise: float = 1.0) -> None:
        rng = np.random.default_rng(seed)
        self.h = np.geomspace(1e-3, 1.0, dim)
        self.x0 = rng.normal(0.0, 3.0, size=dim)
        self.noise = noise

    def loss(self, x: np.ndarray) -> float:
        return float(0.5 * np.sum(self.h * x**2))

    def train(self, x: np.ndarray, lr: float, steps: int, rng: np.random.Generator) -> np.ndarray:
        x = x.copy()
        root = np.sqrt(self.h) * self.noise
        for _ in range(steps):
            x -= lr * (self.h * x + root * rng.standard_normal(x.size))
        return x


def run_pbt(
    task: NoisyQuadratic, seed: int, population: int, rounds: int, steps: int, resample: float
) -> tuple[float, list[float]]:
    pbt = tl.schedulers.PBT(
        {"lr": FloatDistribution(LR_LOW, LR_HIGH, log=True)},
        population_size=population,
        rounds=rounds,
        resample_probability=resample,
        seed=seed,
    )

    def objective(trial: tl.Trial) -> float:
        lr = trial.suggest_float("lr", LR_LOW, LR_HIGH, log=True)
        state = trial.load_checkpoint()
        x = task.x0 if state is None else state
        rng = np.random.default_rng([seed, trial.number])
        x = task.train(x, lr, steps, rng)
        trial.save_checkpoint(x)
        return task.loss(x)

    study = tl.create_study(sampler=pbt)
    study.optimize(objective, n_trials=pbt.n_trials)
    chains = tl.schedulers.lineage(study.trials)
    best = min(chains.values(), key=lambda chain: chain[-1].value or np.inf)
    return float(best[-1].value or np.inf), [float(t.params["lr"]) for t in best]


def run_grid(
    task: NoisyQuadratic, seed: int, population: int, rounds: int, steps: int
) -> tuple[float, float]:
    lrs = [float(v) for v in np.geomspace(LR_LOW, LR_HIGH, population)]
    study = tl.create_study(sampler=tl.samplers.GridSampler({"lr": lrs}))

    def objective(trial: tl.Trial) -> float:
        lr = trial.suggest_categorical("lr", lrs)
        rng = np.random.default_rng([seed, 10_000 + trial.number])
        x = task.x0
        for r in range(rounds):
            x = task.train(x, lr, steps, rng)
            trial.report(task.loss(x), r)
        return task.loss(x)

    study.optimize(objective)
    return float(study.best_value), float(study.best_params["lr"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--resample", type=float, default=0.25, help="PBT resample_probability")
    args = parser.parse_args()
    print("# PBT vs. a grid of constant learning rates (noisy quadratic, same SGD steps)\n")
    print(f"- command: `python {' '.join(sys.argv)}`")
    print(
        f"- {args.population} members x {args.rounds} rounds x {args.steps} steps for PBT; "
        f"{args.population} constant rates x {args.rounds * args.steps} steps for the grid\n"
    )
    print(
        "| seed | grid best final loss (its lr) | PBT best final loss | PBT ÷ grid "
        "| PBT's schedule (lr per round) |"
    )
    print("|---:|---:|---:|---:|---|")
    ratios, pbt_losses, grid_losses = [], [], []
    start = time.perf_counter()
    for seed in range(args.seeds):
        task = NoisyQuadratic(seed)
        grid_loss, grid_lr = run_grid(task, seed, args.population, args.rounds, args.steps)
        pbt_loss, schedule = run_pbt(
            task, seed, args.population, args.rounds, args.steps, args.resample
        )
        ratios.append(pbt_loss / grid_loss)
        pbt_losses.append(pbt_loss)
        grid_losses.append(grid_loss)
        print(
            f"| {seed} | {grid_loss:.4g} ({grid_lr:.3g}) | {pbt_loss:.4g} | "
            f"{pbt_loss / grid_loss:.2f} | " + ", ".join(f"{lr:.3g}" for lr in schedule) + " |"
        )
        sys.stdout.flush()
    print(
        f"\nMedian best final loss: grid {statistics.median(grid_losses):.4g}, PBT "
        f"{statistics.median(pbt_losses):.4g} (PBT ÷ grid {statistics.median(ratios):.2f}; "
        f"< 1 means PBT better); PBT better on {sum(r < 1 for r in ratios)}/{len(ratios)} "
        f"seeds. Wall time {time.perf_counter() - start:.0f} s."
    )


if __name__ == "__main__":
    main()
