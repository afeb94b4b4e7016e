"""``tunelab run study.yaml``, ``tunelab ask`` / ``tell``, and every config error path."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

import tunelab as tl
from tests.cli.test_commands import assert_one_line_error, run_cli

OBJECTIVE_MODULE = """
import math

def quadratic(params):
    value = (params["x"] - 0.3) ** 2
    if params["kind"] == "b":
        value += params["offset"]
    return value

def metrics(params):
    return {"loss": (params["x"] - 0.3) ** 2, "accuracy": 1 - params["x"]}

def reporting(trial):
    x = trial.params["x"]
    for step in range(5):
        trial.report(x * (5 - step), step)
        if trial.should_prune():
            import tunelab
            raise tunelab.TrialPruned()
    return x

def broken(params):
    raise RuntimeError("objective exploded")
"""

TRAIN_SCRIPT = """
import json, sys, time
args = dict(a.split("=") for a in sys.argv[1:])
x = float(args["x"])
if x > 0.5:
    print("diverged", file=sys.stderr)
    sys.exit(3)
for step in range(3):
    print(json.dumps({"step": step, "value": (x - 0.3) ** 2 + 1.0 / (step + 1)}), flush=True)
if "sleep" in args:
    time.sleep(float(args["sleep"]))
print(json.dumps({"loss": (x - 0.3) ** 2, "accuracy": 0.5}))
"""


def _write(tmp_path: Path, body: str, name: str = "study.yaml") -> Path:
    (tmp_path / "objectives.py").write_text(OBJECTIVE_MODULE)
    (tmp_path / "train.py").write_text(TRAIN_SCRIPT)
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


BASE = textwrap.dedent(
    """
    n_trials: 12
    sampler: {name: tpe, seed: 0}
    space:
      x: {type: float, low: 0.0, high: 1.0}
      kind: {type: categorical, choices: [a, b]}
      offset: {type: float, low: 0.0, high: 0.1, when: {kind: b}}
    """
)


def test_run_creates_the_study_next_to_the_file_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(tmp_path, BASE + "objective: {function: 'objectives:quadratic'}\n")
    code, out, err = run_cli(capsys, "run", str(config), "--quiet")
    assert code == 0, err
    assert "12 run now, 12 in total (12 complete)" in out and "best trial" in out
    storage = f"sqlite:///{tmp_path / 'tunelab.db'}"
    study = tl.load_study(study_name="study", storage=storage)
    assert len(study.trials) == 12
    for trial in study.trials:  # the conditional parameter exists only in its branch
        assert ("offset" in trial.params) == (trial.params["kind"] == "b")
    code, out, _ = run_cli(capsys, "run", str(config), "--json", "--n-trials", "3")
    info = json.loads(out)
    assert code == 0
    assert info["trials_run"] == 3 and info["trials_total"] == 15
    assert (
        info["best"]["value"] == pytest.approx(study.best_value)
        or info["best"]["value"] <= study.best_value
    )


def test_function_metrics_and_trial_argument(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(
        tmp_path,
        BASE.replace("n_trials: 12", "n_trials: 4")
        + "directions: [minimize, maximize]\n"
        + "objective: {function: 'objectives:metrics', metric: [loss, accuracy]}\n",
    )
    code, out, err = run_cli(capsys, "run", str(config), "--json")
    assert code == 0, err
    best = json.loads(out)["best"]
    assert isinstance(best, list) and all(len(b["values"]) == 2 for b in best)
    pruning = _write(
        tmp_path,
        BASE.replace("n_trials: 12", "n_trials: 15")
        + "pruner: {name: median, n_startup_trials: 2}\n"
        + "objective: {function: 'objectives:reporting'}\n",
        "pruned.yaml",
    )
    code, out, err = run_cli(capsys, "run", str(pruning), "--json")
    assert code == 0, err
    assert json.loads(out)["states"].get("pruned", 0) > 0


def test_command_objective_streams_reports_and_records_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(
        tmp_path,
        f"""
        n_trials: 8
        sampler: {{name: random, seed: 3}}
        space:
          x: {{type: float, low: 0.0, high: 1.0}}
        objective:
          command: "{sys.executable} train.py x={{x}}"
          metric: loss
        """,
    )
    code, _, err = run_cli(capsys, "run", str(config), "--json")
    assert code == 0, err
    study = tl.load_study(study_name="study", storage=f"sqlite:///{tmp_path / 'tunelab.db'}")
    complete = [t for t in study.trials if t.state is tl.TrialState.COMPLETE]
    failed = [t for t in study.trials if t.state is tl.TrialState.FAIL]
    assert complete and failed  # x > 0.5 exits with code 3
    for trial in complete:
        assert trial.value == pytest.approx((trial.params["x"] - 0.3) ** 2)
        assert set(trial.intermediate_values) == {0, 1, 2}
        assert trial.user_attrs["metrics"] == {"loss": trial.value, "accuracy": 0.5}
        assert "train.py x=" in trial.user_attrs["command"]
    for trial in failed:
        assert trial.params["x"] > 0.5
        assert trial.user_attrs["command:exit_code"] == 3
        assert "diverged" in trial.user_attrs["command:stderr_tail"]
        assert "exited with code 3" in trial.system_attrs["fail_reason"]


def test_command_timeout_fails_the_trial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(
        tmp_path,
        f"""
        n_trials: 1
        space:
          x: {{type: float, low: 0.1, high: 0.2}}
        objective:
          command: "{sys.executable} train.py x={{x}} sleep=30"
          metric: loss
          timeout: 0.5
        """,
    )
    code, _, err = run_cli(capsys, "run", str(config), "--quiet")
    assert code == 1
    assert "no trial completed" in err and "timed out after 0.5 s" in err


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to see the child")
def test_a_timeout_kills_the_commands_children_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A shell command's own children must not outlive the trial (or keep it waiting)."""
    config = _write(
        tmp_path,
        """
        n_trials: 1
        space:
          x: {type: float, low: 0.1, high: 0.2}
        objective:
          command: "sleep 60 > /dev/null 2>&1 & echo $! > child.pid; wait"
          shell: true
          timeout: 0.5
        """,
    )
    code, _, err = run_cli(capsys, "run", str(config), "--quiet")
    assert code == 1 and "timed out after 0.5 s" in err
    child = int((tmp_path / "child.pid").read_text())
    assert not _running(child)


