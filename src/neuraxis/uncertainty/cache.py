"""One JSON file per sample, so that an interrupted sweep resumes where it stopped.

A sample's key hashes what defines its outputs: the validated base scenario (after the
user's ``--set`` overrides, as plain data), the sample's overrides, the model settings
(mesh preset, ...) and the neuraxis version. Files are written atomically (temporary file,
then rename), so a killed process leaves either the whole file or none; an unreadable file
counts as missing. Deterministic failures (the scenario layer refusing a sampled value)
are cached like outputs; other errors are not, so a re-run tries them again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

#: Record statuses.
OK, REFUSED, ERROR = "ok", "refused", "error"


def sample_key(context: dict[str, Any], overrides: tuple[str, ...] | list[str]) -> str:
    """SHA-256 (first 24 hex digits) of the context and the sample's overrides.

    Parameters
    ----------
    context : dict
        Plain JSON: base scenario, model settings, neuraxis version.
    overrides : sequence of str
        The sample's ``path=value`` assignments.
    """
    text = json.dumps({"context": context, "overrides": list(overrides)}, sort_keys=True,
                      separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class SampleCache:
    """The folder of per-sample JSON files (``<key>.json``).

    Parameters
    ----------
    folder : Path
        Created on the first write.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached record, or None (missing, unreadable, or for another key)."""
        p = self.path(key)
        try:
            rec = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(rec, dict) or rec.get("key") != key or \
                rec.get("status") not in (OK, REFUSED):
            return None
        return rec

    def put(self, record: dict[str, Any]) -> None:
        """Write a record (it must hold its ``key``); errors are not cached."""
        if record.get("status") not in (OK, REFUSED):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        p = self.path(record["key"])
        tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record, indent=1, default=_plain), encoding="utf-8")
        os.replace(tmp, p)

    def keys(self) -> set[str]:
        """Keys of the files present (not checked for readability)."""
        if not self.folder.is_dir():
            return set()
        return {p.stem for p in self.folder.glob("*.json")}


def _plain(o: object) -> object:
    if hasattr(o, "tolist"):
        return o.tolist()
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")
