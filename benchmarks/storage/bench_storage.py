"""Storage benchmarks: tunelab vs. Optuna on SQLite, PostgreSQL, journal file and memory.

Three measurements, all in one run of this script, with the peers interleaved:

1. Throughput: trials per second of a no-op objective (one float, one int, one
   categorical parameter) with RandomSampler, in 1 and 2 worker processes. Each worker
   is a spawned process that calls ``load_study(...).optimize(objective, n_trials=k)`` on
   the same study (not ``n_jobs``), so both libraries run the same shape. Every case
   gets a fresh database file / PostgreSQL database; the clock runs from a barrier that
   releases the workers (imports and ``load_study`` done) until the last one finishes.
   Workers catch and count exceptions ("database is locked" and the like) instead of
   crashing, and the trials left in a state other than COMPLETE are counted afterwards.
   Backends: SQLite, PostgreSQL, memory (1 process) for both; Optuna's journal file and,
   for reference, Optuna's SQLite with tunelab's pragmas (WAL, synchronous=NORMAL).
2. Cold load of a study of finished trials with 10 float parameters (built once per
   library with ``add_trials``; building is not measured): in a fresh spawned process,
   the time of ``load_study`` + ``.trials``, then ``best_trial``, then
   ``trials_dataframe()``; and, in another fresh process, the ``tracemalloc`` size held
   after ``.trials`` divided by the number of trials.
3. Process parallelism of tunelab: a CPU-bound ~50 ms objective (busy loop on
   ``time.process_time``) with ``optimize(n_jobs=1)`` vs. ``optimize(n_jobs=2)``, in
   memory and on SQLite, next to the same busy loop in plain processes (what the machine
   delivers; shared VMs often give less than 2x).

PostgreSQL cases use the throwaway server of ``tests/_postgres.py`` (initdb + pg_ctl,
fsync off); they are skipped, with a note, when the server binaries are missing.
Markdown goes to stdout, progress to stderr.

    python benchmarks/storage/bench_storage.py            # full, ~7-10 minutes on 2 cores
    python benchmarks/storage/bench_storage.py --quick    # ~2-3 minutes
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import itertools
import multiprocessing
import os
import platform
import queue
import random
import resource
import shlex
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
LIBS = ("tunelab", "optuna")
SPAWN = multiprocessing.get_context("spawn")
WORKER_TIMEOUT = 300.0  # seconds a worker may take before the case is declared hung

# Rough trials/s on a 2-core VM, used only to size each case to about --seconds of
# work; the measured rate is what the tables report. Key: (library, backend, processes).
RATE_HINT: dict[tuple[str, str, int], float] = {
    ("tunelab", "memory", 1): 20000.0,
    ("optuna", "memory", 1): 8000.0,
    ("tunelab", "sqlite", 1): 450.0,
    ("tunelab", "sqlite", 2): 450.0,
    ("optuna", "sqlite", 1): 90.0,
    ("optuna", "sqlite", 2): 90.0,
    ("tunelab", "postgresql", 1): 150.0,
    ("tunelab", "postgresql", 2): 350.0,
    ("optuna", "postgresql", 1): 65.0,
    ("optuna", "postgresql", 2): 90.0,
    ("optuna", "sqlite-wal", 1): 100.0,
    ("optuna", "sqlite-wal", 2): 100.0,
    ("optuna", "journal", 1): 650.0,
    ("optuna", "journal", 2): 400.0,
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- other load on the machine -------------------------------------------------------------


class CpuMonitor:
    """CPU that processes outside this benchmark used (Linux /proc; shared machines).

    Busy time of the whole machine (/proc/stat) minus this process, its reaped children
    and the benchmark's own PostgreSQL server, as a share of all cores over a period.
    """

    def __init__(self) -> None:
        self.pg_port: int | None = None
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.available = Path("/proc/stat").exists()

    def snapshot(self) -> tuple[float, float, float]:
        """(wall s, machine busy CPU s, own CPU s)."""
        if not self.available:
            return time.monotonic(), 0.0, 0.0
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:8]]
        user, nice, system, _idle, _iowait, irq, softirq = ticks
        busy = (user + nice + system + irq + softirq) / self._tick
        own = sum(
            u.ru_utime + u.ru_stime
            for u in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(-1))
        )
        return time.monotonic(), busy, own + self._postgres_cpu()

    def _postgres_cpu(self) -> float:
        if self.pg_port is None:
            return 0.0
        stats: dict[int, list[str]] = {}
        postmaster = None
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                raw = (entry / "stat").read_text()
                if "(postgres)" not in raw:
                    continue
                fields = raw.rsplit(")", 1)[1].split()
                stats[int(entry.name)] = fields
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            port = str(self.pg_port).encode()
            if any(a == b"-p" and b == port for a, b in itertools.pairwise(argv)):
                postmaster = int(entry.name)
        if postmaster is None:
            return 0.0
        total = 0
        for pid, fields in stats.items():  # fields[1]: ppid; [11:15]: utime stime cutime cstime
            if pid == postmaster:
                total += sum(int(v) for v in fields[11:15])
            elif int(fields[1]) == postmaster:
                total += sum(int(v) for v in fields[11:13])
        return total / self._tick

    def other_share(self, start: tuple[float, float, float]) -> float:
        """Share of all cores used by other processes since ``start`` (0.0 to 1.0)."""
        end = self.snapshot()
        wall = max(end[0] - start[0], 1e-9)
        return max(0.0, (end[1] - start[1]) - (end[2] - start[2])) / (wall * (os.cpu_count() or 1))


CPU = CpuMonitor()


def other_load_note(share: float) -> str:
    flag = (
        " - the machine was busy with other work, so treat these numbers with care"
        if (share > 0.1)
        else ""
    )
    return (
        f"Other processes on this machine used {share:.0%} of its CPU during this section "
        f"(busy time from /proc/stat minus this benchmark's own processes){flag}."
    )


# -- objectives (top-level: spawned workers and n_jobs workers import them) -----------------


def noop_objective(trial: Any) -> float:
    trial.suggest_float("x", 0.0, 1.0)
    trial.suggest_int("y", 0, 10)
    trial.suggest_categorical("z", ["a", "b", "c"])
    return 0.0


def busy_worker(n_trials: int) -> None:
    for _ in range(n_trials):
        end = time.process_time() + 0.05  # ~50 ms of CPU
        while time.process_time() < end:
            pass


def cpu_objective(trial: Any) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    busy_worker(1)
    return x


# -- both libraries behind one small interface ------------------------------------------


def quiet_optuna() -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna


# Backends that only Optuna runs: its journal file, and its RDBStorage on SQLite with the
# pragmas tunelab sets (WAL, synchronous=NORMAL: no fsync per commit), which shows how
# much of the SQLite gap is durability settings rather than code.
OPTUNA_ONLY = ("sqlite-wal", "journal")


def sqlite_connection(path: str, *pragmas: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=5.0, check_same_thread=False)
    for pragma in pragmas:
        conn.execute(pragma)
    return conn


def storage_arg(lib: str, backend: str, location: str | None) -> Any:
    """What ``storage=`` gets: None (memory), a URL, or an Optuna storage object."""
    if backend == "memory":
        return None
    if backend == "journal":
        optuna = quiet_optuna()
        from optuna.storages.journal import JournalFileBackend

        return optuna.storages.JournalStorage(JournalFileBackend(str(location)))
    if backend == "sqlite-wal":
        assert lib == "optuna" and location is not None
        path = location.removeprefix("sqlite:///")
        creator = functools.partial(
            sqlite_connection, path, "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"
        )
        return quiet_optuna().storages.RDBStorage(location, engine_kwargs={"creator": creator})
    return location


def random_sampler(lib: str, seed: int) -> Any:
    if lib == "tunelab":
        import tunelab as tl

        return tl.samplers.RandomSampler(seed=seed)
    return quiet_optuna().samplers.RandomSampler(seed=seed)


def create_study(lib: str, storage: Any, name: str, seed: int = 0) -> Any:
    if lib == "tunelab":
        import tunelab as tl

        return tl.create_study(storage=storage, study_name=name, sampler=random_sampler(lib, seed))
    optuna = quiet_optuna()
    return optuna.create_study(storage=storage, study_name=name, sampler=random_sampler(lib, seed))


def load_study(lib: str, storage: Any, name: str, seed: int = 0) -> Any:
    if lib == "tunelab":
        import tunelab as tl

        return tl.load_study(storage=storage, study_name=name, sampler=random_sampler(lib, seed))
    optuna = quiet_optuna()
    return optuna.load_study(storage=storage, study_name=name, sampler=random_sampler(lib, seed))


def release(study: Any) -> None:
    """Close the pooled connections a study's storage holds in this process."""
    storage = getattr(study, "storage", None) or getattr(study, "_storage", None)
    for obj in (storage, getattr(storage, "_backend", None)):
        engine = getattr(obj, "engine", None)
        if engine is not None:
            engine.dispose()
        if obj is not None and hasattr(obj, "dispose"):
            obj.dispose()