def test_ask_and_tell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _write(tmp_path, BASE + "objective: {function: 'objectives:quadratic'}\n")
    code, out, _ = run_cli(capsys, "ask", str(config))
    asked = json.loads(out)
    assert code == 0 and asked["number"] == 0 and 0.0 <= asked["params"]["x"] <= 1.0
    code, out, _ = run_cli(capsys, "tell", str(config), "--trial", "0", "--value", "0.25")
    assert code == 0 and json.loads(out) == {"number": 0, "state": "complete", "values": [0.25]}
    run_cli(capsys, "ask", str(config))
    url = f"sqlite:///{tmp_path / 'tunelab.db'}"
    code, out, _ = run_cli(
        capsys, "tell", url, "--study", "study", "--trial", "1", "--state", "pruned"
    )
    assert code == 0 and json.loads(out)["state"] == "pruned"
    code, out, err = run_cli(capsys, "tell", str(config), "--trial", "0", "--value", "1")
    assert_one_line_error(code, out, err, "trial 0 is already COMPLETE")
    code, out, err = run_cli(capsys, "tell", url, "--trial", "0", "--value", "1")
    assert_one_line_error(code, out, err, "--study NAME is needed")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("space: {x: {type: float, low: 0, high: 1}}\n", "objective: is required"),
        ("objective: {function: 'm:f'}\n", "space: is required"),
        (BASE + "objective: {function: 'm:f'}\nspeed: 3\n", "speed: unknown key; allowed:"),
        (
            "space: {x: {type: float, low: 2, high: 1}}\nobjective: {function: 'm:f'}\n",
            "space.x",
        ),
        (
            "space: {x: {type: float, high: 1}}\nobjective: {function: 'm:f'}\n",
            "space.x.low: is required",
        ),
        (
            "space: {x: {type: float, low: a, high: 1}}\nobjective: {function: 'm:f'}\n",
            "space.x.low: must be a number, got 'a'",
        ),
        (
            "space: {x: {type: double, low: 0, high: 1}}\nobjective: {function: 'm:f'}\n",
            "space.x.type: must be float, int or categorical",
        ),
        (
            "space: {x: {type: int, low: 0.5, high: 3}}\nobjective: {function: 'm:f'}\n",
            "space.x.low: must be an integer",
        ),
        (
            "space: {x: {type: float, low: 0, high: 1, colour: red}}\n"
            "objective: {function: 'm:f'}\n",
            "space.x.colour: unknown key",
        ),
        (
            "space: {x: {type: categorical, choices: []}}\nobjective: {function: 'm:f'}\n",
            "space.x.choices: must not be empty",
        ),
        (
            "space: {x: {type: float, low: 0, high: 1, when: {y: 1}}}\n"
            "objective: {function: 'm:f'}\n",
            "space.x.when.y: must name a parameter defined above",
        ),
        (BASE + "objective: {function: 'not a target'}\n", "objective.function: must look like"),
        (BASE + "objective: {function: 'm:f', command: 'x'}\n", "objective: give exactly one"),
        (BASE + "objective: {command: 'run {nope}'}\n", "objective.command: placeholder {nope}"),
        (BASE + "objective: {function: 'm:f', timeout: -1}\n", "objective.timeout: must be > 0"),
        (
            BASE + "direction: up\nobjective: {function: 'm:f'}\n",
            "direction: must be minimize or maximize",
        ),
        (
            BASE + "sampler: annealing\nobjective: {function: 'm:f'}\n",
            "unknown sampler 'annealing'",
        ),
        (BASE + "pruner: {name: median, patience: 3}\nobjective: {function: 'm:f'}\n", "pruner: "),
        (
            BASE.replace("n_trials: 12", "n_trials: 0") + "objective: {function: 'm:f'}\n",
            "n_trials: must be an integer >= 1",
        ),
        (
            BASE + "objective: {function: 'missing_module:f'}\n",
            "objective.function: cannot import",
        ),
        (
            "space: {x: {type: [float], low: 0, high: 1}}\nobjective: {function: 'm:f'}\n",
            "space.x.type: must be float, int or categorical, got ['float']",
        ),
        (
            "space: {n: {type: int, low: 0, high: 9, step: 1.5}}\nobjective: {function: 'm:f'}\n",
            "space.n.step: must be an integer, got 1.5",
        ),
        (
            "space:\n  k: {type: categorical, choices: [a, b]}\n"
            "  x: {type: float, low: 0, high: 1, when: {k: c}}\nobjective: {function: 'm:f'}\n",
            "space.x.when.k: 'c' is not one of k's choices ['a', 'b']",
        ),
        (
            BASE.replace("sampler: {name: tpe, seed: 0}", "sampler: {name: [tpe]}")
            + "objective: {function: 'm:f'}\n",
            "sampler.name: unknown sampler ['tpe']",
        ),
        (BASE + "study_name: [a]\nobjective: {function: 'm:f'}\n", "study_name: must be a string"),
        (
            BASE + "n_trials: 5\nobjective: {function: 'm:f'}\n",
            "n_trials: key given twice in one mapping (line",
        ),
        (BASE + "objective: {command: 'echo {x'}\n", "objective.command: expected '}'"),
        (BASE + "objective: {command: 'echo \"{x}'}\n", "objective.command: No closing quotation"),
        (BASE + "objective: {command: 'echo {x}', cwd: nowhere}\n", "objective.cwd: 'nowhere'"),
        (
            BASE + "objective: {function: 'syntax_error:f'}\n",
            "objective.function: importing 'syntax_error' failed: SyntaxError",
        ),
        (
            BASE + "objective: {function: 'raises_on_import:f'}\n",
            "objective.function: importing 'raises_on_import' failed: RuntimeError: no GPU",
        ),
        ("space: [1, 2\n", "is not valid YAML (line"),
        ("- 1\n- 2\n", "must be a YAML mapping at the top level"),
    ],
)
def test_config_errors_name_the_yaml_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, fragment: str
) -> None:
    if "sampler: annealing" in body or "pruner: {name: median, patience" in body:
        body = body.replace("sampler: {name: tpe, seed: 0}\n", "")
    config = _write(tmp_path, body)
    (tmp_path / "syntax_error.py").write_text("def f(:\n")
    (tmp_path / "raises_on_import.py").write_text("raise RuntimeError('no GPU')\n")
    code, out, err = run_cli(capsys, "run", str(config), "--quiet")
    assert_one_line_error(code, out, err, fragment)
    assert fragment in err


def test_missing_file_and_failing_objective(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "run", str(tmp_path / "nope.yaml"))
    assert_one_line_error(code, out, err, "cannot read")
    config = _write(
        tmp_path,
        BASE.replace("n_trials: 12", "n_trials: 2")
        + "objective: {function: 'objectives:broken'}\n",
    )
    code, out, err = run_cli(capsys, "run", str(config), "--quiet")
    assert code == 1 and "objective exploded" in err and "Traceback" not in err
