"""Population-based training of a PyTorch network: a learning-rate schedule, discovered.

Eight copies of a small network are trained on scikit-learn's digits in rounds of two
epochs. After each round the worst quarter copies the weights and optimiser state of a
top member (``trial.load_checkpoint()``) and perturbs its learning rate and momentum;
the result is a schedule per lineage. Runs on the GPU when there is one.

    python examples/pbt_pytorch.py                    # CPU: about 20 s
    python examples/pbt_pytorch.py --device cuda --n-jobs 2
"""

from __future__ import annotations

import argparse

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import tunelab as tl
from tunelab.distributions import FloatDistribution

EPOCHS_PER_ROUND = 2


def load_data(device: str) -> tuple[torch.Tensor, ...]:
    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    as_x = lambda a: torch.tensor(scaler.transform(a), dtype=torch.float32, device=device)  # noqa: E731
    as_y = lambda a: torch.tensor(a, dtype=torch.long, device=device)  # noqa: E731
    return as_x(X_train), as_y(y_train), as_x(X_val), as_y(y_val)


def make_objective(device: str):  # type: ignore[no-untyped-def]
    def objective(trial: tl.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
        momentum = trial.suggest_float("momentum", 0.0, 0.99)
        X_train, y_train, X_val, y_val = load_data(device)
        torch.manual_seed(trial.number)
        model = torch.nn.Sequential(
            torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)
        ).to(device)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        checkpoint = trial.load_checkpoint()  # None in round 0, else a parent's state
        if checkpoint is not None:
            model.load_state_dict(checkpoint["model"])
            optimizer.load_state_dict(checkpoint["optimizer"])
            for group in optimizer.param_groups:  # PBT's new settings for this round
                group["lr"], group["momentum"] = lr, momentum
        for _ in range(EPOCHS_PER_ROUND):
            order = torch.randperm(len(X_train), device=device)
            for start in range(0, len(X_train), 32):
                batch = order[start : start + 32]
                loss = torch.nn.functional.cross_entropy(model(X_train[batch]), y_train[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        with torch.no_grad():
            accuracy = (model(X_val).argmax(dim=1) == y_val).float().mean().item()
        trial.save_checkpoint({"model": model.state_dict(), "optimizer": optimizer.state_dict()})
        return accuracy

    return objective


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args()
    pbt = tl.schedulers.PBT(
        {"lr": FloatDistribution(1e-4, 1.0, log=True), "momentum": FloatDistribution(0.0, 0.99)},
        population_size=args.population,
        rounds=args.rounds,
        seed=0,
    )
    study = tl.create_study(direction="maximize", sampler=pbt)
    study.optimize(make_objective(args.device), n_trials=pbt.n_trials, n_jobs=args.n_jobs)
    chains = tl.schedulers.lineage(study.trials)
    member, chain = max(chains.items(), key=lambda item: item[1][-1].value or 0.0)
    print(f"device: {args.device}; {len(study.trials)} segments")
    print(f"best member {member}: validation accuracy {chain[-1].value:.4f}")
    for segment in chain:
        print(
            f"  round {segment.system_attrs['pbt:round']}: lr={segment.params['lr']:.4g} "
            f"momentum={segment.params['momentum']:.3f} -> {segment.value:.4f}"
            + (
                f"  (copied member {segment.system_attrs['pbt:exploited']})"
                if "pbt:exploited" in segment.system_attrs
                else ""
            )
        )


if __name__ == "__main__":
    main()
