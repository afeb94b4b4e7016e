from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tunelab
from tunelab.cli import main


def test_version_flag_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"tunelab {tunelab.__version__}"


def test_no_arguments_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "usage: tunelab" in capsys.readouterr().out


def test_unknown_option_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--no-such-option"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_installed_entry_point_runs() -> None:
    exe = shutil.which("tunelab", path=str(Path(sys.executable).parent))
    assert exe is not None, "the tunelab console script is not installed"
    out = subprocess.run([exe, "--help"], check=True, capture_output=True, text=True).stdout
    assert "usage: tunelab" in out and "create_study" in out


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tunelab", "--version"], check=True, capture_output=True, text=True
    ).stdout
    assert tunelab.__version__ in out
