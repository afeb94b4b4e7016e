"""Tables and convergence plots from the raw runs of ``run.py`` (recomputable at any time).

    python benchmarks/quality/report.py --from benchmarks/results/20261123-101500/

Reads ``config.json`` and ``raw/*.json`` in that folder and (re)writes ``results.md`` and
``plots/<problem>.png``.

Simple regret after t trials = noiseless value of the incumbent after t trials minus the
known optimum, floored at 1e-12. The incumbent is the trial with the best *observed* value
so far, so on noiseless problems this is just the best value so far; on the noisy problem
it is what a user would pick, scored on its noiseless value. A run that stopped early (a
grid that ran out of points, an optimizer error) keeps its last incumbent.
"""

from __future__ import annotations

import argparse
import json
import math
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

FLOOR = 1e-12
TIE = 0.05  # |difference of median log10 regrets| at or below this counts as a tie

# tunelab samplers and their counterpart in a peer library, for the head-to-head table.
PAIRS = (
    ("tunelab-random", "optuna-random"),
    ("tunelab-qmc", "optuna-random"),
    ("tunelab-tpe", "optuna-tpe"),
    ("tunelab-tpe-uni", "optuna-tpe-uni"),
    ("tunelab-cmaes", "optuna-cmaes"),
    ("tunelab-gp", "optuna-gp"),
    ("tunelab-auto", "optuna-tpe"),
)


def regret_curve(run: dict[str, Any], optimum: float, n: int) -> np.ndarray:
    """log10 simple regret after 1..n trials (NaN before the first trial)."""
    out = np.full(n, np.nan)
    best_obs, inc_true = math.inf, math.nan
    observed, true = run["observed"], run["true"]
    for t in range(n):
        if t < len(observed) and observed[t] < best_obs:
            best_obs, inc_true = observed[t], true[t]
        if not math.isnan(inc_true):
            out[t] = math.log10(max(inc_true - optimum, FLOOR))
    return out


def final_regret(run: dict[str, Any], optimum: float) -> float:
    curve = regret_curve(run, optimum, max(len(run["observed"]), 1))
    return float(10 ** curve[-1]) if not np.isnan(curve[-1]) else math.nan