def state_counts(lib: str, study: Any) -> Counter[str]:
    trials = study.trials if lib == "tunelab" else study.get_trials(deepcopy=False)
    return Counter(t.state.name for t in trials)


# -- 1. throughput -------------------------------------------------------------------------


def throughput_worker(
    lib: str,
    backend: str,
    location: str | None,
    study_name: str,
    n_trials: int,
    seed: int,
    barrier: Any,
    results: Any,
) -> None:
    finished = 0
    errors: Counter[str] = Counter()

    def count(_study: Any, _trial: Any) -> None:
        nonlocal finished
        finished += 1

    try:
        storage = storage_arg(lib, backend, location)
        if backend == "memory":
            study = create_study(lib, storage, study_name, seed)
        else:
            study = load_study(lib, storage, study_name, seed)
        barrier.wait(timeout=WORKER_TIMEOUT)
        start = time.monotonic()
        attempts = 0
        while finished < n_trials and attempts < 1000:
            attempts += 1
            try:
                study.optimize(noop_objective, n_trials=n_trials - finished, callbacks=[count])
            except Exception as exc:  # "database is locked" and friends: count, go on
                errors[f"{type(exc).__name__}: {str(exc).splitlines()[0][:90]}"] += 1
        end = time.monotonic()
        results.put({"start": start, "end": end, "finished": finished, "errors": dict(errors)})
    except BaseException:
        barrier.abort()
        results.put({"crash": traceback.format_exc()})


