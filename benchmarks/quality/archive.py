"""Keep benchmark runs in git, compactly, and merge runs made in different sessions.

A full run takes hours on 2 cores, and ``benchmarks/results/`` is not committed, so the
raw runs behind a committed table would be lost with the machine. ``pack`` writes a run
folder's config and its runs (without the proposed parameters, and without the observed
values where they equal the noiseless ones) to one gzipped JSON-lines file under
``benchmarks/quality/runs/``; ``merge`` unpacks one or more archives or folders into a
fresh run folder that ``report.py --from`` (and ``run.py --resume``) read as if it had
been run in one go.

    python benchmarks/quality/archive.py pack benchmarks/results/full-50 runs/full-50.jsonl.gz
    python benchmarks/quality/archive.py merge benchmarks/results/all \\
        benchmarks/quality/runs/full-50.jsonl.gz benchmarks/results/hebo-50
    python benchmarks/quality/report.py --from benchmarks/results/all

When a run (problem, optimizer, seed) is in several sources, the last source wins; the
merged config keeps the budgets every source reached and the union of the rest.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path
from typing import Any

DROPPED = ("params",)  # the proposals themselves: large, and no table reads them


def _compact(run: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in run.items() if k not in DROPPED}
    out["observed"] = None if run["observed"] == run["true"] else run["observed"]
    return out


def _expand(run: dict[str, Any]) -> dict[str, Any]:
    out = dict(run)
    if out["observed"] is None:
        out["observed"] = list(out["true"])
    return out


def read(source: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The config and the runs of a run folder or of an archive written by ``pack``."""
    if source.is_dir():
        config = json.loads((source / "config.json").read_text())
        runs = [json.loads(p.read_text()) for p in sorted((source / "raw").glob("*.json"))]
        return config, runs
    with gzip.open(source, "rt") as fh:
        lines = [json.loads(line) for line in fh if line.strip()]
    if not lines or "budgets" not in lines[0]:
        raise SystemExit(f"{source}: not an archive written by `archive.py pack`")
    return lines[0], [_expand(r) for r in lines[1:]]


def pack(folder: Path, archive: Path) -> int:
    """Write ``folder``'s config and runs to ``archive``; return the number of runs."""
    config, runs = read(folder)
    archive.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(archive, "wt") as fh:
        fh.write(json.dumps(config) + "\n")
        for run in runs:
            fh.write(json.dumps(_compact(run)) + "\n")
    return len(runs)


def _merge_configs(configs: list[dict[str, Any]]) -> dict[str, Any]:
    merged = dict(configs[0])
    budgets = set(configs[0]["budgets"])
    for config in configs[1:]:
        budgets &= set(config["budgets"])
        for key in ("problems", "optimizers", "skipped_optimizers"):
            merged[key] = {**merged.get(key, {}), **config.get(key, {})}
        merged["seeds"] = sorted(set(merged["seeds"]) | set(config["seeds"]))
    for name in merged["optimizers"]:
        merged.get("skipped_optimizers", {}).pop(name, None)
    merged["budgets"] = sorted(budgets)
    merged["command"] = "merged: " + " + ".join(c["command"] for c in configs)
    merged.pop("wall_time", None)
    return merged


def merge(out: Path, sources: list[Path]) -> int:
    """Unpack ``sources`` into the run folder ``out``; return the number of runs."""
    if (out / "raw").exists() and any((out / "raw").iterdir()):
        raise SystemExit(f"{out}/raw is not empty: merge into a new folder")
    (out / "raw").mkdir(parents=True, exist_ok=True)
    configs, runs = [], {}
    for source in sources:
        config, source_runs = read(source)
        configs.append(config)
        for run in source_runs:
            runs[(run["problem"], run["optimizer"], run["seed"])] = run
    config = _merge_configs(configs)
    for (problem, optimizer, seed), run in runs.items():
        path = out / "raw" / f"{problem}__{optimizer}__s{seed}.json"
        path.write_text(json.dumps(run) + "\n")
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return len(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    p = sub.add_parser("pack", help="run folder -> one .jsonl.gz archive")
    p.add_argument("folder", type=Path)
    p.add_argument("archive", type=Path)
    m = sub.add_parser("merge", help="archives and/or run folders -> a new run folder")
    m.add_argument("out", type=Path)
    m.add_argument("sources", type=Path, nargs="+")
    args = parser.parse_args()
    if args.verb == "pack":
        print(f"{pack(args.folder, args.archive)} runs -> {args.archive}")
    else:
        print(f"{merge(args.out, args.sources)} runs -> {args.out}")


if __name__ == "__main__":
    main()
