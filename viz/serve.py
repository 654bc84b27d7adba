"""Serve the app with Solara's server in a child process that ends with this one.

`run.py viz` calls `serve()`. Solara's server (uvicorn) releases its port when it is stopped,
but a parent killed by SIGTERM does not stop its child on its own: the server would keep the
port. So this process turns SIGTERM, SIGINT and SIGHUP into a stop of the child (SIGTERM,
then SIGKILL after `grace` seconds) and returns only once the child is gone; on Linux the
kernel also ends the child if this process dies by SIGKILL (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app.py"
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class _Stop(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def server_command(host: str, port: int, app: Path = APP) -> list[str]:
    """Solara's own command for the app: production mode, no browser, no version check."""
    return [sys.executable, "-m", "solara", "run", str(app), "--host", host, "--port",
            str(port), "--no-open", "--production", "--no-check-version"]


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: ask the kernel for SIGTERM when the parent
    dies (kept across exec)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def serve(host: str = "127.0.0.1", port: int = 8765, grace: float = 10.0) -> int:
    """Serve the app until Solara's server exits or this process is asked to stop.

    Returns the exit code for the command line: the server's own code if it exited by
    itself, 0 after Ctrl-C, 128 + the signal number after SIGTERM or SIGHUP. When it
    returns, the server process has ended and its port is free.
    """
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false"}
    handled = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

    def stop(signum, frame):
        raise _Stop(signum)

    previous = {signum: signal.signal(signum, stop) for signum in handled}
    child = None
    try:
        child = subprocess.Popen(
            server_command(host, port), env=env,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        shown_host = f"[{host}]" if ":" in host else host  # an IPv6 address in a URL
        print(f"serving http://{shown_host}:{port} (Ctrl-C stops)", flush=True)
        return child.wait()
    except _Stop as request:
        return 0 if request.signum == signal.SIGINT else 128 + request.signum
    finally:
        # a second signal while stopping must not leave the child behind
        for signum in handled:
            signal.signal(signum, signal.SIG_IGN)
        if child is not None:
            _stop_child(child, grace)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop_child(child: subprocess.Popen, grace: float) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
