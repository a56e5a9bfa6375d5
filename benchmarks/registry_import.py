"""Benchmark: import and score a large synthetic registry, then the responder table (issue 12).

1. Generate the synthetic export of N patients x 7 visits (``synthetic_export``).
2. ``import_records`` into a fresh SQLite file (every value checked, every response
   scored, one transaction).
3. ``registry_tables`` (read back, score every stored response) + ``responder_rates``.
4. The reference, in the same run: the same ITT responder table (>= 50 % back-pain NRS
   reduction from baseline, missing = non-responder) computed with plain pandas from the
   CSV file; both tables are checked equal.

Prints each time and the ratio of (3) to (4).
Run: ``python benchmarks/registry_import.py [--patients 10000]`` (needs
``pip install '.[registry]'``).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path


def pandas_responders(records_csv: Path) -> dict[str, int]:
    """ITT responders per visit from the CSV alone (plain pandas)."""
    import pandas as pd

    df = pd.read_csv(records_csv, usecols=["record_id", "redcap_event_name",
                                           "redcap_repeat_instrument", "nrs_pain_back"])
    df = df[df["redcap_repeat_instrument"].isna()]
    wide = df.pivot(index="record_id", columns="redcap_event_name", values="nrs_pain_back")
    base = wide["baseline_arm_1"]
    out = {}
    for event, visit in (("month_1_arm_1", "m1"), ("month_3_arm_1", "m3"),
                         ("month_6_arm_1", "m6"), ("month_12_arm_1", "m12"),
                         ("month_18_arm_1", "m18"), ("month_24_arm_1", "m24")):
        rel = (base - wide[event]) / base
        out[visit] = int(((base > 0) & (rel >= 0.5)).sum())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=10_000)
    args = ap.parse_args()
    from neuraxis.registry import db, importing
    from neuraxis.registry.analysis import responder_rates
    from neuraxis.registry.frames import registry_tables
    from neuraxis.registry.synthetic import synthetic_export

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        records, dictionary = synthetic_export(args.patients, seed=1)
        gen_s = time.perf_counter() - t
        rec, dic = Path(tmp) / "records.csv", Path(tmp) / "dictionary.csv"
        rec.write_text(records)
        dic.write_text(dictionary)
        engine = db.connect(f"sqlite:///{tmp}/registry.sqlite")
        db.upgrade(engine)
        t = time.perf_counter()
        res = importing.import_records(engine, rec, dic, user="benchmark")
        import_s = time.perf_counter() - t
        t = time.perf_counter()
        tables = registry_tables(engine)
        resp = responder_rates(tables.visits)
        ours_s = time.perf_counter() - t
        t = time.perf_counter()
        ref = pandas_responders(rec)
        pandas_s = time.perf_counter() - t
        ours = {r["visit"]: int(r["responders_itt"]) for r in resp.to_frame().to_dict("records")}
        assert ours == ref, (ours, ref)
        size_mb = sum(p.stat().st_size for p in Path(tmp).glob("registry.sqlite*")) / 1e6
        engine.dispose()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; {args.patients} patients, "
          f"{res.n_visits} visits, {res.n_responses} responses; SQLite {size_mb:.0f} MB")
    print(f"generate the synthetic export: {gen_s:.1f} s")
    print(f"import (check every value, score every response, one transaction): {import_s:.1f} s"
          f" ({res.n_visits / import_s:.0f} visits/s)")
    print(f"responder table from the database (read, score, analyse): {ours_s:.2f} s")
    print(f"the same table with plain pandas from the CSV: {pandas_s:.3f} s")
    print(f"ratio neuraxis / pandas: {ours_s / pandas_s:.0f}x (identical counts at every visit)")


if __name__ == "__main__":
    main()
