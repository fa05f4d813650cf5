"""Headless Chromium driven over the DevTools protocol, for checking pages the way a browser does.

Why not Selenium or Playwright: both bring a driver or a browser build of their own; Debian's
``chromium`` package plus a WebSocket (``websocket-client``) is all the protocol needs. The
browser runs with a fresh profile in a temporary folder and no network services, and reports
every console error, uncaught exception and failed load it sees, so a test can demand none.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import websocket

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
    "--autoplay-policy=no-user-gesture-required",
)
START_TIMEOUT = 30.0
CALL_TIMEOUT = 30.0


def missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return (f"{CHROMIUM} is not installed (Debian package 'chromium'; .ci/run installs it "
                "when it runs as root with apt-get)")
    return None


class Page:
    """One tab: navigate, evaluate JavaScript, take screenshots, and collect what went wrong."""

    def __init__(self, socket: websocket.WebSocket) -> None:
        self._socket = socket
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one protocol command and return its result (events seen meanwhile are kept)."""
        self._next_id += 1
        ident = self._next_id
        self._socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + CALL_TIMEOUT
        while time.monotonic() < deadline:
            message = json.loads(self._socket.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method} failed: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(message)
        raise TimeoutError(f"{method} got no answer in {CALL_TIMEOUT} s")

    def wait_event(self, method: str, timeout: float = CALL_TIMEOUT) -> dict[str, Any]:
        """The next event named ``method`` (or one already received and not yet taken)."""
        for index, event in enumerate(self.events):
            if event["method"] == method:
                return self.events.pop(index)
        self._socket.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message: dict[str, Any] = json.loads(self._socket.recv())
            if message.get("method") == method:
                return message
            if "method" in message:
                self.events.append(message)
        raise TimeoutError(f"no {method} event in {timeout} s")

    def open(self, url: str, *, width: int = 1280, height: int = 900) -> None:
        """Load ``url`` in a ``width`` x ``height`` viewport and wait for its load event."""
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.resize(width, height)
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The JSON value of ``expression`` (promises awaited; run as if the user clicked)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True, userGesture=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def resize(self, width: int, height: int) -> None:
        """Make the viewport ``width`` x ``height`` CSS pixels."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def content_height(self) -> int:
        """The height of the whole page in CSS pixels."""
        return int(self.call("Page.getLayoutMetrics")["cssContentSize"]["height"])

    def wait_for_images(self, timeout_ms: int = 10_000) -> list[dict[str, Any]]:
        """Wait until every image in the page has loaded or failed; their src and sizes."""
        return list(self.evaluate(f"""new Promise((resolve) => {{
            const end = Date.now() + {timeout_ms};
            const check = () => {{
              const images = Array.from(document.images);
              if (images.every((i) => i.complete) || Date.now() > end) {{
                resolve(images.map((i) => ({{src: i.currentSrc || i.src, complete: i.complete,
                                             width: i.naturalWidth}})));
              }} else {{ setTimeout(check, 50); }}
            }};
            check();
        }})"""))

    def move_mouse(self, x: float, y: float) -> None:
        """Move the mouse pointer to (``x``, ``y``) in viewport CSS pixels, as a user would."""
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        """Save a PNG of the viewport (or of the whole page) to ``path``."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            metrics = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params["captureBeyondViewport"] = True
            params["clip"] = {"x": 0, "y": 0, "width": metrics["width"],
                              "height": metrics["height"], "scale": 1}
        data = self.call("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries seen so far."""
        found: list[str] = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(" ".join(str(a.get("value", a.get("description", "")))
                                      for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append(str(details.get("exception", {}).get("description")
                                 or details.get("text")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                found.append(f"{entry.get('text')} {entry.get('url', '')}".strip())
        return found


@contextlib.contextmanager
def chromium_page() -> Iterator[Page]:
    """A headless Chromium with a throw-away profile and one open tab; quit afterwards."""
    profile = Path(tempfile.mkdtemp(prefix="stillmotion-chromium-"))
    process = subprocess.Popen(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    socket: websocket.WebSocket | None = None
    try:
        socket = websocket.create_connection(_page_socket_url(profile, process),
                                             timeout=CALL_TIMEOUT, suppress_origin=True)
        yield Page(socket)
    finally:
        if socket is not None:
            socket.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _page_socket_url(profile: Path, process: subprocess.Popen[bytes]) -> str:
    """The DevTools WebSocket of the first tab, once the browser has written its port."""
    import urllib.request

    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited at start with code {process.returncode}")
        if marker.exists() and marker.read_text().strip():
            port = int(marker.read_text().split()[0])
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as answer:
                targets = json.loads(answer.read())
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                url: str = pages[0]["webSocketDebuggerUrl"]
                return url
        time.sleep(0.05)
    raise TimeoutError(f"chromium did not open its DevTools port in {START_TIMEOUT} s")
