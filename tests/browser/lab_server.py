"""A throw-away JupyterLab server for the browser tests (tests/test_browser.py).

:func:`start_lab` runs ``python -m jupyter lab`` on 127.0.0.1 with a fixed token, isolated
config/runtime/settings/workspace folders, and ``overrides.json`` settings that make a headless
run deterministic: no news or update pop-up, no extension manager (it would ask PyPI), no
autosave (the notebooks are copies, but nothing should be written behind the test's back), and
no windowed notebook rendering (every cell stays in the DOM so its outputs can be checked).
:class:`LabServer` wraps the REST calls the tests need (sessions, kernels) and stops the server
with its kernels, whatever happened.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

TOKEN = "hvlm-kit-browser-test"
OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"checkForUpdates": False, "fetchNews": "false"},
    "@jupyterlab/extensionmanager-extension:plugin": {"enabled": False},
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}
"""JupyterLab settings forced for the tests (``<app_settings_dir>/overrides.json``)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    """A running JupyterLab: its process, address and log file."""

    process: subprocess.Popen
    port: int
    root: Path
    log: Path
    token: str = TOKEN
    _closed: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, path: str) -> str:
        """The address that opens ``path`` (relative to the server's root) in a fresh workspace."""
        return f"{self.url}/lab/tree/{path}?reset&token={self.token}"

    def api(self, method: str, path: str, *, timeout: float = 10) -> object:
        """Call the REST API (``/api/...``); the decoded JSON answer, or None when there is none."""
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def delete_sessions(self) -> None:
        """Shut down every kernel session (and any kernel left without a session)."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)
        for kernel in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server and its kernels: shut down through the API, then SIGTERM/SIGKILL its group."""
        if self._closed:
            return
        self._closed = True
        if self.process.poll() is None:
            try:
                self.delete_sessions()
                self.api("POST", "/api/shutdown", timeout=5)
                self.process.wait(timeout=10)
            except Exception:  # noqa: BLE001 - fall through to signals
                pass
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)  # the server and the kernels it started
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue


def start_lab(root: Path, home: Path, *, env: dict[str, str] | None = None, timeout: float = 60) -> LabServer:
    """Start JupyterLab serving ``root``; ``home`` receives its config, settings and log.

    Returns once ``/api/status`` answers; raises RuntimeError with the log's tail if the server
    exits or does not answer within ``timeout`` seconds. [s]
    """
    settings = home / "app-settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps(OVERRIDES, indent=2))
    for sub in ("config", "runtime", "data", "user-settings", "workspaces"):
        (home / sub).mkdir(exist_ok=True)
    port = free_port()
    log = home / "jupyterlab.log"
    environment = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "jupyter", "lab",
        "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
        f"--IdentityProvider.token={TOKEN}", "--allow-root",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.terminals_enabled=False",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.app_settings_dir={settings}",
        f"--LabApp.user_settings_dir={home / 'user-settings'}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=root, env=environment, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    server = LabServer(process=process, port=port, root=root, log=log)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{server.log_tail()}")
        try:
            server.api("GET", "/api/status", timeout=2)
            return server
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"JupyterLab did not answer on port {port} within {timeout} s:\n{server.log_tail()}")
        time.sleep(0.25)
