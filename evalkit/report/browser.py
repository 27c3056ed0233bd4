"""A minimal W3C WebDriver client for headless Chromium through chromedriver (plain HTTP, stdlib only).

Used by the report's browser test and bench/report_size.py to load a report, click a problem and time it;
no selenium needed. Chromium runs with a fresh profile and nothing that reaches the network.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def find_chromium() -> tuple[str, str] | None:
    """(chromium, chromedriver) paths, or None when either is missing."""
    browser = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    def __init__(self, width: int = 1500, height: int = 1000, timeout: float = 60.0) -> None:
        found = find_chromium()
        if found is None:
            raise RuntimeError("chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)")
        browser, driver = found
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="evalkit-chromium-")
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.driver = subprocess.Popen([driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self._wait_ready()
            options = {"binary": browser, "args": CHROMIUM_ARGS + [f"--user-data-dir={self.profile}",
                                                                   f"--window-size={width},{height}"]}
            caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}}
            self.session = self._call("POST", "/session", caps)["sessionId"]
        except BaseException:
            self.close()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                if self._call("GET", "/status").get("ready"):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("chromedriver did not start")

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                value = json.loads(response.read() or b"{}").get("value")
        except urllib.error.HTTPError as err:
            detail = json.loads(err.read() or b"{}").get("value", {})
            raise RuntimeError(f"webdriver {path}: {detail.get('error')}: {detail.get('message', '')[:300]}") from None
        return value

    def _s(self, path: str) -> str:
        return f"/session/{self.session}{path}"

    def open(self, path: Path) -> None:
        self._call("POST", self._s("/url"), {"url": Path(path).resolve().as_uri()})

    def js(self, script: str, *args: Any) -> Any:
        return self._call("POST", self._s("/execute/sync"), {"script": script, "args": list(args)})

    def wait_for(self, script: str, timeout: float | None = None) -> Any:
        """Poll `script` (a JS expression body returning a value) until it is truthy."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            value = self.js(script)
            if value:
                return value
            time.sleep(0.05)
        raise TimeoutError(f"page never satisfied: {script}")

    def click(self, css: str) -> None:
        element = self._call("POST", self._s("/element"), {"using": "css selector", "value": css})[ELEMENT]
        self._call("POST", self._s(f"/element/{element}/click"), {})

    def screenshot(self, path: Path) -> None:
        Path(path).write_bytes(base64.b64decode(self._call("GET", self._s("/screenshot"))))

    def close(self) -> None:
        try:
            if getattr(self, "session", None):
                self._call("DELETE", self._s(""))
        except (OSError, RuntimeError):
            pass
        finally:
            self.driver.terminate()
            try:
                self.driver.wait(10)
            except subprocess.TimeoutExpired:
                self.driver.kill()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
