"""The app in a real browser: headless Chromium against `python run.py viz` on 127.0.0.1.

The server's CDN is pointed at a closed local port, so that a front-end file missing from the
local cache fails the test even on a machine with internet (Solara would otherwise fetch it).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("playwright")

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    port = free_port()
    env = {**os.environ, "SOLARA_ASSETS_CDN": f"http://127.0.0.1:{free_port()}/closed/"}
    server = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "viz", "--port", str(port)],
                              cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the app server stopped: {server.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        os.killpg(server.pid, signal.SIGKILL)
        pytest.fail("the app server did not answer within 120 s")
    yield url
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def image_sources(page) -> list[str]:
    return page.locator("img").evaluate_all("imgs => imgs.map(i => i.src)")


def mesa_counter(page, value: int):
    """Mesa's own step counter ("Step: 3" on Mesa 3.3, "Time: 3.0" on Mesa 3.5)."""
    return page.get_by_text(re.compile(rf"^(Step|Time): {value}(\.0)?$"))


def feed_step(page) -> int:
    """The step the event feed shows."""
    text = page.get_by_text(re.compile(r"^Latest events, step \d+")).first.inner_text()
    return int(re.search(r"step (\d+)", text).group(1))


def test_step_play_switch_preset_in_a_browser(page, app_url):
    problems: list[str] = []
    page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)
    page.set_viewport_size({"width": 1400, "height": 1100})
    page.goto(app_url)
    page.get_by_text("Latest events, step 0").wait_for(timeout=90_000)
    page.wait_for_function("document.querySelectorAll('img').length >= 3", timeout=60_000)
    before = image_sources(page)

    mesa_counter(page, 0).wait_for(timeout=30_000)
    step = page.get_by_role("button", name="Step", exact=True)
    for k in range(1, 4):
        step.click()
        page.get_by_text(f"Latest events, step {k}").wait_for(timeout=30_000)
    mesa_counter(page, 3).wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    after = image_sources(page)
    changed = sum(a != b for a, b in zip(before, after, strict=False))
    assert changed >= 3, "the network and the charts should redraw after stepping"
    assert page.get_by_text("Latest events, step 3").is_visible()
    assert page.get_by_text("(limit 3)").first.is_visible()  # pull: WIP limits shown

    page.get_by_role("button", name="▶").click()  # Play
    page.wait_for_function("""() => [...document.querySelectorAll('*')].some(e =>
        /^Latest events, step ([6-9]|\\d\\d+)/.test(e.textContent))""", timeout=60_000)
    page.get_by_role("button", name="❚❚").click()  # Pause
    page.get_by_role("button", name="▶").wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # a step already under way may still land
    paused_at = feed_step(page)
    assert paused_at >= 6
    page.wait_for_timeout(2000)
    assert feed_step(page) == paused_at, "Pause should stop the model"
    mesa_counter(page, paused_at).wait_for(timeout=10_000)

    page.get_by_label("Governance preset").click(force=True)
    page.get_by_role("option", name="hierarchy").click()
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_text("Latest events, step 0").wait_for(timeout=30_000)
    step.click()
    page.get_by_text("Latest events, step 1").wait_for(timeout=30_000)
    page.get_by_text("(no limit)").first.wait_for(timeout=30_000)  # push: no WIP limits

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)
    assert (ARTIFACTS / "app.png").stat().st_size > 10_000
    assert not problems, f"every front-end file must be served locally: {problems}"