@dataclass
class Sample:
    rate: float
    seconds: float
    trials: int
    errors: Counter[str] = field(default_factory=Counter)
    not_complete: int = 0
    other: float = 0.0  # share of the CPU that other processes used meanwhile


@dataclass
class Location:
    """Where one case's study lives, made fresh for every case."""

    tmp: Path
    pg_base: str | None
    serial: int = 0

    def new(self, lib: str, backend: str, procs: int) -> str | None:
        self.serial += 1
        tag = f"{lib}_{backend}_{procs}p_{self.serial}"
        if backend in ("sqlite", "sqlite-wal"):
            return f"sqlite:///{self.tmp / (tag + '.db')}"
        if backend == "journal":
            return str(self.tmp / (tag + ".log"))
        if backend == "postgresql":
            from tests._postgres import create_database

            assert self.pg_base is not None
            return create_database(self.pg_base, tag)
        return None

    def drop(self, backend: str, location: str | None) -> None:
        if backend in ("sqlite", "sqlite-wal") and location:
            path = location.removeprefix("sqlite:///")
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
        elif backend == "journal" and location:
            for leftover in self.tmp.glob(Path(location).name + "*"):
                leftover.unlink(missing_ok=True)
        elif backend == "postgresql" and location:
            import psycopg

            base, name = location.rsplit("/", 1)
            dsn = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_throughput(
    lib: str, backend: str, procs: int, n_trials: int, seed: int, where: Location
) -> Sample:
    location = where.new(lib, backend, procs)
    name = "bench"
    if backend != "memory":
        study = create_study(lib, storage_arg(lib, backend, location), name)
        release(study)
        del study
    per_worker = [n_trials // procs + (i < n_trials % procs) for i in range(procs)]
    barrier = SPAWN.Barrier(procs + 1)
    results = SPAWN.Queue()
    workers = [
        SPAWN.Process(
            target=throughput_worker,
            args=(lib, backend, location, name, k, seed + 1000 * i, barrier, results),
        )
        for i, k in enumerate(per_worker)
    ]
    reports = []
    try:
        for worker in workers:
            worker.start()
        with contextlib.suppress(threading.BrokenBarrierError):  # a worker crashed: see below
            barrier.wait(timeout=WORKER_TIMEOUT)
        for _ in workers:
            try:
                reports.append(results.get(timeout=WORKER_TIMEOUT))
            except queue.Empty:
                reports.append({"crash": "no report (hung or killed)"})
        for worker in workers:
            worker.join(timeout=30)
    finally:  # also on Ctrl-C: leave no worker writing into the temporary directory
        for worker in workers:
            if worker.is_alive():
                worker.kill()
                worker.join()
    crashes = [r["crash"] for r in reports if "crash" in r]
    if crashes:
        raise RuntimeError(f"{lib}/{backend}/{procs}p worker crashed:\n{crashes[0]}")
    seconds = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    finished = sum(r["finished"] for r in reports)
    errors: Counter[str] = Counter()
    for report in reports:
        errors.update(report["errors"])
    not_complete = 0
    if backend != "memory":
        study = load_study(lib, storage_arg(lib, backend, location), name)
        states = state_counts(lib, study)
        release(study)
        del study
        not_complete = sum(n for state, n in states.items() if state != "COMPLETE")
        if states["COMPLETE"] != finished:
            errors[f"storage holds {states['COMPLETE']} COMPLETE, workers counted {finished}"] += 1
    gc.collect()
    where.drop(backend, location)
    return Sample(finished / seconds, seconds, finished, errors, not_complete)


def throughput_section(args: argparse.Namespace, where: Location, backends: list[str]) -> None:
    cases = [(b, p) for b in backends for p in ((1,) if b == "memory" else (1, 2))]
    samples: dict[tuple[str, str, int], list[Sample]] = {}
    section_start = CPU.snapshot()
    for repeat in range(args.repeats):
        for index, (backend, procs) in enumerate(cases):
            order = LIBS if (repeat + index) % 2 == 0 else LIBS[::-1]
            for lib in order:
                if backend in OPTUNA_ONLY and lib == "tunelab":
                    continue
                rate = RATE_HINT[(lib, backend, procs)]
                n_trials = max(20 * procs, round(rate * args.seconds))
                log(f"throughput r{repeat + 1}: {lib} {backend} {procs}p, {n_trials} trials")
                before = CPU.snapshot()
                sample = run_throughput(lib, backend, procs, n_trials, repeat, where)
                sample.other = CPU.other_share(before)
                log(
                    f"  -> {sample.rate:.0f} trials/s in {sample.seconds:.1f} s "
                    f"(other load {sample.other:.0%})"
                )
                samples.setdefault((lib, backend, procs), []).append(sample)

    other = CPU.other_share(section_start)

    def med(key: tuple[str, str, int]) -> float:
        return statistics.median(s.rate for s in samples[key])

    print("\n## 1. Throughput: no-op objective, 3 parameters, RandomSampler\n")
    print(
        f"Trials per second over all worker processes (median of {args.repeats} "
        f"interleaved repeat(s); each case ~{args.seconds:g} s of work, fresh database). "
        "Errors: exceptions caught in the workers; not COMPLETE: trials left in another "
        "state in the storage; other load: share of the machine's CPU that processes "
        "outside this benchmark used during the case (worst repeat).\n"
    )
    print(
        "| library | backend | procs | trials/s (median) | min-max | trials | s/case "
        "| errors | not COMPLETE | other load (max) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend, procs in cases:
        for lib in LIBS:
            runs = samples.get((lib, backend, procs))
            if not runs:
                continue
            errors = sum((s.errors for s in runs), Counter())
            print(
                f"| {lib} | {backend} | {procs} | {med((lib, backend, procs)):,.0f} | "
                f"{min(s.rate for s in runs):,.0f}-{max(s.rate for s in runs):,.0f} | "
                f"{runs[0].trials:,} | {statistics.median(s.seconds for s in runs):.1f} | "
                f"{sum(errors.values())} | {sum(s.not_complete for s in runs)} | "
                f"{max(s.other for s in runs):.0%} |"
            )
    all_errors = Counter()
    for key, runs in samples.items():
        for run in runs:
            for message, n in run.errors.items():
                all_errors[f"{key[0]} {key[1]} {key[2]}p: {message}"] += n
    if all_errors:
        print("\nErrors seen (summed over repeats):\n")
        for message, n in all_errors.most_common():
            print(f"- {n} x {message}")
    print(f"\n{other_load_note(other)}")

    print(
        "\nRatios, trials/s tunelab ÷ trials/s peer (> 1 means tunelab faster): of the "
        "medians, and of each side's best repeat (the run least disturbed by other load).\n"
    )
    print("| tunelab backend | peer | procs | ratio of medians | ratio of best runs |")
    print("|---|---|---:|---:|---:|")

    def ratio_row(ours: tuple[str, str, int], peer: tuple[str, str, int], label: str) -> None:
        if ours in samples and peer in samples:
            of_medians = med(ours) / med(peer)
            of_best = max(s.rate for s in samples[ours]) / max(s.rate for s in samples[peer])
            print(f"| {ours[1]} | {label} | {ours[2]} | {of_medians:.2f}x | {of_best:.2f}x |")

    for backend, procs in cases:
        ratio_row(("tunelab", backend, procs), ("optuna", backend, procs), f"Optuna {backend}")
    peers = {
        "sqlite-wal": "Optuna sqlite, WAL + synchronous=NORMAL",
        "journal": "Optuna journal file",
    }
    for peer, label in peers.items():
        for procs in (1, 2):
            ratio_row(("tunelab", "sqlite", procs), ("optuna", peer, procs), label)
    if ("tunelab", "sqlite", 2) in samples and ("tunelab", "sqlite", 1) in samples:
        print("\nScaling from 1 to 2 processes (trials/s 2p ÷ 1p):\n")
        print("| library | backend | 2p ÷ 1p |")
        print("|---|---|---:|")
        for backend in backends:
            for lib in LIBS:
                if (lib, backend, 2) in samples:
                    scale = med((lib, backend, 2)) / med((lib, backend, 1))
                    print(f"| {lib} | {backend} | {scale:.2f}x |")


# -- 2. cold load --------------------------------------------------------------------------

N_LOAD_PARAMS = 10


def build_load_study(lib: str, url: str, n_trials: int) -> float:
    rng = random.Random(12345)
    names = [f"p{i}" for i in range(N_LOAD_PARAMS)]
    rows = [({n: rng.random() for n in names}, rng.random()) for _ in range(n_trials)]
    start = time.perf_counter()
    if lib == "tunelab":
        import tunelab as tl
        from tunelab.distributions import FloatDistribution

        dists = {n: FloatDistribution(0.0, 1.0) for n in names}
        study = tl.create_study(storage=url, study_name="load")
        study.add_trials(tl.create_trial(value=v, params=p, distributions=dists) for p, v in rows)
    else:
        optuna = quiet_optuna()
        odists = {n: optuna.distributions.FloatDistribution(0.0, 1.0) for n in names}
        # Building only: no fsync per inserted trial (on a busy disk that alone takes
        # minutes). The file keeps SQLite's default rollback journal, as Optuna leaves it.
        path = url.removeprefix("sqlite:///")
        fast = functools.partial(sqlite_connection, path, "PRAGMA synchronous=OFF")
        storage = optuna.storages.RDBStorage(url, engine_kwargs={"creator": fast})
        study = optuna.create_study(storage=storage, study_name="load")
        study.add_trials(
            [optuna.trial.create_trial(value=v, params=p, distributions=odists) for p, v in rows]
        )
    elapsed = time.perf_counter() - start
    release(study)
    return elapsed


def _preimport(lib: str) -> None:
    import pandas  # noqa: F401  (imported lazily by trials_dataframe; not what is timed)
    import sqlalchemy  # noqa: F401

    if lib == "tunelab":
        import tunelab.storages.rdb  # noqa: F401
    else:
        quiet_optuna()


def load_time_worker(lib: str, url: str, n_trials: int) -> dict[str, Any]:
    _preimport(lib)
    gc.collect()
    t0 = time.perf_counter()
    study = load_study(lib, url, "load")
    t_open = time.perf_counter()
    trials = study.trials
    t1 = time.perf_counter()
    best = study.best_trial
    t2 = time.perf_counter()
    frame = study.trials_dataframe()
    t3 = time.perf_counter()
    assert len(trials) == n_trials, len(trials)
    assert best.value == min(t.value for t in trials)
    assert frame.shape[0] == n_trials
    return {"load": t1 - t0, "open": t_open - t0, "best": t2 - t1, "dataframe": t3 - t2}


def load_memory_worker(lib: str, url: str, n_trials: int) -> dict[str, Any]:
    import tracemalloc

    _preimport(lib)
    # Open the study once untraced so that one-time costs (modules imported lazily by
    # load_study, e.g. Alembic) are not charged to the trials; the storage opened below
    # is a new one, with empty caches.
    release(load_study(lib, url, "load"))
    gc.collect()
    tracemalloc.start()
    study = load_study(lib, url, "load")
    after_load, _ = tracemalloc.get_traced_memory()
    trials = study.trials
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(trials) == n_trials
    return {"study": after_load, "current": current, "peak": peak}


def in_fresh_process(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=SPAWN) as pool:
        return pool.submit(fn, *args).result(timeout=WORKER_TIMEOUT)


def load_section(args: argparse.Namespace, where: Location) -> None:
    n = args.load_trials
    section_start = CPU.snapshot()
    urls = {lib: f"sqlite:///{where.tmp / f'load_{lib}.db'}" for lib in LIBS}
    built = {}
    for lib in LIBS:
        log(f"load: building {n:,} trials for {lib} (not measured)")
        built[lib] = build_load_study(lib, urls[lib], n)
        log(f"  -> {built[lib]:.1f} s")
    times: dict[str, list[dict[str, Any]]] = {lib: [] for lib in LIBS}
    for repeat in range(args.load_repeats):
        for lib in LIBS if repeat % 2 == 0 else LIBS[::-1]:
            log(f"load r{repeat + 1}: {lib} cold load in a fresh process")
            times[lib].append(in_fresh_process(load_time_worker, lib, urls[lib], n))
    memory = {}
    for lib in LIBS:
        log(f"load: {lib} tracemalloc in a fresh process")
        memory[lib] = in_fresh_process(load_memory_worker, lib, urls[lib], n)
    other = CPU.other_share(section_start)

    def med(lib: str, key: str) -> float:
        return statistics.median(t[key] for t in times[lib])

    def row(label: str, keys: tuple[str, ...]) -> None:
        tl_s = sum(med("tunelab", k) for k in keys)
        op_s = sum(med("optuna", k) for k in keys)
        tl_best = min(sum(t[k] for k in keys) for t in times["tunelab"])
        op_best = min(sum(t[k] for k in keys) for t in times["optuna"])
        print(
            f"| {label} | {tl_s:.3f} | {op_s:.3f} | {op_s / max(tl_s, 1e-9):.2f}x "
            f"| {op_best / max(tl_best, 1e-9):.2f}x |"
        )

    print(f"\n## 2. Cold load of a study of {n:,} finished trials, {N_LOAD_PARAMS} floats each\n")
    print(
        f"SQLite file, each measurement in a fresh spawned process (imports done before the "
        f"clock starts); median of {args.load_repeats} interleaved repeat(s), in seconds. "
        "Ratio: Optuna time ÷ tunelab time (> 1 means tunelab faster); best: the same of "
        "each side's fastest repeat.\n"
    )
    print("| step | tunelab s | Optuna s | ratio | ratio (best) |")
    print("|---|---:|---:|---:|---:|")
    steps = (
        ("load", "`load_study` + `.trials`"),
        ("best", "then `best_trial`"),
        ("dataframe", "then `trials_dataframe()`"),
    )
    for key, label in steps:
        row(label, (key,))
        if key == "load":
            row("(of which `load_study` alone)", ("open",))
    row("total (sum of medians; best: fastest total)", tuple(k for k, _ in steps))

    print(
        "\nMemory held after `load_study` + `.trials`, per trial: tracemalloc started just "
        "before `load_study` in a fresh process (after one untraced `load_study` whose "
        "storage was closed, so lazily imported modules are not counted); the list of "
        "trials is held. "
        "Ratio: Optuna ÷ tunelab (> 1 means tunelab leaner).\n"
    )
    print("| measure | tunelab | Optuna | ratio |")
    print("|---|---:|---:|---:|")
    for key, label in (("current", "current bytes / trial"), ("peak", "peak bytes / trial")):
        tl_b, op_b = memory["tunelab"][key] / n, memory["optuna"][key] / n
        print(f"| {label} | {tl_b:,.0f} | {op_b:,.0f} | {op_b / tl_b:.2f}x |")
    tl_k, op_k = memory["tunelab"]["study"] / 1024, memory["optuna"]["study"] / 1024
    print(f"| `load_study` alone, KiB | {tl_k:,.0f} | {op_k:,.0f} | {op_k / tl_k:.2f}x |")
    print(
        f"\nBuilding the studies with `add_trials` (not part of the comparison): "
        f"tunelab {built['tunelab']:.1f} s, Optuna {built['optuna']:.1f} s (Optuna's "
        "connection with `synchronous=OFF` while building, so no fsync per trial)."
    )
    print(f"\n{other_load_note(other)}")


# -- 3. process parallelism ----------------------------------------------------------------


def cpu_run(backend: str, n_jobs: int, n_trials: int, where: Location) -> dict[str, float]:
    import tunelab as tl

    location = where.new("tunelab", backend, n_jobs)
    study = tl.create_study(
        storage=location, study_name="cpu", sampler=tl.samplers.RandomSampler(seed=n_jobs)
    )
    gc.collect()
    start = time.perf_counter()
    study.optimize(cpu_objective, n_trials=n_trials, n_jobs=n_jobs)
    wall = time.perf_counter() - start
    trials = study.trials
    assert len(trials) == n_trials and all(t.state.name == "COMPLETE" for t in trials)
    span = (
        max(t.datetime_complete for t in trials) - min(t.datetime_start for t in trials)
    ).total_seconds()
    release(study)
    del study
    where.drop(backend, location)
    return {"wall": wall, "span": span}


def plain_run(n_procs: int, n_trials: int) -> dict[str, float]:
    """The same busy loop without tunelab: what the machine gives (start-up excluded)."""
    from concurrent.futures import ProcessPoolExecutor

    if n_procs == 1:
        start = time.perf_counter()
        busy_worker(n_trials)
        wall = time.perf_counter() - start
        return {"wall": wall, "span": wall}
    with ProcessPoolExecutor(n_procs, mp_context=SPAWN) as pool:
        list(pool.map(busy_worker, [0] * n_procs))  # start the workers before the clock
        start = time.perf_counter()
        list(pool.map(busy_worker, [n_trials // 2, n_trials - n_trials // 2]))
        wall = time.perf_counter() - start
    return {"wall": wall, "span": wall}


def parallel_section(args: argparse.Namespace, where: Location) -> None:
    n = args.cpu_trials
    backends = ("plain", "memory", "sqlite")
    runs: dict[tuple[str, int], list[dict[str, float]]] = {}
    cold: tuple[str, dict[str, float]] | None = None  # the first n_jobs=2 call
    section_start = CPU.snapshot()
    for repeat in range(args.cpu_repeats):
        for backend in backends:
            for n_jobs in (1, 2) if repeat % 2 == 0 else (2, 1):
                log(f"parallel r{repeat + 1}: {backend} n_jobs={n_jobs}, {n} trials")
                if backend == "plain":
                    result = plain_run(n_jobs, n)
                else:
                    result = cpu_run(backend, n_jobs, n, where)
                    if n_jobs == 2 and cold is None:
                        cold = (backend, result)
                log(f"  -> {result['wall']:.1f} s")
                runs.setdefault((backend, n_jobs), []).append(result)
    other = CPU.other_share(section_start)

    def med(backend: str, n_jobs: int, key: str) -> float:
        return statistics.median(r[key] for r in runs[(backend, n_jobs)])

    print(f"\n## 3. tunelab process parallelism: CPU-bound ~50 ms objective, {n} trials\n")
    print(
        f"`study.optimize(obj, n_trials={n}, n_jobs=...)` on {os.cpu_count()} cores, median "
        f"of {args.cpu_repeats} interleaved repeat(s). Wall: the whole `optimize` call, worker "
        "start-up included. Span: first trial start to last trial end (start-up excluded). "
        "The `plain` row runs the same busy loop in 1 process vs. 2 already-started "
        "processes without tunelab: the speedup this machine delivers (ideal 2.00x). "
        "Best: fastest n_jobs=1 run ÷ fastest n_jobs=2 run.\n"
    )
    print(
        "| storage | n_jobs=1 wall s | n_jobs=2 wall s | speedup (wall) | speedup (wall, best) "
        "| speedup (span) | speedup (span, best) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")

    def best(backend: str, n_jobs: int, key: str) -> float:
        return min(r[key] for r in runs[(backend, n_jobs)])

    for backend in backends:
        w1, w2 = med(backend, 1, "wall"), med(backend, 2, "wall")
        speedups = [
            f(backend, 1, key) / f(backend, 2, key)
            for key in ("wall", "span")
            for f in (med, best)
        ]
        label = "plain processes (no tunelab)" if backend == "plain" else backend
        print(
            f"| {label} | {w1:.2f} | {w2:.2f} | "
            + " | ".join(f"{x:.2f}x" for x in speedups)
            + " |"
        )
    if cold is not None:
        backend, result = cold
        print(
            f"\nThe first `n_jobs=2` call of this process ({backend}) also started the "
            f"fork server that later calls reuse: {result['wall']:.2f} s wall, speedup "
            f"{med(backend, 1, 'wall') / result['wall']:.2f}x against the median "
            "n_jobs=1 wall."
        )
    print(f"\n{other_load_note(other)}")


# -- main ----------------------------------------------------------------------------------


@contextmanager
def maybe_postgres(enabled: bool) -> Iterator[str | None]:
    if not enabled:
        yield None
        return
    sys.path.insert(0, str(REPO_ROOT))
    from tests._postgres import find_pg_bin, postgres_server

    if find_pg_bin() is None:
        log("PostgreSQL server binaries not found: PostgreSQL cases skipped")
        yield None
        return
    with postgres_server() as base:
        CPU.pg_port = int(base.rsplit(":", 1)[1])
        yield base


def tunelab_revision() -> str:
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return ""
    dirty = " + uncommitted changes in src/" if git("status", "--porcelain", "src") else ""
    return f" (git {commit}{dirty})"


def versions(pg_base: str | None) -> str:
    from importlib.metadata import version

    parts = [f"Python {platform.python_version()}"]
    for dist in ("tunelab", "optuna", "sqlalchemy", "psycopg", "pandas"):
        parts.append(f"{dist} {version(dist)}" + (tunelab_revision() if dist == "tunelab" else ""))
    parts.append(f"SQLite {sqlite3.sqlite_version}")
    if pg_base:
        import psycopg

        dsn = pg_base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
        with psycopg.connect(dsn) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        parts.append(f"PostgreSQL {row[0] if row else '?'} (fsync off)")
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller, ~2-3 minute variant")
    parser.add_argument("--repeats", type=int, help="throughput repeats (full 3, quick 1)")
    parser.add_argument("--seconds", type=float, help="work per throughput case (3 / 2)")
    parser.add_argument(
        "--load-trials", type=int, help="trials of the loaded study (10000 / 5000)"
    )
    parser.add_argument("--load-repeats", type=int, help="cold-load repeats (3 / 1)")
    parser.add_argument("--cpu-trials", type=int, help="trials of the parallel case (100 / 40)")
    parser.add_argument("--cpu-repeats", type=int, help="parallel-case repeats (3 / 2)")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL cases")
    parser.add_argument(
        "--sections", default="123", help="which sections to run, e.g. '13' (default 123)"
    )
    args = parser.parse_args()
    defaults = {
        "repeats": (3, 1),
        "seconds": (3.0, 2.0),
        "load_trials": (10000, 5000),
        "load_repeats": (3, 1),
        "cpu_trials": (100, 40),
        "cpu_repeats": (3, 2),
    }
    for key, (full, quick) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, quick if args.quick else full)

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="tunelab-bench-storage-"))
    try:
        with maybe_postgres(not args.no_postgres and "1" in args.sections) as pg_base:
            where = Location(tmp, pg_base)
            command = shlex.join(["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]])
            print("# Storage benchmark: tunelab vs. Optuna\n")
            print(f"- command: `{command}`")
            print(f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
            print(f"- versions: {versions(pg_base)}")
            print(
                f"- machine: {platform.machine()}, {os.cpu_count()} CPU cores, "
                f"{platform.system()} {platform.release()}; temporary files in {tmp.parent}"
            )
            sys.stdout.flush()
            if "1" in args.sections:
                backends = ["sqlite", "sqlite-wal", "postgresql", "journal", "memory"]
                if pg_base is None:
                    backends.remove("postgresql")
                    print("\nPostgreSQL cases skipped (no server binaries, or --no-postgres).")
                throughput_section(args, where, backends)
                sys.stdout.flush()
            if "2" in args.sections:
                load_section(args, where)
                sys.stdout.flush()
            if "3" in args.sections:
                parallel_section(args, where)
            print(f"\nTotal run time: {time.perf_counter() - started:.0f} s.")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
