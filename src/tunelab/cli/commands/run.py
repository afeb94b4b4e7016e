"""``tunelab run study.yaml``: run (or continue) the study a YAML file describes."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import tunelab as tl
from tunelab.cli._config import StudyConfig, load_config
from tunelab.cli._objectives import build_objective


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the command."""
    parser = subparsers.add_parser(
        "run",
        help="run the study described in a YAML file",
        description="Run the study described in a YAML file (storage, direction, sampler, "
        "pruner, search space, objective); running it again continues the same study. "
        "See the README for the format.",
    )
    parser.add_argument("config", metavar="STUDY.yaml", help="the study description")
    parser.add_argument("--n-trials", type=int, help="override n_trials of the file")
    parser.add_argument("--timeout", type=float, help="override timeout (seconds)")
    parser.add_argument("--n-jobs", type=int, help="override n_jobs")
    parser.add_argument(
        "--json", action="store_true", help="print a JSON summary (no progress bar)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def open_study(config: StudyConfig) -> tl.Study:
    """Create or continue the configured study."""
    return tl.create_study(
        storage=config.storage,
        study_name=config.study_name,
        directions=config.directions,
        sampler=config.make_sampler(),
        pruner=config.make_pruner(),
        load_if_exists=True,
    )


def summary(study: tl.Study, config: StudyConfig, ran: int) -> dict[str, Any]:
    """What the run did and the best configuration, as a JSON-able dict."""
    trials = study.trials
    states = {s.name.lower(): sum(t.state is s for t in trials) for s in tl.TrialState}
    out: dict[str, Any] = {
        "study": study.study_name,
        "storage": config.storage,
        "trials_run": ran,
        "trials_total": len(trials),
        "states": {k: v for k, v in states.items() if v},
    }
    complete = [t for t in trials if t.state is tl.TrialState.COMPLETE]
    if not complete:
        return out
    if len(study.directions) == 1:
        best = study.best_trial
        out["best"] = {"number": best.number, "value": best.value, "params": dict(best.params)}
    else:
        out["best"] = [
            {"number": t.number, "values": list(t.values or ()), "params": dict(t.params)}
            for t in study.best_trials
        ]
    return out


def _print_table(info: dict[str, Any]) -> None:
    states = ", ".join(f"{n} {k}" for k, n in info["states"].items())
    print(f"study {info['study']!r} in {info['storage']}")
    print(f"trials: {info['trials_run']} run now, {info['trials_total']} in total ({states})")
    best = info.get("best")
    if best is None:
        return
    for entry in best if isinstance(best, list) else [best]:
        value = entry.get("value", entry.get("values"))
        print(f"best trial {entry['number']}: value {value!r}")
        width = max(len(k) for k in entry["params"]) if entry["params"] else 0
        for name, param in entry["params"].items():
            print(f"  {name:<{width}}  {param!r}")


def run(args: argparse.Namespace) -> int:
    """Run the study; exit 1 if no trial has completed."""
    config = load_config(args.config)
    study = open_study(config)
    objective = build_objective(config)
    before = len(study.trials)
    n_trials = args.n_trials if args.n_trials is not None else config.n_trials
    timeout = args.timeout if args.timeout is not None else config.timeout
    if n_trials is None and timeout is None:
        n_trials = 20
        print("tunelab: no n_trials or timeout given; running 20 trials", file=sys.stderr)
    study.optimize(
        objective,
        n_trials=n_trials,
        timeout=timeout,
        n_jobs=args.n_jobs if args.n_jobs is not None else config.n_jobs,
        catch=(Exception,),
        show_progress_bar=not (args.json or args.quiet),
    )
    info = summary(study, config, len(study.trials) - before)
    if args.json:
        sys.stdout.write(json.dumps(info, indent=2) + "\n")
    else:
        _print_table(info)
    if "best" not in info:
        failed = [t for t in study.trials if t.state is tl.TrialState.FAIL]
        reason = failed[-1].system_attrs.get("fail_reason") if failed else None
        print(
            "tunelab: error: no trial completed"
            + (f"; the last failure: {reason}" if reason else ""),
            file=sys.stderr,
        )
        return 1
    return 0
