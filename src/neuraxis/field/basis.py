"""The field basis: one unit-current (1 mA) solution per contact, cached on disk.

``build_field_basis(anatomy, placed_lead, mesh="default")`` meshes, solves and
stores the basis under a key that hashes everything that defines it; the next
call with the same inputs loads it (well under a second). ``FieldBasis.probe``
gives volts per mA at any points, per contact or for a program (the
superposition ``sum_i fraction_i * basis_i``).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neuraxis._logging import logger
from neuraxis._validate import NeuraxisInputError, check_option
from neuraxis.anatomy.model import HomogeneousMedium, SpineAnatomy
from neuraxis.field.probe import PointLocator, evaluate
from neuraxis.leads.placement import PlacedLead

#: Bump when the mesh or solver changes what a cached basis contains.
FIELD_MODEL_VERSION = 2


def cache_dir() -> Path:
    """Cache folder: ``$NEURAXIS_CACHE_DIR``, else ``~/.cache/neuraxis``."""
    env = os.environ.get("NEURAXIS_CACHE_DIR")
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) \
        / "neuraxis"
    return base / "field"


@dataclass(frozen=True, eq=False)
class FieldBasis:
    """Per-contact potentials (V per mA) of one lead placement in one anatomy.

    Attributes
    ----------
    contact_names : tuple of str
    points_mm : ndarray (3, n_points)
        Mesh vertices.
    tets : ndarray of int (4, n_tets)
    tissue_of_tet : ndarray of int (n_tets,)
    tissues : tuple of str
    element_dofs : ndarray of int (10, n_tets)
        P2 DOFs of each tetrahedron.
    potentials_v_per_ma : ndarray (n_dofs, n_contacts)
    contact_potential_v_per_ma : ndarray (n_contacts, n_contacts)
        Potential of each contact (rows) per mA through each contact (columns).
    key : str
        Hash of everything that defines the basis.
    info : dict
        Inputs (JSON) and build figures (mesh size, times).
    """

    contact_names: tuple[str, ...]
    points_mm: np.ndarray
    tets: np.ndarray
    tissue_of_tet: np.ndarray
    tissues: tuple[str, ...]
    element_dofs: np.ndarray
    potentials_v_per_ma: np.ndarray
    contact_potential_v_per_ma: np.ndarray
    key: str
    info: dict = field(default_factory=dict)

    @property
    def impedance_kohm(self) -> dict[str, float]:
        """Access resistance of each contact to the distant return (kOhm = V/mA)."""
        d = np.diag(self.contact_potential_v_per_ma)
        return {n: float(v) for n, v in zip(self.contact_names, d, strict=True)}

    @property
    def n_dofs(self) -> int:
        """Number of P2 degrees of freedom."""
        return int(self.potentials_v_per_ma.shape[0])

    def _locator(self) -> PointLocator:
        loc = self.__dict__.get("_loc")
        if loc is None:
            loc = PointLocator(self.points_mm, self.tets)
            object.__setattr__(self, "_loc", loc)
        return loc

    def weights(self, program: dict[str, float] | None = None,
                contact: str | None = None) -> np.ndarray:
        """Weight per contact for a program (name -> signed fraction) or one contact."""
        if (program is None) == (contact is None):
            raise NeuraxisInputError("Invalid input: give either 'program' or 'contact'")
        w = np.zeros(len(self.contact_names))
        items = {contact: 1.0} if contact is not None else program
        for name, frac in items.items():
            check_option("contact", str(name), self.contact_names)
            w[self.contact_names.index(str(name))] = float(frac)
        return w

    def probe(self, points_mm: np.ndarray, program: dict[str, float] | None = None,
              contact: str | None = None) -> np.ndarray:
        """Potential (V per mA) at points; NaN outside the tissue (e.g. inside the lead).

        Parameters
        ----------
        points_mm : ndarray (n, 3)
            x (patient's left), y (dorsal), z (along the cord), mm.
        program : dict, optional
            Contact name -> signed fraction of the current (cathodes negative); the
            field of the program at 1 mA total is ``sum_i fraction_i * basis_i``.
        contact : str, optional
            One contact's unit-current field (all others floating).
            With neither, returns every contact's field, shape (n, n_contacts).
        """
        pts = np.asarray(points_mm, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != 3 or not np.all(np.isfinite(pts)):
            raise NeuraxisInputError(
                f"Invalid value for 'points_mm'. Expected an (n, 3) array of finite x, y, z in "
                f"mm, but got shape {pts.shape}")
        if program is None and contact is None:
            return evaluate(self._locator(), self.element_dofs, self.potentials_v_per_ma, pts)
        w = self.weights(program, contact)
        return evaluate(self._locator(), self.element_dofs,
                        self.potentials_v_per_ma @ w[:, None], pts)[:, 0]

    def save(self, path: Path) -> None:
        """Write the basis to ``path`` (.npz)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # a name of this process's own: two processes saving the same basis at once (test
        # workers, Dask workers sharing a cache) never write into one temporary file
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, points_mm=self.points_mm, tets=self.tets.astype(np.int32),
                 tissue_of_tet=self.tissue_of_tet.astype(np.int16),
                 element_dofs=self.element_dofs.astype(np.int32),
                 potentials_v_per_ma=self.potentials_v_per_ma,
                 contact_potential_v_per_ma=self.contact_potential_v_per_ma,
                 meta=np.array(json.dumps({"contact_names": self.contact_names,
                                           "tissues": self.tissues, "key": self.key,
                                           "info": self.info}, default=_plain)))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> FieldBasis:
        """Read a basis written by :meth:`save`."""
        with np.load(path) as z:
            meta = json.loads(str(z["meta"]))
            return cls(tuple(meta["contact_names"]), z["points_mm"], z["tets"].astype(np.int64),
                       z["tissue_of_tet"].astype(np.int64), tuple(meta["tissues"]),
                       z["element_dofs"].astype(np.int64), z["potentials_v_per_ma"],
                       z["contact_potential_v_per_ma"], meta["key"], meta["info"])


