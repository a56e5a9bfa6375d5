"""Compile and load ``AXNODE.mod`` for the NEURON reference (once per process)."""

from __future__ import annotations

import hashlib
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from neuraxis._soft_import import soft_import

MOD_FILE = Path(__file__).with_name("AXNODE.mod")
SUFFIX = "nxaxnode"
_LOADED: Path | None = None  # mechanism directory loaded into this process


def _h() -> Any:
    """NEURON's ``h``, imported lazily."""
    neuron = soft_import("neuron", "neuron", "The NEURON reference")
    return neuron.h


def cache_dir() -> Path:
    """Folder of the compiled mechanisms: ``nrnmech`` beside the field-basis cache.

    ``$NEURAXIS_CACHE_DIR/nrnmech``, else ``$XDG_CACHE_HOME/neuraxis/nrnmech``, else
    ``~/.cache/neuraxis/nrnmech``: the same root as
    :func:`neuraxis.field.basis.cache_dir` (whose folder is ``field`` in that root).
    """
    from neuraxis.field.basis import cache_dir as field_cache_dir

    return field_cache_dir().parent / "nrnmech"



def _nrnivmodl() -> str:
    exe = shutil.which("nrnivmodl")
    if exe is None:
        cand = Path(sys.executable).parent / "nrnivmodl"
        if cand.exists():
            exe = str(cand)
    if exe is None:
        raise RuntimeError("nrnivmodl was not found on PATH nor next to the Python "
                           f"interpreter ({sys.executable}); is NEURON installed?")
    return exe


def _find_library(mech_dir: Path) -> Path | None:
    names = ("libnrnmech.so", "libnrnmech.dylib", "nrnmech.dll")
    preferred = [mech_dir / platform.machine() / n for n in names]
    preferred += [mech_dir / platform.machine() / ".libs" / n for n in names]
    for p in preferred:
        if p.is_file():
            return p
    for n in names:
        found = sorted(mech_dir.glob(f"*/{n}")) + sorted(mech_dir.glob(f"*/.libs/{n}"))
        if found:
            return found[0]
    return None


def _has_mechanism(h: Any, name: str) -> bool:
    """Whether a density mechanism called ``name`` is loaded."""
    mt = h.MechanismType(0)
    ref = h.ref("")
    for i in range(int(mt.count())):
        mt.select(i)
        mt.selected(ref)
        if ref[0] == name:
            return True
    return False


def compile_mechanisms() -> Path:
    """Compile ``AXNODE.mod`` (once per content and NEURON version) and load it.

    The build lives in ``<cache>/nrnmech/<sha256[:12]>-nrn<version>`` (see
    :func:`cache_dir`: ``$NEURAXIS_CACHE_DIR``, else ``$XDG_CACHE_HOME/neuraxis``, else
    ``~/.cache/neuraxis``); it is built in a temporary folder and
    renamed into place, so concurrent processes do not see half a build. The
    library is loaded at most once per process.

    Returns
    -------
    pathlib.Path
        The folder holding the compiled mechanisms.

    Raises
    ------
    RuntimeError
        When ``nrnivmodl`` is missing or fails (the message carries its log),
        or when NEURON cannot load the library.
    """
    global _LOADED
    neuron = soft_import("neuron", "neuron", "The NEURON reference")
    h = neuron.h
    text = MOD_FILE.read_text()
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    mech_dir = cache_dir() / f"{digest}-nrn{neuron.__version__}"
    if _LOADED is not None:
        return _LOADED
    if _find_library(mech_dir) is None:
        mech_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=mech_dir.parent))
        try:
            shutil.copy2(MOD_FILE, tmp / MOD_FILE.name)
            proc = subprocess.run([_nrnivmodl()], cwd=tmp, capture_output=True, text=True,
                                  check=False)
            if proc.returncode != 0 or _find_library(tmp) is None:
                raise RuntimeError(f"nrnivmodl failed on {MOD_FILE.name} "
                                   f"(exit {proc.returncode}); its output:\n"
                                   f"{proc.stdout}\n{proc.stderr}")
            try:
                tmp.rename(mech_dir)
            except OSError:  # another process finished first
                if _find_library(mech_dir) is None:
                    raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    if not _has_mechanism(h, SUFFIX):
        lib = _find_library(mech_dir)
        if lib is None or not h.nrn_load_dll(str(lib)):
            raise RuntimeError(f"NEURON could not load the mechanisms in {mech_dir}")
    _LOADED = mech_dir
    return mech_dir
