"""Helpers of the browser tests and the web benchmark: a real uvicorn server on a free port
over a temporary SQLite registry, and Debian's Chromium driven by Selenium.

Chromium and its driver come from Debian (``apt-get install -y chromium chromium-driver``;
Playwright's browser download is not reachable here). Missing, the tests FAIL naming the
packages: they are part of CI (``.ci/run`` installs them), never silently skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

CHROMIUM = os.environ.get("NEURAXIS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("NEURAXIS_CHROMEDRIVER", "/usr/bin/chromedriver")
#: Flags that work in this container (no sandbox, no GPU, no network chatter).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,1900")
SERVER = ("import sys, uvicorn\n"
          "from neuraxis.web import create_app\n"
          "app = create_app(db_url=sys.argv[1], single_user=False)\n"
          "uvicorn.run(app, host='127.0.0.1', port=int(sys.argv[2]), log_level='warning')\n")


def browser_missing() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        return (f"the browser tests need Debian's Chromium and its driver, but "
                f"{', '.join(missing)} is missing: apt-get install -y chromium "
                "chromium-driver (.ci/run installs them)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the browser tests need Selenium: pip install selenium (the 'test' extra)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_registry(folder: Path, template: Path | None, users: dict[str, str],
                  password: str) -> str:
    """A registry database in ``folder`` with one account per ``users`` entry (cheap
    argon2 parameters: the tests check logins, not hashing cost)."""
    from neuraxis.registry.db import connect, upgrade
    from neuraxis.web import accounts

    path = folder / "registry.sqlite"
    if template is not None:
        shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    engine = connect(url)
    if template is None:
        upgrade(engine)
        accounts.upgrade_accounts(engine)
    old = accounts.HASH_PARAMS
    accounts.HASH_PARAMS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    try:
        for name, role in users.items():
            accounts.add_user(engine, name, password, role, by="test")
    finally:
        accounts.HASH_PARAMS = old
        engine.dispose()
    return url


class Server:
    """``neuraxis.web`` under uvicorn in a subprocess (one worker, as ``neuraxis web``)."""

    def __init__(self, db_url: str, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "w", encoding="utf-8")  # closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, db_url, str(self.port)],
                                     env={**os.environ, **(env or {})}, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        self._wait()

    def _wait(self, timeout_s: float = 60.0) -> None:
        import urllib.request

        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout_s:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server stopped: {self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/session", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not answer in {timeout_s} s: {self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8")[-4000:]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


def start_browser(profile: Path, downloads: Path | None = None):
    """Headless Chromium (Debian's) through its chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={profile}")
    if downloads is not None:
        opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                               "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    if downloads is not None:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                               {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    return driver


def log_in(driver, base_url: str, username: str, password: str) -> None:
    """Log out (cookies cleared), then log in through the login form."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base_url}/login")
    driver.delete_all_cookies()
    driver.get(f"{base_url}/login")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, 20).until(lambda d: "/login" not in d.current_url)
