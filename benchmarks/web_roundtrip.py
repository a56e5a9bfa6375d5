"""Benchmark: the web app measured in the browser (issue 13: a new amplitude "in well under
a second").

Starts ``neuraxis web`` (uvicorn, one worker, a temporary SQLite registry with one
account) and Debian's headless Chromium (Selenium), logs in, and measures:

1. page loads (``/scs``, ``/pump``, ``/registry``) from the browser's Navigation Timing:
   response end, DOMContentLoaded and load event, ms after navigation start;
2. opening a scenario (the session: field basis, fibers; from the disk cache if there),
   and the first program's evaluation, as the page shows them (s);
3. the amplitude -> body-map round trip, measured by the page itself (``scs.js``:
   ``performance.now()`` from the amplitude change to the metrics rendered, and to both
   figures -- body map and recruitment curve -- loaded): ``--repeat`` new amplitudes,
   each once (no figure cache hit);
4. a new program shape -> body map (an evaluate job, polled), measured from Python (s).

Prints absolute figures (median, min, max). Run:
``python benchmarks/web_roundtrip.py [--full] [--repeat 10]`` (needs the ``web``, ``fem``
and ``test`` extras and ``apt-get install chromium chromium-driver``). Default: the small
scenario of the browser tests (60 mm, 3 contacts, coarse mesh, 20 DC fibers); ``--full``:
the bundled 1x8 scenario as it is (default mesh, 480 DC fibers; minutes to build cold).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "web"))

from web_helpers import SMALL

PASSWORD = "benchmark password"


def _summary(values: list[float]) -> str:
    return (f"median {statistics.median(values):8.1f}  min {min(values):8.1f}  "
            f"max {max(values):8.1f}  (n={len(values)})")


def _wait(driver, cond, timeout_s: float):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout_s, poll_frequency=0.05).until(cond)


def _attr(driver, css: str, name: str) -> str | None:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].get_attribute(name) if found else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true", help="the bundled scenario as it is")
    ap.add_argument("--repeat", type=int, default=10, help="new amplitudes measured")
    ap.add_argument("--cache", type=Path, default=None,
                    help="field-basis cache folder (default: the user cache)")
    args = ap.parse_args()

    from browser_helpers import Server, browser_missing, log_in, make_registry, start_browser
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    why = browser_missing()
    if why:
        sys.exit(why)
    import neuraxis

    tmp = Path(tempfile.mkdtemp(prefix="neuraxis-web-bench-"))
    url = make_registry(tmp, None, {"bench": "clinician"}, PASSWORD)
    env = {"NEURAXIS_CACHE_DIR": str(args.cache)} if args.cache else {}
    server = Server(url, tmp / "server.log", env=env)
    driver = start_browser(tmp / "profile")
    try:
        print(f"neuraxis {neuraxis.__version__}, Python {platform.python_version()}, "
              f"{platform.machine()}, {driver.capabilities.get('browserVersion')} headless; "
              f"scenario: {'bundled 1x8 (full)' if args.full else 'small (browser tests)'}")
        log_in(driver, server.url, "bench", PASSWORD)
        print("\n1. page loads (ms after navigation start; 5 loads each)")
        for path in ("/scs", "/pump", "/registry"):
            rows: dict[str, list[float]] = {"responseEnd": [], "domContentLoadedEventEnd": [],
                                            "loadEventEnd": []}
            for _ in range(5):
                driver.get(server.url + path)
                _wait(driver, lambda d: d.execute_script(
                    "const n = performance.getEntriesByType('navigation')[0];"
                    "return n && n.loadEventEnd > 0;"), 30)
                nav = driver.execute_script(
                    "return performance.getEntriesByType('navigation')[0].toJSON();")
                for k in rows:
                    rows[k].append(nav[k] - nav["startTime"])
            for k, v in rows.items():
                print(f"   {path:10s} {k:26s} {_summary(v)}")

        driver.get(f"{server.url}/scs")
        Select(driver.find_element(By.ID, "scs-example")).select_by_value("scs_1x8_t8_low_back")
        if not args.full:
            driver.find_element(By.ID, "scs-overrides").send_keys("\n".join(SMALL))
        t0 = time.perf_counter()
        driver.find_element(By.ID, "scs-open-button").click()
        _wait(driver, lambda d: _attr(d, "#scs-ws", "data-session"), 1800)
        t1 = time.perf_counter()
        _wait(driver, lambda d: _attr(d, "#scs-ws", "data-roundtrip-ms"), 1800)
        t2 = time.perf_counter()
        print(f"\n2. open the scenario (session ready): {t1 - t0:.2f} s; first program "
              f"evaluated and drawn: {t2 - t1:.2f} s more")

        pt = float(_attr(driver, "#scs-pt", "data-value"))
        amps = [round(pt * (0.8 + 0.07 * i), 2) for i in range(args.repeat)]
        metrics, maps, figures, outside, server_ms = [], [], [], [], []
        for a in amps:
            driver.execute_script("window.scsTimings = null;")
            s0 = time.perf_counter()
            driver.execute_script(
                "const e = document.getElementById('scs-amplitude'); e.value = arguments[0];"
                "e.dispatchEvent(new Event('change', {bubbles: true}));", f"{a:g}")
            timing = _wait(driver, lambda d, a=a: d.execute_script(
                "return window.scsTimings && window.scsTimings.amplitude_ma === arguments[0]"
                " ? window.scsTimings : null;", a), 60)
            outside.append(1e3 * (time.perf_counter() - s0))
            metrics.append(timing["metrics_ms"])
            maps.append(timing["bodymap_ms"])
            server_ms.append(driver.execute_script(
                "const e = performance.getEntriesByName("
                "document.getElementById('scs-bodymap').src).pop();"
                "return e ? e.responseStart - e.requestStart : null;"))
            figures.append(timing["figures_ms"])
        print(f"\n3. amplitude -> page (ms, in the browser; {len(amps)} new amplitudes "
              f"{amps[0]:g}..{amps[-1]:g} mA)")
        print(f"   metrics rendered (GET results, ScsResult.at)  {_summary(metrics)}")
        print(f"   body map loaded                              {_summary(maps)}")
        print(f"   then the recruitment curve loaded            {_summary(figures)}")
        drawn = [m for m in server_ms if m is not None and m > 150]
        print(f"   body map request, server side (Resource Timing): {_summary(server_ms)}; "
              f"{len(drawn)} of {len(server_ms)} drawn anew (> 150 ms), the others the same "
              "felt paresthesia as an earlier amplitude (cached figure)")
        print(f"   seen from Selenium (includes its polling)     {_summary(outside)}")

        shapes = []
        for contact in ("E1", "E3", "E1", "E3"):  # guarded -> bipole -> ... new shapes
            rid = _attr(driver, "#scs-ws", "data-result-id")
            s0 = time.perf_counter()
            driver.find_element(By.CSS_SELECTOR, f'g[data-contact="{contact}"] rect').click()
            _wait(driver, lambda d, rid=rid: _attr(d, "#scs-ws", "data-result-id") != rid
                  and (_attr(d, "#scs-bodymap", "data-loaded") or rid).find(rid) < 0
                  and _attr(d, "#scs-ws", "data-roundtrip-ms"), 600)
            shapes.append(time.perf_counter() - s0)
        print("\n4. new program shape -> body map (s, includes the page's 0.35 s debounce "
              "and 0.7 s polls)")
        print(f"   {_summary(shapes)}")
    finally:
        driver.quit()
        server.stop()


if __name__ == "__main__":
    main()
