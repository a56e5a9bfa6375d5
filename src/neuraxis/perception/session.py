"""An SCS session: what a new program on the same scenario can reuse.

``ScsSession(scenario)`` builds (or loads from the disk cache) the field basis, samples
the fiber population once, and keeps, for reuse across programs: the point locators,
each fiber's cable (built once per diameter and node count), and the per-contact
potentials at every compartment of every cable window already used. A program shape
then costs only the threshold search of its fibers::

    session = ScsSession(scenario)             # field basis, fibers (seconds, cached)
    result = session.evaluate(program)         # thresholds for this shape (~1 s)
    result.at(4.0).pain_coverage_pct           # any amplitude: a comparison (ms)

Where the numbers are computed: thresholds in :func:`program_thresholds` (axon engine);
every amplitude-dependent metric in :meth:`ScsResult.at`
(:mod:`neuraxis.perception.metrics`); definitions in :mod:`neuraxis.perception.metrics`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from neuraxis._logging import logger
from neuraxis._validate import NeuraxisInputError
from neuraxis.perception.percept import initiation_sites
from neuraxis.perception.program import Program
from neuraxis.perception.recruitment import (
    DC_MARGIN_MM,
    MAX_SEARCH_MA,
    NODE_LADDER,
    ProgramThresholds,
)
from neuraxis.perception.result import ScsResult

ProgressFn = Callable[[str, int, int], None]


class ScsSession:
    """Field basis, fibers, cables and potentials of one scenario, reused by programs.

    Parameters
    ----------
    scenario : neuraxis.scenario.Scenario
        Validated scenario (anatomy, placed lead, mesh, fiber spec, pain map).
    cache : bool
        Use the on-disk field-basis cache.
    model : str
        Axon model ('mrg').
    rel_tol : float
        Relative accuracy of each threshold (dimensionless).
    max_ma : float
        Largest amplitude searched (mA); fibers that do not fire below it are "not
        recruited".
    progress : callable, optional
        ``progress(stage, done, total)``; stages 'mesh', 'solve' (field basis).
    """

    def __init__(self, scenario: Any, *, cache: bool = True, model: str = "mrg",
                 rel_tol: float = 0.01, max_ma: float = MAX_SEARCH_MA,
                 progress: ProgressFn | None = None) -> None:
        from neuraxis.fibers import cord_segments, scs_fibers
        from neuraxis.field import build_field_basis

        t0 = time.perf_counter()
        if getattr(scenario.anatomy, "kind", "spine") != "spine":
            raise NeuraxisInputError("Invalid scenario: an SCS session needs a spine anatomy "
                                     "(anatomy.kind: spine)")
        self.scenario = scenario
        self.anatomy = scenario.anatomy
        self.placed = scenario.placed
        self.pain = scenario.pain
        self.fiber_spec = scenario.fibers
        self.model, self.rel_tol, self.max_ma = model, float(rel_tol), float(max_ma)
        self.timings_s: dict[str, float] = {}
        self.basis = build_field_basis(self.anatomy, self.placed, scenario.mesh, cache=cache,
                                       progress=progress)
        self.timings_s["field_basis"] = time.perf_counter() - t0
        t = time.perf_counter()
        centers = self.placed.contact_centers_mm()
        self.contact_z_mm = {n: float(c[2]) for n, c in
                             zip(self.placed.lead.contact_names, centers, strict=True)}
        spec = self.fiber_spec
        self.fibers = scs_fibers(self.anatomy, n_dc=spec.dc, n_dr_per_root=spec.dr_per_root,
                                 seed=spec.seed, z_center_mm=0.0,
                                 n_dlc=getattr(spec, "dlc", 0))
        self.kinds = np.asarray(self.fibers.kind)
        self._segments = cord_segments(self.anatomy)
        self._cables: dict[tuple[float, int], Any] = {}
        self._spacing_um: dict[float, float] = {}
        self._ve: dict[tuple, list[np.ndarray]] = {}  # window key -> per-fiber (k, n_contacts)
        self._lines: dict[int, Any] = {}
        self._arc_mm: dict[tuple, list[np.ndarray]] | None = None
        self._line_locator = None
        self._dermatomes: dict[str, np.ndarray] = {}
        self._thresholds: dict[tuple, ProgramThresholds] = {}
        self._program_fibers: dict[tuple, Any] = {}
        self.timings_s["fibers"] = time.perf_counter() - t
        logger.info("SCS session: %d fibers (%d DC, %d DR), basis %s", len(self.fibers),
                    int((self.kinds == "dc").sum()), int((self.kinds == "dr").sum()),
                    self.basis.key[:12])

    # ------------------------------------------------------------------ programs
    def evaluate(self, program: Program, *,
                 progress: Callable[[int, int], None] | None = None) -> ScsResult:
        """Thresholds of every fiber for the program's shape, as an :class:`ScsResult`.

        A shape already evaluated in this session is returned from memory; a new shape
        reuses the cables and the per-contact potentials of the windows already seen.

        Parameters
        ----------
        program : Program
            Validated program (its amplitude is the result's default amplitude).
        progress : callable, optional
            ``progress(done, total)`` as fibers finish.
        """
        missing = [c for c in program.contacts if c not in self.contact_z_mm]
        if missing:
            raise NeuraxisInputError(
                f"Invalid program: contact(s) {', '.join(missing)} are not on the lead "
                f"{self.placed.lead.name} ({', '.join(self.contact_z_mm)})")
        t0 = time.perf_counter()
        key = program.shape_key
        thr = self._thresholds.get(key)
        if thr is None:
            thr = self.program_thresholds(program, progress=progress)
            self._thresholds[key] = thr
        t_thr = time.perf_counter() - t0
        dermatome = self.dermatomes(program)
        timings = {**self.timings_s, "thresholds": t_thr,
                   "evaluate": time.perf_counter() - t0}
        return ScsResult(name=self.scenario.name, program=program,
                         fibers=self.fibers_for(program),
                         dermatome=dermatome, thresholds=thr, pain=self.pain,
                         timings_s=timings, basis=self.basis, anatomy=self.anatomy,
                         placed=self.placed, scenario=self.scenario)

    def fibers_for(self, program: Program) -> Any:
        """The fibers simulated for ``program``: the session's population, plus (with
        ``fibers.dc_collaterals``) each dorsal-column fiber's collateral nearest each
        cathode (:func:`neuraxis.fibers.dc_collaterals`, same afferents)."""
        if not getattr(self.fiber_spec, "dc_collaterals", False):
            return self.fibers
        key = self._collateral_key(program)
        out = self._program_fibers.get(key)
        if out is None:
            from neuraxis.fibers import dc_collaterals

            col = dc_collaterals(self.anatomy, self.fibers, list(key), seed=self.fiber_spec.seed)
            out = self._program_fibers[key] = self.fibers.concat(col, same_afferents=True)
        return out

    def _collateral_key(self, program: Program) -> tuple:
        if not getattr(self.fiber_spec, "dc_collaterals", False):
            return ()
        return tuple(sorted({round(self.contact_z_mm[c], 6) for c in program.cathodes}))

    def local_segment(self, program: Program) -> str:
        """Cord segment whose root entry is nearest the program's mean cathode z (the most
        rostral dermatome the dorsal columns under the lead carry)."""
        cz = float(np.mean([self.contact_z_mm[c] for c in program.cathodes]))
        entries = np.array(sorted(self._segments))
        return self._segments[float(entries[np.argmin(np.abs(entries - cz))])]

    def dermatomes(self, program: Program) -> np.ndarray:
        """Dermatome of every fiber (``<segment>_<side>``) for this program's cathodes."""
        from neuraxis.perception.somatotopy import fiber_dermatomes

        local = self.local_segment(program)
        key = (local, self._collateral_key(program))
        out = self._dermatomes.get(key)
        if out is None:
            spec = self.fiber_spec
            out = fiber_dermatomes(self.anatomy, self.fibers, local, overlap=spec.overlap,
                                   seed=spec.seed)
            fibers = self.fibers_for(program)
            if len(fibers) > len(self.fibers):  # collaterals carry their parent's dermatome
                first = {int(a): i for i, a in enumerate(self.fibers.afferent_id)}
                extra = [first[int(a)] for a in fibers.afferent_id[len(self.fibers):]]
                out = np.concatenate([out, out[extra]])
            self._dermatomes[key] = out
        return out

    # ------------------------------------------------------------------ cables
    def _spacing(self, diameter_um: float) -> float:
        from neuraxis.axons.models.mrg import mrg_geometry

        s = self._spacing_um.get(diameter_um)
        if s is None:
            if self.model != "mrg":
                raise NeuraxisInputError("Invalid model: SCS sessions use 'mrg'")
            s = self._spacing_um[diameter_um] = float(mrg_geometry(diameter_um).node_spacing_um)
        return s

    def cable(self, diameter_um: float, n_nodes: int, n_branch_nodes: int = 0) -> Any:
        """The cable of a fiber (built once per diameter and node count); with
        ``n_branch_nodes``, a dorsal-column fiber whose last ``n_branch_nodes`` nodes are
        its collateral's (:func:`neuraxis.axons.cable.build_mrg_branch_cable`)."""
        from neuraxis.axons import build_cable
        from neuraxis.axons.cable import build_mrg_branch_cable

        k = (float(diameter_um), int(n_nodes), int(n_branch_nodes))
        cab = self._cables.get(k)
        if cab is None:
            if n_branch_nodes:
                cab = build_mrg_branch_cable(k[0], k[1] - k[2], self._collateral_d_um, k[2])
            else:
                cab = build_cable(self.model, k[0], k[1])
            self._cables[k] = cab
        return cab

    @property
    def _collateral_d_um(self) -> float:
        from neuraxis.fibers.collaterals import collateral_spec

        return collateral_spec()["diameter_um"]

    def row_cable(self, fibers: Any, i: int, n_nodes: int) -> Any:
        """The cable of row ``i`` of ``fibers`` (a collateral's ends in its branch)."""
        return self.cable(float(fibers.diameter_um[i]), int(n_nodes),
                          self._branch_nodes(fibers, i))

    def _branch_nodes(self, fibers: Any, i: int) -> int:
        """Collateral nodes after the branch node that fit on row i's collateral (0 for
        other rows)."""
        if fibers.branch[i] != "collateral":
            return 0
        length = _path_length(fibers, i)
        return max(1, int((length - float(fibers.branch_arc_mm[i])) * 1e3
                          // self._spacing(self._collateral_d_um)))

    def cable_center_mm(self, fibers: Any, i: int, window: tuple[float, float],
                        cab: Any) -> float:
        """Arc length (mm) of the path where the cable's middle lies: the window's middle,
        or, for a collateral, where its branch node lands on the branch point."""
        if fibers.branch[i] != "collateral":
            return 0.5 * (window[0] + window[1])
        x = cab.x_um
        n_b = self._branch_nodes(fibers, i)
        x_branch = x[cab.node_index[cab.n_nodes - n_b - 1]]
        return float(fibers.branch_arc_mm[i]) - (x_branch - 0.5 * (x[0] + x[-1])) * 1e-3

    def windows(self, program: Program) -> list[tuple[float, float]]:
        """Arc-length window (start, stop), mm, that each fiber's cable spans.

        Rows of :meth:`fibers_for`. Dorsal-column fibers: the active contacts plus
        ``DC_MARGIN_MM`` each side (clipped to the path); dorsal-root fibers: from the start
        of the root to the last point of the path inside that z range (a long dorsal-column
        branch is cut where it leaves it), at least the length of the smallest cable of
        :data:`NODE_LADDER`; collaterals: the parent's window start to the collateral's end.
        """
        fibers = self.fibers_for(program)
        zs = [self.contact_z_mm[c] for c in program.contacts]
        z_lo, z_hi = min(zs) - DC_MARGIN_MM, max(zs) + DC_MARGIN_MM
        arcs = self._arcs(program)
        out = []
        for i, (kind, path, arc) in enumerate(zip(fibers.kind, fibers.paths_mm, arcs,
                                                  strict=True)):
            z = path[:, 2]
            if kind in ("dc", "dlc"):
                if fibers.branch[i] == "collateral":  # straight parent up to the branch
                    zb = z[0] + np.sign(z[-1] - z[0]) * float(fibers.branch_arc_mm[i])
                    lo = float(np.clip(z_lo if z[-1] > z[0] else z_hi, *sorted((z[0], zb))))
                    out.append((abs(lo - z[0]), float(arc[-1])))
                    continue
                up = z[-1] > z[0]
                a = np.interp(np.clip([z_lo, z_hi], z.min(), z.max()),
                              z if up else z[::-1], arc if up else arc[::-1])
                out.append((float(min(a)), float(max(a))))
                continue
            # dorsal root: from the root's start to where its branch leaves the window for
            # good (a long ascending branch is cut there, as a DC fiber is), and at least
            # long enough for the smallest cable of the node ladder
            inside = np.flatnonzero((z >= z_lo) & (z <= z_hi))
            end = float(arc[-1]) if inside.size == 0 else float(arc[min(inside[-1] + 1,
                                                                         arc.size - 1)])
            least = (NODE_LADDER[0] - 1) * self._spacing(float(fibers.diameter_um[i])) \
                * 1e-3 + 1e-6
            out.append((0.0, min(float(arc[-1]), max(end, least))))
        return out

    def _arcs(self, program: Program) -> list[np.ndarray]:
        """Arc length along each path of :meth:`fibers_for` (cached per fiber set)."""
        key = self._collateral_key(program)
        if self._arc_mm is None:
            self._arc_mm = {}
        out = self._arc_mm.get(key)
        if out is None:
            out = self._arc_mm[key] = [np.concatenate([[0.0], np.cumsum(np.linalg.norm(
                np.diff(p, axis=0), axis=1))]) for p in self.fibers_for(program).paths_mm]
        return out

    def node_counts(self, windows: list[tuple[float, float]],
                    fibers: Any = None) -> np.ndarray:
        """Nodes per fiber: the largest count of :data:`NODE_LADDER` that fits its window
        (a collateral: its branch nodes plus the parent nodes that fit before the branch
        point, from the window start or, if too few, from the path's start)."""
        fibers = self.fibers if fibers is None else fibers
        n = np.zeros(len(windows), dtype=int)
        for i, d in enumerate(fibers.diameter_um):
            spacing_mm = self._spacing(float(d)) * 1e-3
            n_b = self._branch_nodes(fibers, i)
            if n_b:
                b = float(fibers.branch_arc_mm[i])
                fit = [k for k in NODE_LADDER if k - n_b >= 2
                       and (k - n_b - 1) * spacing_mm <= b - windows[i][0]]
                fit = fit or [k for k in NODE_LADDER if k - n_b >= 2
                              and (k - n_b - 1) * spacing_mm <= b][:1]
            else:
                length = windows[i][1] - windows[i][0]
                fit = [k for k in NODE_LADDER if (k - 1) * spacing_mm <= length]
            if not fit:
                raise NeuraxisInputError(
                    f"Invalid fibers: fiber {i} ({fibers.kind[i]}, {d:.1f} um) has a "
                    f"{windows[i][1] - windows[i][0]:.1f} mm path, too short for "
                    f"{NODE_LADDER[0]} nodes ({(NODE_LADDER[0] - 1) * spacing_mm:.1f} mm)")
            n[i] = fit[-1]
        return n

    # ------------------------------------------------------------------ potentials
    def contact_potentials(self, program: Program) -> tuple[np.ndarray, list[np.ndarray]]:
        """Node counts and per-contact potentials (mV per mA, (n_compartments, n_contacts))
        at every compartment of every fiber's cable for the program's windows (cached per
        window set)."""
        fibers = self.fibers_for(program)
        windows = self.windows(program)
        n_nodes = self.node_counts(windows, fibers)
        key = (self._collateral_key(program),
               tuple((round(a, 9), round(b, 9)) for a, b in windows))
        ve = self._ve.get(key)
        if ve is None:
            ve = self._ve[key] = self._potentials(fibers, windows, n_nodes)
        return n_nodes, ve

    def _potentials(self, fibers: Any, windows: list, n_nodes: np.ndarray) -> list[np.ndarray]:
        from neuraxis.fibers import compartment_points_mm
        from neuraxis.field.lines import LineLocator

        basis = self.basis
        values = basis.potentials_v_per_ma * 1e3  # mV per mA, every contact
        out: list[np.ndarray | None] = [None] * len(windows)
        general: list[int] = []
        for i, path in enumerate(fibers.paths_mm):
            cab = self.row_cable(fibers, i, int(n_nodes[i]))
            pts = compartment_points_mm(path, cab.x_um,
                                        center_mm=self.cable_center_mm(fibers, i, windows[i],
                                                                       cab))
            straight = (i < len(self.fibers) and self.kinds[i] in ("dc", "dlc")
                        and np.ptp(path[:, 0]) == 0 and np.ptp(path[:, 1]) == 0)
            if not straight:
                general.append(i)
                out[i] = pts
                continue
            line = self._lines.get(i)
            if line is None:
                if self._line_locator is None:
                    self._line_locator = LineLocator(basis._locator())
                z = path[:, 2]
                line = self._lines[i] = self._line_locator.walk(
                    float(path[0, 0]), float(path[0, 1]), float(z.min()), float(z.max()))
            out[i] = self._line_locator.evaluate(line, pts[:, 2], basis.element_dofs, values)
        if general:  # curved fibers: one general probe for all of them
            pts = [out[i] for i in general]
            sizes = np.cumsum([p.shape[0] for p in pts])[:-1]
            v = basis.probe(np.concatenate(pts)) * 1e3
            for i, vi in zip(general, np.split(v, sizes), strict=True):
                out[i] = vi
        bad = [i for i, v in enumerate(out) if not np.all(np.isfinite(v))]
        if bad:
            raise NeuraxisInputError(
                f"Invalid fibers: {len(bad)} fiber(s) pass outside the field model or through "
                f"the lead (first: fiber {bad[0]}, {fibers.kind[bad[0]]})")
        return out  # type: ignore[return-value]

    def program_potentials(self, program: Program) -> tuple[np.ndarray, list[np.ndarray]]:
        """Node counts and the program's potential (mV per mA of amplitude) per fiber."""
        n_nodes, ve = self.contact_potentials(program)
        w = self.basis.weights(program.contacts)
        return n_nodes, [v @ w for v in ve]

    # ------------------------------------------------------------------ thresholds
    def program_thresholds(self, program: Program, *,
                           progress: Callable[[int, int], None] | None = None
                           ) -> ProgramThresholds:
        """Threshold (mA of total cathodic current) of every fiber for a program shape."""
        from neuraxis.axons import find_thresholds

        fibers = self.fibers_for(program)
        n_nodes, ve = self.program_potentials(program)
        n = len(ve)
        thr = np.full(n, np.nan)
        init = np.full(n, -1, dtype=int)
        status = np.empty(n, dtype=object)
        done = 0
        for k in np.unique(n_nodes):
            idx = np.flatnonzero(n_nodes == k)
            base = done

            def report(d: int, total: int, base: int = base) -> None:
                if progress is not None:
                    progress(base + d, n)

            # the program's signs are in the potentials: the pulse multiplies them by +amp
            res = find_thresholds(fibers.diameter_um[idx],
                                  pulse_width_us=program.pulse_width_us, polarity="anodic",
                                  shape=program.waveform, model=self.model,
                                  ve_mv_per_ma=[ve[i] for i in idx], n_nodes=int(k),
                                  cables=[self.row_cable(fibers, i, int(k)) for i in idx],
                                  rel_tol=self.rel_tol, max_ma=self.max_ma, progress=report)
            thr[idx] = res.threshold_ma
            init[idx] = res.initiation_node
            status[idx] = res.status
            done += idx.size
        if progress is not None:
            progress(n, n)
        logger.info("thresholds of %d fibers: %d fire below %g mA", n,
                    int(np.isfinite(thr).sum()), self.max_ma)
        settings = {"model": self.model, "rel_tol": self.rel_tol, "max_ma": self.max_ma,
                    "pulse_width_us": program.pulse_width_us, "waveform": program.waveform,
                    "dc_margin_mm": DC_MARGIN_MM, "node_ladder": list(NODE_LADDER)}
        arc = self.node_arc_mm(self.windows(program), n_nodes, init, fibers)
        return ProgramThresholds(thr, n_nodes, status.astype(str), settings, arc,
                                 initiation_sites(fibers, arc))

    def node_arc_mm(self, windows: list[tuple[float, float]], n_nodes: np.ndarray,
                    node: np.ndarray, fibers: Any = None) -> np.ndarray:
        """Arc length (mm along each fiber's path) of node ``node[i]`` of fiber i's cable
        laid over its window; NaN where ``node[i] < 0``."""
        fibers = self.fibers if fibers is None else fibers
        out = np.full(len(windows), np.nan)
        for i in np.flatnonzero(np.asarray(node) >= 0):
            cab = self.row_cable(fibers, i, int(n_nodes[i]))
            x = cab.x_um
            mid = self.cable_center_mm(fibers, i, windows[i], cab)
            out[i] = mid + (x[cab.node_index[int(node[i])]] - 0.5 * (x[0] + x[-1])) * 1e-3
        return out


def _path_length(fibers: Any, i: int) -> float:
    """Arc length of row i's path, mm."""
    p = np.asarray(fibers.paths_mm[i])
    return float(np.sum(np.linalg.norm(np.diff(p, axis=0), axis=1)))
