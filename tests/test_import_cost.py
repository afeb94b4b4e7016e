"""``import tunelab`` stays light: optional and heavy dependencies load on use only."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = [
    "torch",
    "sklearn",
    "pandas",
    "plotly",
    "dask",
    "ray",
    "starlette",
    "sqlalchemy",
    "scipy",
    "tqdm",
    "matplotlib",
    "alembic",
]


def _loaded_after(code: str) -> set[str]:
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


def test_import_tunelab_loads_no_heavy_dependency() -> None:
    loaded = _loaded_after("import tunelab")
    assert "tunelab" in loaded
    assert sorted(loaded & set(HEAVY)) == []


def test_the_check_sees_a_heavy_import() -> None:
    loaded = _loaded_after("import tunelab, tqdm")
    assert "tqdm" in loaded


def test_import_has_no_side_effects_on_logging_or_warnings() -> None:
    code = (
        "import logging, warnings\n"
        "import numpy  # numpy installs its own warning filters; they are not ours\n"
        "before = (len(logging.getLogger().handlers), list(warnings.filters))\n"
        "import tunelab\n"
        "after = (len(logging.getLogger().handlers), list(warnings.filters))\n"
        "assert before == after, (before, after)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
