"""Integrator backends, registered by name (Brian2-style); ``'auto'`` picks one.

A backend is a function with the signature of
:func:`neuraxis.axons.backends.numpy_ref.simulate_numpy`: it runs one batch of
fibers of one cable structure and returns a
:class:`~neuraxis.axons.backends._common.SimulationResult`. The registry is a
plain dict from name to ``(module, function, required package)``; modules load
only when a backend is used, so ``import neuraxis.axons`` stays light.

======== ==================================================== ===================
name     what                                                 needs
======== ==================================================== ===================
numpy    reference: banded Cholesky per fiber (slow, plain)   NumPy, SciPy
numba    compiled SIMD block-Thomas kernel, threads on chunks numba
======== ==================================================== ===================

Every fast backend is tested against the reference within a stated tolerance
(``tests/unit/test_backends.py``, ``tests/unit/test_integrators.py``).

Examples
--------
>>> from neuraxis.axons.backends import available_backends, resolve_backend
>>> "numpy" in available_backends()
True
>>> resolve_backend("numpy")
'numpy'
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable

from neuraxis._logging import logger
from neuraxis._validate import NeuraxisInputError, check_option

#: name -> (module, function, package it needs); the order is the 'auto' preference
#: (fastest first, the reference last).
BACKENDS: dict[str, tuple[str, str, str]] = {
    "numba": ("neuraxis.axons.backends.numba_cpu", "simulate_numba", "numba"),
    "numpy": ("neuraxis.axons.backends.numpy_ref", "simulate_numpy", "scipy"),
}
#: The reference every other backend is tested against.
REFERENCE = "numpy"


def backend_names() -> tuple[str, ...]:
    """Names a ``backend`` argument accepts: ``'auto'`` and every registered backend."""
    return ("auto", *BACKENDS)


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def available_backends() -> tuple[str, ...]:
    """Registered backends whose package is installed, in 'auto' preference order."""
    return tuple(name for name, (_, _, pkg) in BACKENDS.items() if _installed(pkg))


def resolve_backend(name: str) -> str:
    """The concrete backend for ``name``; ``'auto'`` picks the first available one.

    Parameters
    ----------
    name : str
        ``'auto'`` or a registered backend name.

    Returns
    -------
    str
        A registered backend name (``'auto'`` is logged at INFO with its choice).

    Raises
    ------
    NeuraxisInputError
        For an unknown name (the message lists the registered ones), or a backend
        whose package is not installed.
    """
    check_option("backend", name, backend_names())
    if name == "auto":
        avail = available_backends()
        if not avail:
            raise NeuraxisInputError("No integrator backend is available: install scipy or numba")
        chosen = avail[0]
        logger.info("backend 'auto' chose %r (available: %s)", chosen, ", ".join(avail))
        return chosen
    pkg = BACKENDS[name][2]
    if not _installed(pkg):
        raise NeuraxisInputError(
            f"Invalid value for 'backend': {name!r} needs the package {pkg!r}, which is not "
            f"installed (available: {', '.join(available_backends()) or 'none'})")
    return name


def get_backend(name: str) -> Callable:
    """The simulate function of a backend (``'auto'`` resolved as in :func:`resolve_backend`)."""
    module, func, _ = BACKENDS[resolve_backend(name)]
    return getattr(importlib.import_module(module), func)
