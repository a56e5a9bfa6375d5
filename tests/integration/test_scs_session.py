"""ScsSession: what a new program reuses, and every amplitude metric from one place
(coarse mesh, small seeded population)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # meshes and solves a field basis

pytest.importorskip("gmsh")
pytest.importorskip("skfem")
pytest.importorskip("pyamg")

from neuraxis import NeuraxisInputError
from neuraxis.perception import ScsSession, make_program
from neuraxis.scenario import load_scenario

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "scs_1x8_t8_low_back.yaml"
SMALL = ["mesh=coarse", "fibers.dc=40", "fibers.dr_per_root=2"]


@pytest.fixture(scope="module")
def session(shared_cache_dir: Path) -> ScsSession:
    mp = pytest.MonkeyPatch()
    mp.setenv("NEURAXIS_CACHE_DIR", str(shared_cache_dir))
    yield ScsSession(load_scenario(EXAMPLE, SMALL))
    mp.undo()


def _program(session: ScsSession, contacts: dict, pw: float = 300.0):
    return make_program(contacts, 3.0, pw, contact_names=tuple(session.contact_z_mm))


def test_line_located_potentials_equal_the_general_probe(session: ScsSession) -> None:
    """The DC fibers' potentials come from walking their lines through the mesh; they
    must equal the general point locator's (the same P2 evaluation) to rounding."""
    from neuraxis.fibers import compartment_points_mm

    prog = session.scenario.program
    n_nodes, ve = session.contact_potentials(prog)
    windows = session.windows(prog)
    dc = np.flatnonzero(session.kinds == "dc")[:12]
    for i in dc:
        cab = session.cable(float(session.fibers.diameter_um[i]), int(n_nodes[i]))
        w = windows[i]
        pts = compartment_points_mm(session.fibers.paths_mm[i], cab.x_um,
                                    center_mm=0.5 * (w[0] + w[1]))
        direct = session.basis.probe(pts) * 1e3
        assert np.allclose(ve[i], direct, rtol=1e-12, atol=1e-12 * np.abs(direct).max())


def test_a_shape_is_computed_once_and_cables_once(session: ScsSession,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import neuraxis.axons as axons

    built: list[tuple] = []
    real = axons.build_cable

    def counting(model: str, d: float, n: int, **kw: str):
        built.append((d, n))
        return real(model, d, n, **kw)

    monkeypatch.setattr(axons, "build_cable", counting)
    a = session.evaluate(_program(session, {"E4": -1, "E5": 1}))
    b = session.evaluate(_program(session, {"E4": -1, "E5": 1}).with_amplitude(5.0))
    assert b.thresholds is a.thresholds  # same shape: no new search
    assert b.program.amplitude_ma == 5.0
    n_before = len(built)
    session.evaluate(_program(session, {"E4": -1, "E5": 1}, pw=210.0))  # same windows
    assert len(built) == n_before  # every cable came from the session
    assert len(built) == len(set(built))  # and none was built twice


def test_every_amplitude_metric_follows_from_the_thresholds(session: ScsSession) -> None:
    res = session.evaluate(_program(session, {"E3": 0.5, "E4": -1, "E5": 0.5}))
    aff = res.afferents
    thr = np.nan_to_num(aff.threshold_ma, nan=np.inf)
    w = aff.weight_fibers
    pt = res.perception_threshold_ma
    prev = -1.0
    for amp in (0.5 * pt, pt, 1.5 * pt, 3.0 * pt):
        m = res.at(amp)
        dc = aff.kind == "dc"
        assert m.dc_recruited_fraction == pytest.approx(w[dc & (thr <= amp)].sum() / w[dc].sum())
        if amp < pt:
            assert m.paresthesia == {} and m.pain_coverage_pct == 0.0  # nothing is felt
        else:
            felt = {d for d in set(aff.dermatome)
                    if w[(aff.dermatome == d) & (thr <= amp)].sum()
                    >= res.criteria.felt_fibers}
            assert set(m.paresthesia) == felt and felt
        assert m.pain_coverage_pct >= prev  # coverage grows with the amplitude
        prev = m.pain_coverage_pct
        d = m.to_dict()
        assert d["amplitude_ma"] == round(amp, 4) and d["pain_coverage_pct"] == round(
            m.pain_coverage_pct, 2)
    whole = res.to_dict()
    assert whole["pain_coverage_pct"] == res.at().to_dict()["pain_coverage_pct"]
    # the row that sets each afferent's threshold is its lowest
    for a in range(len(aff)):
        rows = np.asarray(res.fibers.afferent_id) == np.asarray(res.fibers.afferent_id)[aff.row[a]]
        assert thr[a] == np.nan_to_num(res.thresholds.threshold_ma[rows], nan=np.inf).min()


def test_a_program_for_another_lead_is_refused(session: ScsSession) -> None:
    paddle = make_program({"E12": -1, "E13": 1}, 3.0,
                          contact_names=tuple(f"E{i}" for i in range(1, 17)))
    with pytest.raises(NeuraxisInputError, match="not on the lead"):
        session.evaluate(paddle)


def test_collaterals_add_cables_to_the_dc_afferents(session: ScsSession) -> None:
    """With ``fibers.dc_collaterals`` each DC fibre gets its collateral nearest the cathode
    as a cable of its own afferent: the afferent's threshold is the lower of the two, the
    afferent count is unchanged, and near the cathode some collaterals fire first."""
    sc = load_scenario(EXAMPLE, [*SMALL, "fibers.dc_collaterals=true"])
    with_col = ScsSession(sc)  # the basis comes from the same cache
    prog = _program(session, {"E4": -1.0, "E5": 1.0})
    plain = session.evaluate(prog)
    res = with_col.evaluate(prog)
    f, thr = res.fibers, res.thresholds.threshold_ma
    col = np.flatnonzero(f.branch == "collateral")
    n_dc = int(np.sum(session.fibers.kind == "dc"))
    assert col.size == n_dc  # one cathode
    np.testing.assert_allclose(thr[: len(session.fibers)], plain.thresholds.threshold_ma)
    assert len(res.afferents) == len(plain.afferents)
    parent = {int(a): i for i, a in enumerate(f.afferent_id[:n_dc])}
    t_par = thr[[parent[int(a)] for a in f.afferent_id[col]]]
    t_col = thr[col]
    assert np.any(t_col < 0.95 * t_par)  # some collaterals lower their fibre's threshold
    by_aff = {int(a): t for a, t in zip(res.afferents.row, res.afferents.threshold_ma,
                                        strict=True)}
    for k, c in enumerate(col):
        lowest = np.nanmin([t_par[k], t_col[k]])
        row = next(r for r in by_aff if int(f.afferent_id[r]) == int(f.afferent_id[c]))
        assert by_aff[row] == pytest.approx(lowest)
    assert res.perception_threshold_ma <= plain.perception_threshold_ma + 1e-9
    rows = res.to_dict()["fibers"]  # results.json lists every cable, collaterals too
    assert sum(1 for r in rows if r["branch"] == "collateral") == col.size
