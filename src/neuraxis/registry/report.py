"""The registry report: the analyses of one database, as HTML with figures and CSV files.

:func:`registry_report` reads the analysis tables (:mod:`neuraxis.registry.frames`) and
runs every analysis once; :func:`write_report` writes ``report.html`` (provenance,
the definitions used, each table, the figures it is given) and one CSV per table. The
figures are drawn by :mod:`neuraxis.viz.registry` (the command line passes them in).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuraxis._validate import NeuraxisInputError

#: Scores whose change from baseline the report shows.
CHANGE_SCORES = ("nrs_back", "nrs_leg", "odi_pct", "eq5d_index")
NOTICE = ("Research software, not a medical device: these analyses describe the data in "
          "this registry and are not clinical advice.")


@dataclass(frozen=True)
class RegistryReport:
    """Every analysis of one database, with its provenance."""

    provenance: dict
    responders: Any
    change: dict
    survival: Any
    complications: Any
    mixed: Any = None
    incidence: Any = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: provenance and each analysis's ``to_dict()``."""
        return {"provenance": self.provenance, "responders": self.responders.to_dict(),
                "change": {k: v.to_dict() for k, v in self.change.items()},
                "survival": self.survival.to_dict(),
                "complications": self.complications.to_dict(),
                "mixed": None if self.mixed is None else self.mixed.to_dict(),
                "incidence": None if self.incidence is None else self.incidence.to_dict(),
                "notes": list(self.notes)}

    def tables(self) -> dict[str, Any]:
        """Name -> tidy DataFrame of every table (the CSV files)."""
        out = {"responders": self.responders.to_frame(),
               "survival": self.survival.to_frame(),
               "complications": self.complications.to_frame()}
        out.update({f"change_{k}": v.to_frame() for k, v in self.change.items()})
        if self.mixed is not None:
            out["mixed_model"] = self.mixed.to_frame()
        if self.incidence is not None:
            out["incidence_by_cause"] = self.incidence.to_frame()
        return out


def registry_report(engine: Any, *, threshold_pct: float = 50.0, region: str = "back",
                    value_set: str = "england") -> RegistryReport:
    """Run the report's analyses on a registry database.

    Parameters
    ----------
    engine
        From :func:`neuraxis.registry.db.connect`.
    threshold_pct : float
        Responder threshold: percent reduction of pain from baseline (30 or 50 usually).
    region : {'back', 'leg', 'overall'}
        Pain region of the responder definition.
    value_set : {'england', 'us'}
        EQ-5D-5L value set.
    """
    import neuraxis
    from neuraxis.registry import analysis
    from neuraxis.registry.db import current_revision
    from neuraxis.registry.frames import registry_tables
    from neuraxis.registry.records import summary

    t = registry_tables(engine, value_set=value_set)
    if t.visits.empty:
        raise NeuraxisInputError(
            "Invalid registry: no visits recorded, nothing to report. Import data first "
            "('neuraxis registry import')")
    counts = summary(engine)
    from sqlalchemy import func, select

    from neuraxis.registry.db import transaction
    from neuraxis.registry.models import Patient

    with transaction(engine, "read") as s:
        n_syn = int(s.scalar(select(func.count()).select_from(Patient)
                             .where(Patient.synthetic.is_(True))))
    notes = []
    if n_syn:
        notes.append(f"{n_syn} of {counts['n_patients']} patients are SYNTHETIC (generated) "
                     "records: the numbers below illustrate the method, not a therapy.")
    change = {}
    for score in CHANGE_SCORES:
        if t.visits[score].notna().any():
            change[score] = analysis.change_from_baseline(t.visits, score)
    mixed = None
    if t.visits["odi_pct"].notna().sum() >= 10:
        try:
            mixed = analysis.mixed_model(t.visits, "odi_pct")
        except NeuraxisInputError as exc:
            notes.append(f"Mixed model of odi_pct not fitted: {exc}")
    incidence = None
    if (t.implants["event"] != "none").any():
        # competing causes of explant or revision (Aalen-Johansen)
        incidence = analysis.cumulative_incidence(t.implants, by="cause")
    prov = {"neuraxis_version": neuraxis.__version__,
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": engine.url.render_as_string(hide_password=True),
            "schema_revision": current_revision(engine),
            "n_patients": counts["n_patients"], "n_visits": counts["n_visits"],
            "n_synthetic_patients": n_syn, "eq5d_value_set": value_set,
            "notice": NOTICE}
    return RegistryReport(
        provenance=prov,
        responders=analysis.responder_rates(t.visits, threshold_pct=threshold_pct,
                                            region=region),
        change=change, survival=analysis.kaplan_meier(t.implants),
        complications=analysis.complication_rates(t.complications, t.followup),
        mixed=mixed, incidence=incidence, notes=tuple(notes))


