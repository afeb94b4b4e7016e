"""Every example script runs (smoke test, with a small budget)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_quickstart_runs_and_reports_the_best_configuration() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py"), "--trials", "6", "--seed", "1"],
        check=True, capture_output=True, text=True, timeout=120,
    )
    assert "6 trials" in result.stdout
    accuracy = float(result.stdout.split("Best CV accuracy: ")[1].split()[0])
    assert 0.85 < accuracy <= 1.0
    assert "model = " in result.stdout
    assert "best=" in result.stderr  # the progress bar
