"""How responsive the app is: time from a click on Step until every view has redrawn.

Serves the app (the page of `app.py`, starting at a chosen preset and number of people),
drives it in headless Chromium, and times each click on Step until the event feed shows the
new step and every image (network, tribes chart, time series) has been replaced and decoded.
Prints the median and the slowest of the timed steps.

    python benchmarks/bench_app.py                      # 1,000 people, 12 timed steps
    python benchmarks/bench_app.py --people 2000 --steps 20 --preset hierarchy
    python benchmarks/bench_app.py --people 300 --steps 40 --screenshot docs/app.png
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WRAPPER = """
import sys
sys.path.insert(0, {root!r})
import solara

from viz.controls import Settings
from viz.page import Page as AppPage


@solara.component
def Page():
    AppPage(initial=Settings({preset!r}).set("people", {people}))
"""

# checked on every animation frame: a locator's wait_for polls at 100-500 ms intervals, which
# would add up to half a second to a measurement
REDRAWN = """([old, feed]) => {
    const imgs = [...document.querySelectorAll('img')];
    return document.body.innerText.includes(feed) && imgs.length >= old.length
        && imgs.every((img, k) => img.src !== old[k] && img.complete);
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false"}
    server = subprocess.Popen([sys.executable, "-m", "solara", "run", str(app), "--host",
                               "127.0.0.1", "--port", str(port), "--no-open", "--production",
                               "--no-check-version"], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    os.killpg(server.pid, signal.SIGKILL)
    raise SystemExit("bench_app: the app server did not answer within 120 s")


def measure(url: str, steps: int, chromium: str, screenshot: Path | None) -> list[float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=["--no-sandbox", "--disable-gpu",
                                           "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(url)
        page.get_by_text("Latest events, step 0").wait_for(timeout=120_000)
        page.wait_for_function("document.querySelectorAll('img').length >= 3",
                               timeout=120_000)
        step = page.get_by_role("button", name="Step", exact=True)
        times = []
        for k in range(1, steps + 1):
            old = page.locator("img").evaluate_all("imgs => imgs.map(i => i.src)")
            start = time.perf_counter()
            step.click()
            page.wait_for_function(REDRAWN, arg=[old, f"Latest events, step {k}"],
                                   polling="raf", timeout=60_000)
            times.append(time.perf_counter() - start)
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--preset", default="purposeful")
    parser.add_argument("--steps", type=int, default=12, help="timed steps (default 12)")
    parser.add_argument("--screenshot", type=Path, help="save a screenshot (PNG) at the end")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        app = Path(scratch) / "bench_app_page.py"
        app.write_text(WRAPPER.format(root=str(ROOT), people=args.people, preset=args.preset))
        port = free_port()
        server = serve(app, port)
        try:
            times = measure(f"http://127.0.0.1:{port}/", args.steps, args.chromium,
                            args.screenshot)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    print(f"{args.preset}, {args.people} people: step + redraw of every view, "
          f"median {statistics.median(times):.2f} s, slowest {max(times):.2f} s "
          f"over {len(times)} steps")


if __name__ == "__main__":
    main()
