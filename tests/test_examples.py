"""Every example script runs (smoke test, with a small budget)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _quickstart(storage: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "quickstart.py"),
            "--trials",
            "6",
            "--seed",
            "1",
            "--storage",
            storage,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_quickstart_runs_resumes_and_reports_the_best_configuration(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'demo.db'}"
    result = _quickstart(storage)
    assert "ran 6 trials" in result.stdout and "0 from earlier runs" in result.stdout
    accuracy = float(result.stdout.split("Best CV accuracy: ")[1].split()[0])
    assert 0.85 < accuracy <= 1.0
    assert "model = " in result.stdout
    assert "best=" in result.stderr  # the progress bar
    again = _quickstart(storage)  # the same command continues the stored study
    assert "6 from earlier runs" in again.stdout
