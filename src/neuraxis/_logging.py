"""The package logger: one logger named ``neuraxis``, quiet by default.

Long-running public functions take a keyword-only ``verbose`` argument
(``None`` keeps the current level, ``True`` means INFO, ``False`` WARNING, or a
level name); progress bars are shown only when the level is INFO or lower.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

logger = logging.getLogger("neuraxis")
logger.addHandler(logging.NullHandler())
logger.setLevel(logging.WARNING)

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR}


def _to_level(verbose: bool | str | int | None) -> int:
    if verbose is None:
        return logger.level
    if verbose is True:
        return logging.INFO
    if verbose is False:
        return logging.WARNING
    if isinstance(verbose, str):
        from neuraxis._validate import check_option

        return _LEVELS[check_option("verbose", verbose.lower(), tuple(_LEVELS))]
    return int(verbose)


def set_log_level(verbose: bool | str | int | None = None) -> int:
    """Set the package log level and attach a console handler if none is set.

    Parameters
    ----------
    verbose : bool | str | int | None
        ``True`` for INFO, ``False`` for WARNING, a level name or number.

    Returns
    -------
    int
        The previous level, so callers can restore it.
    """
    old = logger.level
    logger.setLevel(_to_level(verbose))
    if not any(isinstance(h, logging.StreamHandler) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s [neuraxis] %(message)s"))
        logger.addHandler(handler)
    return old


@contextlib.contextmanager
def use_log_level(verbose: bool | str | int | None) -> Iterator[None]:
    """Temporarily set the package log level (no-op for ``verbose=None``)."""
    if verbose is None:
        yield
        return
    old = logger.level
    logger.setLevel(_to_level(verbose))
    try:
        yield
    finally:
        logger.setLevel(old)


def progress_enabled() -> bool:
    """Whether progress bars should be shown (log level INFO or lower)."""
    return logger.getEffectiveLevel() <= logging.INFO