def basis_inputs(anatomy: SpineAnatomy | HomogeneousMedium, placed: PlacedLead,
                 mesh: str) -> dict:
    """Everything that defines a basis, as plain JSON (hashed for the cache key)."""
    import importlib.metadata as md

    def version(pkg: str) -> str:
        try:
            return md.version(pkg)
        except md.PackageNotFoundError:
            return "absent"

    return {"field_model_version": FIELD_MODEL_VERSION, "anatomy": anatomy.to_dict(),
            "lead": placed.to_dict(), "mesh": mesh,
            "gmsh": version("gmsh"), "scikit-fem": version("scikit-fem")}


def _plain(o: object) -> object:
    """JSON fallback for NumPy scalars and arrays."""
    if hasattr(o, "tolist"):
        return o.tolist()
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")


def basis_key(inputs: dict) -> str:
    """SHA-256 (first 20 hex digits) of the canonical JSON of the inputs."""
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def build_field_basis(anatomy: SpineAnatomy | HomogeneousMedium, placed: PlacedLead,
                      mesh: str = "default", *, cache: bool | Path = True,
                      progress: Callable[[str, int, int], None] | None = None) -> FieldBasis:
    """Mesh, solve and cache (or load) the per-contact field basis.

    Parameters
    ----------
    anatomy : SpineAnatomy | HomogeneousMedium
    placed : PlacedLead
        From :func:`neuraxis.leads.place_lead`.
    mesh : {'coarse', 'default', 'fine'}
        Resolution preset.
    cache : bool or Path
        True: the default cache folder (:func:`cache_dir`); a Path: that folder;
        False: no cache.
    progress : callable, optional
        ``progress(stage, done, total)``, stages in this order: 'mesh' (0/1, 1/1),
        'assemble' (0/1, 1/1), 'amg' (0/1, 1/1: the multigrid set-up), 'solve' (contacts
        converged / contacts). Not called when the basis comes from the cache.
    """
    from neuraxis.field.fem import solve_contacts
    from neuraxis.field.geometry import build_mesh
    from neuraxis.field.model import MESH_PRESETS, conductor_model

    check_option("mesh", mesh, MESH_PRESETS)
    inputs = basis_inputs(anatomy, placed, mesh)
    key = basis_key(inputs)
    folder = None if cache is False else (cache_dir() if cache is True else Path(cache))
    path = None if folder is None else folder / f"basis-{key}.npz"
    if path is not None and path.exists():
        t = time.perf_counter()
        basis = FieldBasis.load(path)
        logger.info("field basis loaded from %s in %.2f s", path, time.perf_counter() - t)
        return basis
    model = conductor_model(anatomy, placed, mesh)
    if progress is not None:
        progress("mesh", 0, 1)
    t0 = time.perf_counter()
    m = build_mesh(list(model.shapes), model.length_mm, model.lead, model.sizes,
                   ellipsoid_radii_mm=model.ellipsoid_radii_mm)
    t_mesh = time.perf_counter() - t0
    if progress is not None:
        progress("mesh", 1, 1)
    solve_progress = None if progress is None else (lambda i, n: progress("solve", i, n))
    sol = solve_contacts(m, model.sigma_xyz_s_per_m, progress=solve_progress, stage=progress)
    if progress is not None:
        progress("solve", len(m.contact_facets), len(m.contact_facets))
    info = {"inputs": inputs, "n_tets": int(m.tets.shape[1]), "n_points":
            int(m.points_mm.shape[1]), "n_dofs": sol.n_dofs, "mesh_s": round(t_mesh, 2),
            **{f"{k}_s": round(v, 2) for k, v in sol.timings_s.items()},
            "cg_iterations": list(sol.iterations),
            "contact_centers_mm": {n: [round(float(v), 4) for v in c] for n, c in
                                   zip(placed.lead.contact_names, placed.contact_centers_mm(),
                                       strict=True)}}
    basis = FieldBasis(tuple(m.contact_facets), m.points_mm, m.tets, m.tissue_of_tet, m.tissues,
                       sol.element_dofs, sol.potentials_v_per_ma,
                       sol.contact_potential_v_per_ma, key, info)
    if path is not None:
        basis.save(path)
        logger.info("field basis saved to %s", path)
    return basis
