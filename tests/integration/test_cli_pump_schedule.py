"""`neuraxis pump schedule`: patient boluses against the basal schedule, the bridge bolus
against none, and refusals of bolus times the prescription does not allow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neuraxis.cli import app

pytest.importorskip("matplotlib")
REPO = Path(__file__).resolve().parents[2]


def _run(*args: str):
    return CliRunner().invoke(app, ["pump", "schedule", *args])


def test_boluses_raise_the_target_concentration(tmp_path: Path) -> None:
    res = _run(str(REPO / "examples" / "pump_flex_boluses.yaml"), "--bolus-times", "1,5",
               "--hours", "8", "--segments", "L1", "--out", str(tmp_path / "s.png"), "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    for drug in doc["drugs"]:
        t = drug["targets"]["L1"]
        assert t["peak_ug_per_ml"] > 1.5 * t["basal_peak_ug_per_ml"]
        assert Path(drug["figure"]).stat().st_size > 10_000
        assert [b["time_h"] for b in drug["boluses"]] == [1.0, 5.0]
    assert doc["bridge"] is None


def test_bridge_keeps_the_dose_the_window_halves_it(tmp_path: Path) -> None:
    res = _run(str(REPO / "examples" / "pump_concentration_change.yaml"), "--hours", "12",
               "--out", str(tmp_path / "c.png"), "--json")
    assert res.exit_code == 0, res.output
    b = json.loads(res.stdout)["bridge"]
    assert Path(b["figure"]).exists() and b["window_h"] == pytest.approx(2 * b["bridge_h"])
    for seg, t in b["with_bridge"].items():
        # 10 -> 20 mg/mL without a bridge: the old drug runs at half the dose for the window
        ratio = b["without_bridge"][seg]["mean_ug_per_ml"] / t["mean_ug_per_ml"]
        assert ratio == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize(("example", "times", "message"), [
    ("pump_flex_boluses.yaml", "2,3", "closer than the lockout"),
    ("pump_morphine_40ml.yaml", "2", "has no patient bolus"),
    ("pump_flex_boluses.yaml", "2,x", "Expected hours separated by commas"),
    ("pump_flex_boluses.yaml", "0,4,8,12,16", "5 boluses within 24 h from 0 h exceed"),
])
def test_bad_bolus_times_are_refused(tmp_path: Path, example: str, times: str,
                                     message: str) -> None:
    res = _run(str(REPO / "examples" / example), "--bolus-times", times, "--out",
               str(tmp_path / "x.png"))
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output
