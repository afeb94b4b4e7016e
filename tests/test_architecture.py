"""The layer rules of DESIGN.md, checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tunelab"

# Layer of each module (by dotted name below tunelab); the longest matching prefix wins.
LAYERS: dict[str, int] = {
    "_version": 0,
    "exceptions": 0,
    "_typing": 0,
    "_optional": 0,
    "distributions": 0,
    "_records": 0,
    "_space": 0,
    "_encoding": 0,
    "_validate": 0,
    "_view": 1,
    "_clock": 1,
    "callbacks": 1,
    "storages._base": 1,
    "samplers._base": 1,
    "pruners._base": 1,
    "execution._base": 1,
    "storages": 2,
    "samplers": 2,
    "pruners": 2,
    "execution._sequential": 2,
    "execution._threads": 2,
    "execution": 2,
    "trial": 3,
    "study": 3,
    "schedulers": 4,
    "cli": 5,
    "sklearn": 5,
    "__init__": 5,
    "__main__": 5,
}
# L2 packages may import each other only where declared.
L2_PACKAGES = ("storages", "samplers", "pruners", "execution")
ALLOWED_SIBLINGS: set[tuple[str, str]] = set()
# Modules outside the layers (nothing in the package may import them).
OUTSIDE = ("testing",)
# L3 modules that may name concrete defaults (sampler/pruner/storage implementations).
DEFAULTS_MODULE = "study._api"
CONCRETE_DEFAULTS = {"AutoSampler", "RandomSampler", "NopPruner", "InMemoryStorage", "get_storage"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _layer(name: str) -> int | None:
    best = None
    for prefix, layer in LAYERS.items():
        if (name == prefix or name.startswith(prefix + ".")) and (
            best is None or len(prefix) > len(best[0])
        ):
            best = (prefix, layer)
    return None if best is None else best[1]


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module below tunelab, imported names) for every tunelab import in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("tunelab."):
                    found.append((alias.name.removeprefix("tunelab."), []))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "tunelab":
                for alias in node.names:
                    is_module = (SRC / alias.name).is_dir() or (SRC / f"{alias.name}.py").exists()
                    found.append((alias.name, []) if is_module else ("__init__", [alias.name]))
            elif node.module.startswith("tunelab."):
                found.append((node.module.removeprefix("tunelab."), [a.name for a in node.names]))
    return found


MODULES = sorted(p for p in SRC.rglob("*.py") if "testing" not in p.relative_to(SRC).parts)


def test_every_module_has_a_layer() -> None:
    missing = [_module_name(p) for p in MODULES if _layer(_module_name(p)) is None]
    assert missing == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_imports_respect_layers(path: Path) -> None:
    me = _module_name(path)
    my_layer = _layer(me)
    assert my_layer is not None
    my_package = me.split(".")[0]
    for target, names in _imports(path):
        top = target.split(".")[0]
        assert top not in OUTSIDE, f"{me} imports {target}, which nothing may import"
        their_layer = _layer(target)
        assert their_layer is not None, f"{me} imports unknown module {target}"
        assert their_layer <= my_layer, (
            f"{me} (L{my_layer}) imports {target} (L{their_layer}): upward import"
        )
        if my_layer == 2 and top in L2_PACKAGES and top != my_package and their_layer == 2:
            assert (my_package, top) in ALLOWED_SIBLINGS, f"{me} imports sibling {target}"
        if my_layer == 5 and me != "__init__" and top != my_package:  # the facade re-exports
            private = [p for p in target.split(".") if p.startswith("_") and p != "__init__"]
            assert private == [], f"{me} (L5) imports private {target}"
        if my_layer == 3 and me != DEFAULTS_MODULE:
            assert not CONCRETE_DEFAULTS & set(names), (
                f"{me} names a concrete default {CONCRETE_DEFAULTS & set(names)}; "
                f"only {DEFAULTS_MODULE} may"
            )


def test_the_checker_catches_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from tunelab.study import Study\n")
    assert _imports(bad) == [("study", ["Study"])]
    assert _layer("study") == 3 > _layer("distributions") == 0
