"""Import optional heavy dependencies lazily, with an error that names the extra."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingDependencyError(ImportError):
    """An optional dependency is not installed."""


def soft_import(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise an error that says which extra to install.

    Parameters
    ----------
    module : str
        Module name, e.g. ``'neuron'``.
    extra : str
        The neuraxis extra that provides it, e.g. ``'neuron'``.
    purpose : str
        What it is needed for, shown in the message.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{purpose} needs the optional dependency {module!r}, which is not installed. "
            f"Install it with: pip install 'neuraxis[{extra}]'"
        ) from exc
