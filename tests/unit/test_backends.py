"""The integrator backend registry: names, 'auto', refusals, and agreement with the
NumPy reference for every fast backend."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import numpy as np
import pytest

from neuraxis import NeuraxisInputError
from neuraxis.axons import (
    Waveform,
    build_cable,
    fiber_point_source_mv_per_ma,
    stack_cables,
)
from neuraxis.axons import backends as reg
from neuraxis.axons.integrate import simulate

AXONS = Path(reg.__file__).resolve().parents[1]


def test_registry_names_and_reference() -> None:
    assert reg.REFERENCE == "numpy"
    assert set(reg.BACKENDS) >= {"numpy", "numba"}
    assert reg.backend_names()[0] == "auto"
    assert reg.resolve_backend("numpy") == "numpy"
    assert callable(reg.get_backend("numpy"))


@pytest.mark.parametrize(("name", "shown"), [("gpu", "'auto', 'numba', 'numpy'"),
                                              ("numab", "did you mean 'numba'")])
def test_unknown_backend_is_refused_with_the_names(name: str, shown: str) -> None:
    with pytest.raises(NeuraxisInputError, match=f"Invalid value for 'backend'.*{shown}"):
        reg.resolve_backend(name)
    with pytest.raises(NeuraxisInputError, match="'backend'"):
        simulate(stack_cables([build_cable("sweeney", 10.0, 9)]), np.zeros((9, 1)),
                 np.ones(1), np.zeros(5), 0.005, detect_nodes=np.array([3]), backend=name)


def test_auto_picks_numba_and_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("numba")
    with caplog.at_level(logging.INFO, logger="neuraxis"):
        assert reg.resolve_backend("auto") == "numba"
    assert any(r.levelno == logging.INFO and "'auto' chose 'numba'" in r.getMessage()
               for r in caplog.records)


def test_auto_falls_back_to_the_reference_without_numba(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(reg, "_installed", lambda pkg: pkg != "numba")
    with caplog.at_level(logging.INFO, logger="neuraxis"):
        assert reg.resolve_backend("auto") == "numpy"
    assert "'auto' chose 'numpy'" in caplog.text
    assert reg.available_backends() == ("numpy",)
    with pytest.raises(NeuraxisInputError, match="'numba' needs the package 'numba'.*"
                                                 "available: numpy"):
        reg.resolve_backend("numba")


@pytest.mark.parametrize("name", [b for b in reg.available_backends() if b != reg.REFERENCE])
def test_every_fast_backend_agrees_with_the_reference(name: str) -> None:
    """Node potentials within 5e-4 mV of the reference at every step (the tabulated gate
    updates' interpolation error), the same fire/no-fire answers, crossings within 1 us."""
    cab = build_cable("mrg", 8.7, 21)
    ve = fiber_point_source_mv_per_ma(cab.x_um, cab.middle_node_x_um, 1.0, 0.3, 0.2)
    wave = Waveform(90.0, "biphasic", "cathodic").samples(5.0, 200)
    batch = stack_cables([cab] * 3)
    amps = np.array([0.05, 0.6, 3.0])
    out = {b: simulate(batch, np.stack([ve] * 3, -1), amps, wave, 0.005,
                       detect_nodes=np.array([3, -4]), early_stop=False, record=True,
                       backend=b) for b in (reg.REFERENCE, name)}
    ref, fast = out[reg.REFERENCE], out[name]
    assert ref.fired.tolist() == fast.fired.tolist()
    assert ref.fired.any() and not ref.fired.all()  # both answers are exercised
    np.testing.assert_allclose(fast.vm_nodes_mv, ref.vm_nodes_mv, atol=5e-4, rtol=0)
    np.testing.assert_array_equal(np.isnan(fast.t_cross_ms), np.isnan(ref.t_cross_ms))
    np.testing.assert_allclose(fast.t_cross_ms, ref.t_cross_ms, atol=1e-3)


def test_submodules_do_not_import_names_from_the_package_init() -> None:
    """``from neuraxis.axons import X`` inside the package may only name submodules:
    a name defined by ``axons/__init__`` would make an import cycle."""
    bad = []
    for path in AXONS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "neuraxis.axons":
                for alias in node.names:
                    sub = AXONS / alias.name
                    if not (sub.with_suffix(".py").exists() or (sub / "__init__.py").exists()):
                        bad.append(f"{path.relative_to(AXONS)}: {alias.name}")
    assert bad == []
