"""Uncertainty sweep of the SCS outputs: Sobol' design (SALib), runs on Dask.

The chain, one module per step:

* :mod:`~neuraxis.uncertainty.inputs`: the uncertain inputs (``data/uncertainty.yaml``),
  each a scenario ``--set`` path with a published range, resolved for one scenario;
* :mod:`~neuraxis.uncertainty.sampling`: the Saltelli/Sobol' design and each sample's
  overrides;
* :mod:`~neuraxis.uncertainty.cache`: one JSON per sample, keyed by a hash (resume);
* :mod:`~neuraxis.uncertainty.runner`: Dask client (local cluster or a scheduler address)
  and the generic sweep loop (``as_completed``, failures recorded, not fatal);
* :mod:`~neuraxis.uncertainty.scs_model`: one SCS sample (mesh shared by samples of the
  same geometry, FEM solve, thresholds, outputs);
* :mod:`~neuraxis.uncertainty.sensitivity`: medians, 90 % intervals, Sobol' indices;
* :mod:`~neuraxis.uncertainty.sweep`: :func:`run_uncertainty`, the whole job and its
  files (CSV, Markdown, JSON, figures).

Dask and SALib (extra ``uncertainty``) are imported inside the functions that use them, so
``import neuraxis.uncertainty`` stays light.
"""

from __future__ import annotations

EXTRA = "uncertainty"

__all__ = ["EXTRA"]