def load(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    config = json.loads((folder / "config.json").read_text())
    runs = [json.loads(p.read_text()) for p in sorted((folder / "raw").glob("*.json"))]
    return config, runs


def _fmt(x: float) -> str:
    return "—" if x is None or np.isnan(x) else f"{x:.2f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _ranks(values: dict[str, float]) -> dict[str, float]:
    """Average ranks (1 = lowest value), ties sharing the mean of their ranks."""
    ordered = sorted((v, k) for k, v in values.items())
    ranks: dict[str, float] = {}
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1][0] == ordered[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[ordered[k][1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


# The sampler issue's bars: GP vs. Optuna's GP; TPE vs. Optuna's TPE, as each library's
# default (multivariate in both; grouped here, with constant liar in Optuna 5), the
# univariate TPE of each, and grouped multivariate against grouped multivariate.
TARGET_PAIRS = (
    ("tunelab-gp", "optuna-gp"),
    ("tunelab-tpe", "optuna-tpe"),
    ("tunelab-tpe-uni", "optuna-tpe-uni"),
    ("tunelab-tpe", "optuna-tpe-mv"),
)


def _targets(avg_rank: dict[str, dict[int, float]], budgets: list[int]) -> list[str]:
    """The sampler issue's quality bars, read off the average ranks."""
    lines = ["## Targets\n"]
    rows = []
    for b in budgets:
        ranked = sorted((r[b], o) for o, r in avg_rank.items() if b in r and not math.isnan(r[b]))
        if not ranked:
            continue
        place = (
            [o for _, o in ranked].index("tunelab-auto") + 1 if "tunelab-auto" in avg_rank else 0
        )
        cells = [
            f"{b}",
            f"{place} of {len(ranked)}" if place else "—",
            f"{ranked[0][1]} ({_fmt(ranked[0][0])})",
        ]
        for ours, theirs in TARGET_PAIRS:
            a, c = avg_rank.get(ours, {}).get(b), avg_rank.get(theirs, {}).get(b)
            ok = a is not None and c is not None and a <= c
            cells.append(
                "—" if a is None or c is None else f"{_fmt(a)} vs {_fmt(c)} {'✓' if ok else '✗'}"
            )
        rows.append(cells)
    header = ["budget", "tunelab-auto's place by average rank", "best average rank"]
    header += [f"{a} vs {b} (avg rank)" for a, b in TARGET_PAIRS]
    lines.append(_table(header, rows))
    lines.append("")
    return lines


def build(folder: Path, seeds: list[int] | None = None) -> str:
    """Write results.md and the plots; return the markdown.

    With ``seeds``, only the runs of those seeds count (e.g. the seeds that every
    optimizer of a run still in progress has finished).
    """
    config, runs = load(folder)
    if seeds is not None:
        runs = [r for r in runs if r["seed"] in seeds]
        config = {**config, "seeds": sorted(set(seeds))}
    budgets: list[int] = config["budgets"]
    n_max = budgets[-1]
    problems = [p for p in config["problems"] if any(r["problem"] == p for r in runs)]
    optimizers = [o for o in config["optimizers"] if any(r["optimizer"] == o for r in runs)]
    optimum = {p: config["problems"][p]["optimum"] for p in problems}

    curves: dict[tuple[str, str], list[np.ndarray]] = defaultdict(list)
    own: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    short: list[str] = []
    for r in runs:
        if r["problem"] not in optimum or r["optimizer"] not in optimizers:
            continue
        key = (r["problem"], r["optimizer"])
        if r["n_evaluated"]:
            curves[key].append(regret_curve(r, optimum[r["problem"]], n_max))
        if r["overhead_per_trial"] is not None and not r["error"]:
            own[r["optimizer"]].append(r["overhead_per_trial"])
        if r["error"]:
            last = r["error"].strip().splitlines()[-1]
            errors.append(
                f"{r['problem']} / {r['optimizer']} / seed {r['seed']} "
                f"(after {r['n_evaluated']} trials): `{last[:200]}`"
            )
        elif r["n_evaluated"] < r["n_trials"]:
            short.append(
                f"{r['problem']} / {r['optimizer']} / seed {r['seed']}: stopped after "
                f"{r['n_evaluated']} of {r['n_trials']} trials"
            )

    def median_at(p: str, o: str, b: int) -> float:
        cs = curves.get((p, o))
        if not cs:
            return math.nan
        vals = np.array([c[b - 1] for c in cs])
        vals = vals[~np.isnan(vals)]
        return float(np.median(vals)) if len(vals) else math.nan

    md: list[str] = ["# Sampler quality benchmark", ""]
    md.append(
        f"`{config['command']}` — started {config['started']}, "
        + (f"wall time {config['wall_time']:.0f} s, " if "wall_time" in config else "")
        + f"{len(config['seeds'])} seeds, budgets {', '.join(map(str, budgets))}, "
        f"{config['jobs']} parallel runs, {config['machine']['cpus']} CPUs, "
        f"Python {config['machine']['python']}."
    )
    md.append("")
    md.append(
        "Cells: median over seeds of log10 simple regret (noiseless value of the incumbent "
        "minus the known optimum, floored at 1e-12, so -12 means the optimum was hit). "
        "Lower is better; **bold** = best in the row."
    )
    for note in [*config.get("notes", [])] + [
        f"{k} skipped: {v}" for k, v in config.get("skipped_optimizers", {}).items()
    ]:
        md.append(f"\n- note: {note}")
    md.append("")

    for b in budgets:
        md.append(f"## Median log10 regret after {b} trials\n")
        rows = []
        for p in problems:
            vals = {o: median_at(p, o, b) for o in optimizers}
            finite = [v for v in vals.values() if not np.isnan(v)]
            best = min(finite) if finite else math.nan
            rows.append(
                [p]
                + [
                    f"**{_fmt(vals[o])}**" if vals[o] == best else _fmt(vals[o])
                    for o in optimizers
                ]
            )
        md.append(_table(["problem", *optimizers], rows))
        md.append("")

    md.append("## Average rank across problems (1 = best)\n")
    md.append(
        "Per problem and budget, optimizers are ranked by median log10 regret (ties share "
        "their mean rank), then ranks are averaged over the problems."
    )
    md.append("")
    avg_rank: dict[str, dict[int, float]] = {o: {} for o in optimizers}
    for b in budgets:
        per_opt: dict[str, list[float]] = defaultdict(list)
        for p in problems:
            vals = {o: median_at(p, o, b) for o in optimizers}
            vals = {o: v for o, v in vals.items() if not np.isnan(v)}
            for o, rk in _ranks(vals).items():
                per_opt[o].append(rk)
        for o in optimizers:
            avg_rank[o][b] = float(np.mean(per_opt[o])) if per_opt[o] else math.nan
    order = sorted(optimizers, key=lambda o: (np.nan_to_num(avg_rank[o][budgets[-1]], nan=1e9), o))
    md.append(
        _table(
            ["optimizer", *[f"{b} trials" for b in budgets]],
            [[o, *[_fmt(avg_rank[o][b]) for b in budgets]] for o in order],
        )
    )
    md.append("")

    md.extend(_targets(avg_rank, budgets))

    pairs = [(a, b) for a, b in PAIRS if a in optimizers and b in optimizers]
    if pairs:
        md.append("## tunelab vs. its counterpart\n")
        md.append(
            "Per budget: the median over problems of (tunelab's median log10 regret - the "
            "peer's), negative = tunelab better; problems won / tied / lost by tunelab (tie: "
            f"within {TIE} decades); and the ratio of own time per trial peer / tunelab "
            "(> 1 = tunelab faster)."
        )
        md.append("")
        rows = []
        for a, b in pairs:
            cells = []
            for bud in budgets:
                diffs = [median_at(p, a, bud) - median_at(p, b, bud) for p in problems]
                diffs = [d for d in diffs if not np.isnan(d)]
                if not diffs:
                    cells.append("—")
                    continue
                w = sum(d < -TIE for d in diffs)
                lo = sum(d > TIE for d in diffs)
                cells.append(f"{np.median(diffs):+.2f} ({w}/{len(diffs) - w - lo}/{lo})")
            ratio = f"{np.median(own[b]) / np.median(own[a]):.2f}x" if own[a] and own[b] else "—"
            rows.append([f"{a} vs {b}", *cells, ratio])
        md.append(
            _table(
                ["pair", *[f"{bud} trials: Δ (W/T/L)" for bud in budgets], "own time ratio"],
                rows,
            )
        )
        md.append("")

    md.append("## Own time per trial\n")
    md.append(
        f"Optimizer time per trial = (wall time of a run - time inside the objective) / "
        f"trials, for runs of {n_max} trials; median over all its runs (all problems and "
        "seeds), one thread per run. The ratio is to the median of "
        + ("`tunelab-random`." if "tunelab-random" in own else "the fastest optimizer.")
    )
    md.append("")
    meds = {o: float(np.median(own[o])) for o in optimizers if own[o]}
    base = meds.get("tunelab-random") or (min(meds.values()) if meds else math.nan)
    rows = []
    for o in sorted(meds, key=meds.__getitem__):
        lo, hi = np.percentile(own[o], [10, 90])
        rows.append(
            [
                o,
                f"{meds[o] * 1e3:.2f}",
                f"{lo * 1e3:.2f} - {hi * 1e3:.2f}",
                f"{meds[o] / base:.1f}x",
                config["optimizers"][o]["version"],
            ]
        )
    md.append(_table(["optimizer", "median ms/trial", "p10 - p90", "ratio", "version"], rows))
    md.append("")

    md.append("## Problems\n")
    md.append(
        _table(
            ["problem", "d", "optimum", "source", "description"],
            [
                [
                    p,
                    str(config["problems"][p]["dimension"]),
                    f"{optimum[p]:.6g}",
                    config["problems"][p]["optimum_source"],
                    config["problems"][p]["description"],
                ]
                for p in problems
            ],
        )
    )
    md.append("")
    md.append("## Optimizers\n")
    md.append(
        _table(
            ["optimizer", "library", "version", "conditional spaces"],
            [
                [
                    o,
                    config["optimizers"][o]["library"],
                    config["optimizers"][o]["version"],
                    config["optimizers"][o]["conditional"],
                ]
                for o in optimizers
            ],
        )
    )
    md.append("")
    if short or errors:
        md.append("## Incomplete runs\n")
        md += [f"- {line}" for line in short + errors]
        md.append("")

    md.append("## Convergence plots\n")
    try:
        plots = _plots(folder, problems, optimizers, curves, optimum, budgets)
        md += [f"![{p}](plots/{p}.png)" for p in plots]
    except ImportError as exc:
        md.append(f"No plots: {exc} (pip install matplotlib).")
    md.append("")
    text = "\n".join(md)
    (folder / "results.md").write_text(text)
    return text


def _plots(
    folder: Path,
    problems: list[str],
    optimizers: list[str],
    curves: dict[tuple[str, str], list[np.ndarray]],
    optimum: dict[str, float],
    budgets: list[int],
) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (folder / "plots").mkdir(exist_ok=True)
    palette = [*plt.get_cmap("tab10").colors, *plt.get_cmap("Dark2").colors]
    colors = {o: palette[i % len(palette)] for i, o in enumerate(optimizers)}
    done = []
    for p in problems:
        fig, ax = plt.subplots(figsize=(9, 5))
        for o in optimizers:
            cs = curves.get((p, o))
            if not cs:
                continue
            arr = np.array(cs)
            x = np.arange(1, arr.shape[1] + 1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
                med = np.nanmedian(arr, axis=0)
                q1, q3 = np.nanpercentile(arr, [25, 75], axis=0)
            tunelab = o.startswith("tunelab-")
            ax.plot(
                x,
                med,
                color=colors[o],
                drawstyle="steps-post",
                lw=2.2 if tunelab else 1.3,
                ls="-" if tunelab else "--",
                label=o,
            )
            ax.fill_between(x, q1, q3, color=colors[o], alpha=0.12, lw=0, step="post")
        for b in budgets:
            ax.axvline(b, color="0.85", lw=0.8, zorder=0)
        ax.set_xlabel("trials")
        ax.set_ylabel("log10 simple regret (median, IQR band)")
        n_seeds = max(len(curves.get((p, o), [])) for o in optimizers)
        ax.set_title(f"{p} (optimum {optimum[p]:.6g}, {n_seeds} seeds)")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(folder / "plots" / f"{p}.png", dpi=100)
        plt.close(fig)
        done.append(p)
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="folder", type=Path, required=True)
    parser.add_argument(
        "--seeds", type=int, nargs="+", help="tabulate only these seeds (default: all)"
    )
    args = parser.parse_args()
    print(build(args.folder, args.seeds))


if __name__ == "__main__":
    main()