def _table_html(df: Any) -> str:
    df = df.astype(object).where(df.notna(), "–")
    body = df.to_html(index=False, border=0, classes="t",
                      float_format=lambda x: f"{x:.3g}")
    return f"<div class='scroll'>{body}</div>"


def write_report(report: RegistryReport, folder: str | Path, *,
                 figures: dict[str, Path] | None = None) -> dict[str, Path]:
    """Write ``report.html`` and one CSV per table into ``folder``; returns name -> path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, df in report.tables().items():
        path = folder / f"{name}.csv"
        df.to_csv(path, index=False)
        written[name] = path
    figures = figures or {}
    esc = html.escape
    p = report.provenance
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>neuraxis registry "
        "report</title><style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table.t{border-collapse:collapse;font-size:0.85em}table.t td,table.t th{padding:"
        "2px 8px;border-bottom:1px solid #ddd;text-align:right}.warn{background:#fff3cd;"
        "padding:0.6em;border:1px solid #e0c060}img{max-width:100%}.scroll{overflow-x:auto}"
        "</style></head><body>",
        "<h1>Registry report</h1>",
        f"<p class='warn'>{esc(NOTICE)}</p>",
        *(f"<p class='warn'><b>{esc(n)}</b></p>" for n in report.notes),
        "<h2>Provenance</h2><ul>",
        *(f"<li>{esc(str(k))}: {esc(str(v))}</li>" for k, v in p.items() if k != "notice"),
        "</ul>",
        f"<h2>Responders</h2><p>{esc(report.responders.definition.describe())}. Intention "
        "to treat counts every implanted patient, a missing visit as a non-responder; per "
        "protocol counts the patients observed at the visit. 95 % Wilson intervals.</p>"]
    if "responders" in figures:
        parts.append(f"<img src='{esc(figures['responders'].name)}' alt='responders'>")
    parts.append(_table_html(report.responders.to_frame()))
    parts.append("<h2>Change from baseline</h2><p>Mean change with a t-based 95 % "
                 "interval; 'improved' uses the minimal important change of Ostelo et al. "
                 "2008 where it applies.</p>")
    if "change" in figures:
        parts.append(f"<img src='{esc(figures['change'].name)}' alt='change'>")
    for score, res in report.change.items():
        parts += [f"<h3>{esc(score)}</h3>", _table_html(res.to_frame())]
    if report.mixed is not None:
        parts += ["<h3>Mixed model (odi_pct ~ visit, random intercept per patient)</h3>",
                  _table_html(report.mixed.to_frame())]
    parts.append("<h2>Device survival (free of explant or revision)</h2>")
    if "survival" in figures:
        parts.append(f"<img src='{esc(figures['survival'].name)}' alt='survival'>")
    parts.append(_table_html(report.survival.to_frame()))
    if report.incidence is not None:
        parts.append("<h3>Cumulative incidence of explant or revision by cause "
                     "(Aalen-Johansen, competing causes)</h3>")
        if "incidence" in figures:
            parts.append(f"<img src='{esc(figures['incidence'].name)}' alt='incidence'>")
        parts.append(_table_html(report.incidence.to_frame()))
    parts += ["<h2>Complications per 100 patient-years</h2>",
              _table_html(report.complications.to_frame()),
              "<p>CSV files of every table lie next to this report.</p></body></html>"]
    path = folder / "report.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    written["report"] = path
    return written
