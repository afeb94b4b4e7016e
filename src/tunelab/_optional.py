"""One helper that imports an optional dependency or explains how to install it."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module`` or raise an ImportError naming the extra that provides it.

    Args:
        module: The importable module name, e.g. ``"pandas"``.
        extra: The tunelab extra that installs it, e.g. ``"pandas"``.
        feature: What the caller wanted to do, used in the message.

    Returns:
        The imported module.

    Raises:
        ImportError: The module is not installed; the message gives the pip command.

    Example:
        >>> json = require("json", "core", "reading JSON")
        >>> json.dumps([1])
        '[1]'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{feature} needs the optional dependency {module!r}, which is not installed. "
            f"Install it with: pip install 'tunelab[{extra}]'"
        ) from exc
