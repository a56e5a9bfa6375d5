"""One SCS sample: scenario with the sample's overrides -> field basis -> thresholds ->
outputs (PT, DT, usable range, pain coverage and paresthesia at the program amplitude).

Reuse, correctness first: samples that differ only in conductivities share one mesh (the
geometry group's ``prepare`` task meshes it once; gmsh runs on one thread, so the mesh is
the one :func:`~neuraxis.field.build_field_basis` would build). Every sample checks that
the mesh it gets was built for its own geometry (a hash of everything but the
conductivities) and meshes its own otherwise. The FEM solve, the fibers and the thresholds
are computed per sample. Field bases are not kept (one per sample would fill the disk);
meshes are kept by the runner's store in the output folder.

The scenario travels as data (the raw mapping after the user's overrides), so workers on
another machine need no access to the scenario file.
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neuraxis.uncertainty.sampling import Sample

#: The scalar outputs of a sample (also the rows of the tables), with their units.
OUTPUTS = {"perception_threshold_ma": "mA", "discomfort_threshold_ma": "mA",
           "usable_range": "", "pain_coverage_pct": "%"}


def geometry_key(scenario: Any) -> str:
    """Hash of everything that defines the mesh: the anatomy without its conductivities,
    the placed lead, the mesh preset and the mesher's version."""
    from neuraxis.field.basis import FIELD_MODEL_VERSION, basis_inputs

    inputs = basis_inputs(scenario.anatomy, scenario.placed, scenario.mesh)
    anatomy = dict(inputs["anatomy"])
    anatomy.pop("conductivities", None)
    inputs = {**inputs, "anatomy": anatomy, "field_model_version": FIELD_MODEL_VERSION}
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _num(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def _jsonable(obj: Any) -> Any:
    """Best-effort plain-data copy of an extra result field (e.g. fiber counts)."""
    if hasattr(obj, "to_dict"):
        obj = obj.to_dict()
    try:
        return json.loads(json.dumps(obj, default=lambda o: o.tolist() if hasattr(
            o, "tolist") else str(o)))
    except (TypeError, ValueError):
        return str(obj)


def result_outputs(result: Any, amplitude_ma: float | None = None) -> dict[str, Any]:
    """The outputs a sample records from an :class:`~neuraxis.perception.ScsResult`.

    Reads ``perception_threshold_ma``, ``discomfort_threshold_ma``, ``usable_range`` and
    ``at(amplitude).pain_coverage_pct`` / ``paresthesia``; fields the percept model may add
    (``fiber_counts``) are copied when present.
    """
    here = result.at(amplitude_ma)
    out: dict[str, Any] = {
        "perception_threshold_ma": _num(result.perception_threshold_ma),
        "discomfort_threshold_ma": _num(result.discomfort_threshold_ma),
        "usable_range": _num(result.usable_range),
        "pain_coverage_pct": _num(here.pain_coverage_pct),
        "amplitude_ma": float(here.amplitude_ma),
        "paresthesia": {str(k): float(v) for k, v in (getattr(here, "paresthesia", None)
                                                      or {}).items()},
    }
    for name in ("fiber_counts",):
        extra = getattr(result, name, None)
        if extra is None:
            extra = getattr(here, name, None)
        if extra is not None:
            out[name] = _jsonable(extra)
    return out


class MeshStore:
    """Meshes of the geometry groups, kept in a folder between runs (pickle files written
    and read by this class only; the folder is the sweep's own output folder)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, group: str) -> Path:
        return self.folder / f"mesh-{hashlib.sha256(group.encode()).hexdigest()[:20]}.pkl"

    def get(self, group: str) -> Any:
        try:
            with self._path(group).open("rb") as f:
                return pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return None

    def put(self, group: str, value: Any) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        p = self._path(group)
        tmp = p.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(p)


@dataclass(frozen=True)
class ScsSampleModel:
    """The SCS model of a sweep (picklable: it travels to the workers).

    Attributes
    ----------
    raw : dict
        Scenario mapping after the user's ``--set`` overrides (and the mesh preset).
    source : str
        The scenario file (provenance only).
    base_overrides : tuple of str
    amplitude_ma : float | None
        Amplitude of the coverage output (default: the program's).
    reuse_meshes : bool
        Share one mesh between the samples of a geometry group.
    """

    raw: dict
    source: str = ""
    base_overrides: tuple[str, ...] = ()
    amplitude_ma: float | None = None
    reuse_meshes: bool = True

    def scenario(self, sample: Sample) -> Any:
        """The validated scenario of one sample (raises NeuraxisInputError if refused)."""
        from neuraxis.scenario.load import apply_overrides, scenario_from_dict

        raw = apply_overrides(self.raw, sample.overrides)
        sc = scenario_from_dict(raw, source=self.source,
                                overrides=self.base_overrides + sample.overrides,
                                default_name=Path(self.source).stem or "scenario")
        sc.require_program()
        return sc

    def prepare(self, sample: Sample) -> dict[str, Any] | None:
        """The geometry group's mesh: ``{'geometry_key', 'mesh'}`` (None without reuse)."""
        if not self.reuse_meshes:
            return None
        sc = self.scenario(sample)
        return {"geometry_key": geometry_key(sc), "mesh": _mesh(sc)}

    def evaluate(self, shared: dict[str, Any] | None, sample: Sample) -> dict[str, Any]:
        """Outputs of one sample (see :func:`result_outputs`)."""
        from neuraxis.perception.session import ScsSession

        sc = self.scenario(sample)
        mesh = None
        if shared is not None and shared.get("geometry_key") == geometry_key(sc):
            mesh = shared["mesh"]
        reused = mesh is not None
        folder = Path(tempfile.mkdtemp(prefix="neuraxis-uq-"))
        try:
            if reused:  # solve on the shared mesh; the session loads it by its usual key
                _basis_on_mesh(sc, mesh).save(folder / f"basis-{_basis_key(sc)}.npz")
            session = ScsSession(sc, cache=folder)  # builds the mesh itself if not reused
            result = session.evaluate(sc.program)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        out = result_outputs(result, self.amplitude_ma)
        out["mesh_reused"] = reused
        out["timings_s"] = {k: round(float(v), 3) for k, v in result.timings_s.items()}
        return out


def _basis_key(sc: Any) -> str:
    from neuraxis.field.basis import basis_inputs, basis_key

    return basis_key(basis_inputs(sc.anatomy, sc.placed, sc.mesh))


def _mesh(sc: Any) -> Any:
    """The mesh :func:`~neuraxis.field.build_field_basis` builds for this scenario."""
    from neuraxis.field.geometry import build_mesh
    from neuraxis.field.model import conductor_model

    model = conductor_model(sc.anatomy, sc.placed, sc.mesh)
    return build_mesh(list(model.shapes), model.length_mm, model.lead, model.sizes,
                      ellipsoid_radii_mm=model.ellipsoid_radii_mm)


def _basis_on_mesh(sc: Any, mesh: Any) -> Any:
    """The field basis of ``sc`` solved on a mesh of its geometry (the steps of
    :func:`~neuraxis.field.build_field_basis` after meshing, with the same key)."""
    from neuraxis.field.basis import FieldBasis, basis_inputs, basis_key
    from neuraxis.field.fem import solve_contacts
    from neuraxis.field.model import conductor_model

    model = conductor_model(sc.anatomy, sc.placed, sc.mesh)
    sol = solve_contacts(mesh, model.sigma_xyz_s_per_m)
    inputs = basis_inputs(sc.anatomy, sc.placed, sc.mesh)
    info = {"inputs": inputs, "n_tets": int(mesh.tets.shape[1]),
            "n_points": int(mesh.points_mm.shape[1]), "n_dofs": sol.n_dofs,
            "mesh_reused": True, **{f"{k}_s": round(v, 2) for k, v in sol.timings_s.items()},
            "cg_iterations": list(sol.iterations)}
    return FieldBasis(tuple(mesh.contact_facets), mesh.points_mm, mesh.tets,
                      mesh.tissue_of_tet, mesh.tissues, sol.element_dofs,
                      sol.potentials_v_per_ma, sol.contact_potential_v_per_ma,
                      basis_key(inputs), info)
