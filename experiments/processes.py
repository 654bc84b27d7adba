"""Process plumbing: a worker process ends when the process that started it dies."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def exit_with_parent(parent: int) -> None:
    """End this process (SIGTERM) when the process `parent` dies, even by SIGKILL, which
    leaves it no chance to stop its children (called as a pool worker starts). On Linux the
    kernel sends the signal (prctl PR_SET_PDEATHSIG); elsewhere, or if prctl fails, a daemon
    thread checks every second whether the process has been given another parent."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0:
            if os.getppid() != parent:  # the parent died before prctl took effect
                os.kill(os.getpid(), signal.SIGTERM)
            return
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                     name="exit-with-parent").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)
