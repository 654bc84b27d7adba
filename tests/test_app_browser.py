"""The app in a real browser: headless Chromium against `python run.py viz` on 127.0.0.1.

The server's CDN is pointed at a closed local port, so that a front-end file missing from the
local cache fails the test even on a machine with internet (Solara would otherwise fetch it).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
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


def open_app(page, app_url, problems: list[str] | None = None):
    """Load the app, recording front-end files that failed to load, and wait for step 0."""
    if problems is not None:
        page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                if r.status >= 400 else None)
    page.set_viewport_size({"width": 1400, "height": 1100})
    page.goto(app_url)
    page.get_by_text("Latest events, step 0").wait_for(timeout=90_000)
    page.wait_for_function("document.querySelectorAll('img').length >= 3", timeout=60_000)


def step(page, times: int, shown: str = "Latest events, step {}"):
    """Click Step `times` times, waiting for each step to be on screen."""
    button = page.get_by_role("button", name="Step", exact=True)
    start = feed_step(page) if "Latest events" in shown else None
    for k in range(1, times + 1):
        button.click()
        page.get_by_text(shown.format((start or 0) + k)).first.wait_for(timeout=30_000)


def choose(page, label: str, option: str):
    """Pick `option` in the select labelled `label`."""
    page.get_by_label(label, exact=True).click(force=True)
    page.get_by_role("option", name=option, exact=True).click()


def reset(page):
    page.get_by_role("button", name="Reset", exact=True).click()


def feed_lines(page) -> list[str]:
    """The event feed's lines ("step N: ...")."""
    card = page.locator(".v-card", has_text="Latest events, step")
    return [t for t in card.last.inner_text().splitlines() if re.match(r"^step \d+: ", t)]


def test_step_play_pause_in_a_browser(page, app_url):
    problems: list[str] = []
    open_app(page, app_url, problems)
    before = image_sources(page)

    mesa_counter(page, 0).wait_for(timeout=30_000)
    step(page, 3)
    mesa_counter(page, 3).wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    after = image_sources(page)
    changed = sum(a != b for a, b in zip(before, after, strict=False))
    assert changed >= 3, "the network and the charts should redraw after stepping"
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

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)
    assert (ARTIFACTS / "app.png").stat().st_size > 10_000
    assert not problems, f"every front-end file must be served locally: {problems}"


def test_two_sessions_have_their_own_models(browser, app_url):
    first, second = browser.new_page(), browser.new_page()
    try:
        open_app(first, app_url)
        step(first, 3)
        open_app(second, app_url)  # a new tab starts its own run at step 0
        mesa_counter(second, 0).wait_for(timeout=10_000)
        step(second, 1)
        first.wait_for_timeout(1000)
        assert feed_step(first) == 3 and feed_step(second) == 1
        mesa_counter(first, 3).wait_for(timeout=10_000)
    finally:
        first.close()
        second.close()


def test_preset_and_policy_selects_change_the_model_and_the_feed_shows_events(page, app_url):
    open_app(page, app_url)
    choose(page, "Preset", "hierarchy")
    page.get_by_text("Reset applies them").wait_for(timeout=10_000)  # pending until Reset
    reset(page)
    page.get_by_text(re.compile(r"^hierarchy: 300 people, seed 0; membership assigned"))\
        .wait_for(timeout=30_000)
    step(page, 10)
    page.get_by_text("(no limit)").first.wait_for(timeout=30_000)  # push: no WIP limits
    # most events under hierarchy are conflicts; the feed lists the latest others
    lines = feed_lines(page)
    assert len(lines) == 12, lines
    assert int(lines[0].split(":")[0].split()[1]) > 0

    choose(page, "Membership", "voluntary")
    page.get_by_label("Membership (changed)", exact=True).wait_for(timeout=10_000)
    reset(page)
    line = page.get_by_text(re.compile(r"^hierarchy: 300 people, seed 0; membership voluntary"))
    line.wait_for(timeout=30_000)
    assert "work push" in line.inner_text()  # the rest of the preset stays


def test_comparison_runs_two_configurations_in_lockstep(page, app_url):
    open_app(page, app_url)
    page.get_by_role("button", name="Compare two").click()
    page.get_by_text("Compared at step 0, seed 0 for both").wait_for(timeout=30_000)
    page.get_by_text("A: purposeful as is").wait_for(timeout=10_000)
    page.get_by_text("B: hierarchy as is").wait_for(timeout=10_000)
    before = image_sources(page)
    step(page, 3, shown="Compared at step {}, seed 0 for both")
    page.get_by_text("Step: 3 (A and B)").wait_for(timeout=10_000)
    page.wait_for_timeout(500)
    assert image_sources(page) != before, "the paired time series redraw"
    page.get_by_role("cell", name="throughput (items/step)", exact=True).wait_for(timeout=10_000)

    page.get_by_role("button", name="B", exact=True).click()  # edit configuration B
    choose(page, "B Preset", "holacracy")
    reset(page)
    page.get_by_text("B: holacracy as is").wait_for(timeout=30_000)
    page.get_by_text("Compared at step 0, seed 0 for both").wait_for(timeout=10_000)
    ARTIFACTS.mkdir(exist_ok=True)
    step(page, 2, shown="Compared at step {}, seed 0 for both")
    page.screenshot(path=str(ARTIFACTS / "app-compare.png"), full_page=True)


def test_export_downloads_steps_events_and_configuration(page, app_url, tmp_path):
    open_app(page, app_url)
    step(page, 4)
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name=re.compile("Export this run")).click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    assert target.name == "purposeful-purposeful-seed0-step4.zip"
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == ["config.json", "events.csv", "steps.csv"]
        steps = archive.read("steps.csv").decode().splitlines()
        assert len(steps) == 1 + 5 and steps[0].startswith("step,throughput")
        config = json.loads(archive.read("config.json"))
    assert (config["preset"], config["seed"], config["steps"]) == ("purposeful", 0, 4)
    assert config["parameters"]["membership"] == "voluntary"


def test_sigterm_stops_the_server_and_frees_the_port():
    """`viz.serve.serve` (what `run.py viz` runs) ends Solara's server when it gets SIGTERM:
    the server process is gone and nothing listens on the port any more."""
    port = free_port()
    launcher = subprocess.Popen(
        [sys.executable, "-c", "import sys; from viz.serve import serve; "
         "sys.exit(serve(port=int(sys.argv[1])))", str(port)],
        cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert launcher.poll() is None, launcher.stdout.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer within 120 s"
                time.sleep(0.3)
        children = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read_text()
        server = int(children.split()[0])
        launcher.send_signal(signal.SIGTERM)  # to the launcher alone, as a service manager does
        assert launcher.wait(timeout=30) == 128 + signal.SIGTERM
        assert not Path(f"/proc/{server}").exists(), "Solara's server outlived its launcher"
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
