"""The web app's settings, declared once: name (unit in the name), default, help.

:data:`SETTINGS` is the one table; :class:`WebSettings` is the frozen, validated value the
app is built with (:func:`web_settings`). Each setting can also come from an environment
variable ``NEURAXIS_WEB_<NAME>`` (upper case); ``docs/web.md`` lists them all (a test
checks that every one is documented).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, fields
from typing import Any

from neuraxis._validate import NeuraxisInputError, check_int

#: name -> (default, help). ``None`` defaults are filled in by :func:`web_settings`.
SETTINGS: dict[str, tuple[Any, str]] = {
    "db_url": (None, "Registry database URL (sqlite:///PATH or postgresql://...); default "
                     "$NEURAXIS_REGISTRY_URL, else registry.sqlite in the user data folder."),
    "host": ("127.0.0.1", "Address the server listens on; single-user mode and cookies "
                          "without the Secure flag only on 127.0.0.1."),
    "single_user": (None, "Single-user mode (no login, one local clinician): allowed only on "
                          "127.0.0.1 while no account exists; default: on exactly then."),
    "secret_key": (None, "Key that signs the session cookie; default: a random key per "
                         "process (every session ends when the server restarts)."),
    "session_max_age_s": (8 * 3600, "Session lifetime (s) before a new login is needed."),
    "max_upload_bytes": (1_000_000, "Largest request body accepted (bytes); larger "
                                    "uploads are refused with 413."),
    "login_max_failures": (5, "Failed logins allowed per user name and address in the "
                              "window before the login answers 429."),
    "login_window_s": (15 * 60, "Window of the login rate limit (s)."),
    "sweeps_dir": (None, "Folder of the uncertainty sweeps started from the SCS page (one "
                         "sub-folder each: samples, tables, figures); default: web-sweeps in "
                         "the user data folder."),
    "sweep_workers": (None, "Local Dask workers of a sweep started from the SCS page, one "
                            "thread each; default: the cores less one (at least 1)."),
    "sweep_scheduler": (None, "Address of a running Dask scheduler (tcp://host:8786) that "
                              "runs the sweeps instead of a local cluster."),
    "sweep_max_runs": (256, "Most model runs, N x (inputs + 2), that one sweep started from "
                            "the SCS page may ask for."),
}


def _is_loopback_only(host: str) -> bool:
    """True for 127.0.0.1 only: 'localhost' may resolve elsewhere, 0.0.0.0 is everyone."""
    try:
        return ipaddress.ip_address(host) == ipaddress.ip_address("127.0.0.1")
    except ValueError:
        return False


@dataclass(frozen=True)
class WebSettings:
    """Validated settings of one app (see :data:`SETTINGS` for each field's meaning).

    Attributes
    ----------
    db_url : str
    host : str
    single_user : bool
        Requested single-user mode; it is in force only while no account exists
        (checked on every request).
    secret_key : str
    session_max_age_s : int
    max_upload_bytes : int
    login_max_failures : int
    login_window_s : int
    sweeps_dir : str
    sweep_workers : int | None
        None with ``sweep_scheduler``.
    sweep_scheduler : str | None
    sweep_max_runs : int
    """

    db_url: str
    host: str
    single_user: bool
    secret_key: str
    session_max_age_s: int
    max_upload_bytes: int
    login_max_failures: int
    login_window_s: int
    sweeps_dir: str = ""
    sweep_workers: int | None = None
    sweep_scheduler: str | None = None
    sweep_max_runs: int = 256

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry the Secure flag (HTTPS only) unless the host is 127.0.0.1."""
        return not _is_loopback_only(self.host)

    def to_dict(self) -> dict[str, Any]:
        """Every setting but the secret key (JSON-ready)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "secret_key"}
        return {**out, "secure_cookies": self.secure_cookies}


def web_settings(*, db_url: str | None = None, host: str | None = None,
                 single_user: bool | None = None, **overrides: Any) -> WebSettings:
    """Build the settings: arguments, else ``NEURAXIS_WEB_<NAME>``, else the default.

    Raises
    ------
    NeuraxisInputError
        An unknown setting, a value out of range, or single-user mode asked for on a host
        other than 127.0.0.1.
    """
    unknown = sorted(set(overrides) - set(SETTINGS))
    if unknown:
        raise NeuraxisInputError(f"Invalid setting {unknown[0]!r}. Allowed settings are "
                                 f"{', '.join(sorted(SETTINGS))}")

    def get(name: str, given: Any = None) -> Any:
        if given is not None:
            return given
        env = os.environ.get(f"NEURAXIS_WEB_{name.upper()}")
        return env if env not in (None, "") else SETTINGS[name][0]

    if db_url is None:
        from neuraxis.registry.db import default_url

        db_url = get("db_url") or os.environ.get("NEURAXIS_REGISTRY_URL") or default_url()
    host = str(get("host", host))
    loopback = _is_loopback_only(host)
    wanted = get("single_user", single_user)
    if isinstance(wanted, str):
        wanted = wanted.strip().lower() in ("1", "true", "yes", "on")
    if wanted and not loopback:
        raise NeuraxisInputError(
            f"Invalid value for 'single_user': single-user mode (no login) is allowed only "
            f"on host 127.0.0.1, but the host is {host!r}. Create accounts with 'neuraxis "
            "web add-user'")
    ints = {}
    for name, low, high in (("session_max_age_s", 60, 30 * 24 * 3600),
                            ("max_upload_bytes", 1024, 100_000_000),
                            ("login_max_failures", 1, 1000),
                            ("login_window_s", 1, 24 * 3600),
                            ("sweep_max_runs", 1, 100_000)):
        raw = get(name, overrides.get(name))
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise NeuraxisInputError(f"Invalid value for '{name}': expected an integer, got "
                                     f"{raw!r}") from None
        ints[name] = check_int(name, value, low, high)
    sweeps = _sweep_settings(get, overrides)
    key = get("secret_key", overrides.get("secret_key")) or secrets.token_urlsafe(32)
    if len(str(key)) < 16:
        raise NeuraxisInputError("Invalid value for 'secret_key': at least 16 characters")
    return WebSettings(db_url=str(db_url), host=host,
                       single_user=loopback if wanted is None else bool(wanted),
                       secret_key=str(key), **ints, **sweeps)


def _sweep_settings(get: Any, overrides: dict[str, Any]) -> dict[str, Any]:
    """``sweeps_dir``, ``sweep_workers`` and ``sweep_scheduler``, checked."""
    import re

    from neuraxis.registry.db import data_dir

    folder = get("sweeps_dir", overrides.get("sweeps_dir")) or str(data_dir() / "web-sweeps")
    scheduler = get("sweep_scheduler", overrides.get("sweep_scheduler")) or None
    if scheduler is not None and not re.match(r"^(tcp|tls|inproc|ucx|ws|wss)://\S+$",
                                              str(scheduler)):
        raise NeuraxisInputError(f"Invalid value for 'sweep_scheduler': expected a Dask "
                                 f"scheduler address such as tcp://host:8786, got "
                                 f"{scheduler!r}")
    raw = get("sweep_workers", overrides.get("sweep_workers"))
    workers = None
    if raw is not None:
        if scheduler is not None:
            raise NeuraxisInputError("Invalid settings: 'sweep_workers' sizes a local "
                                     "cluster; with 'sweep_scheduler' the cluster's own "
                                     "workers run the sweeps (give one or the other)")
        try:
            workers = check_int("sweep_workers", int(raw), 1, 1024)
        except (TypeError, ValueError):
            raise NeuraxisInputError(f"Invalid value for 'sweep_workers': expected an "
                                     f"integer, got {raw!r}") from None
    elif scheduler is None:
        workers = max(1, (os.cpu_count() or 2) - 1)
    return {"sweeps_dir": str(folder), "sweep_workers": workers,
            "sweep_scheduler": None if scheduler is None else str(scheduler)}
