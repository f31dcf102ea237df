"""Driving `radiographqc web` in a real browser: Debian's Chromium through Playwright (the system
browser; nothing downloads one). Shared by the browser tests and the web benchmark.

The app runs as the user starts it (`python -m radiographqc web ... --port 0`), as a process of its
own, ended by its pid; each new page is a new browser tab, so a new review session of its own.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
URL_LINE = re.compile(r"RadiographQC web app: (http://\S+)")
START_TIMEOUT_S = 120
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu"]
VIEWPORT = {"width": 1500, "height": 900}


def chromium_path() -> str | None:
    return os.environ.get("RADIOGRAPHQC_CHROMIUM") or shutil.which("chromium")


@contextlib.contextmanager
def web_app(inputs, export_dir, *options, log_path=None):
    """Start `radiographqc web` on a free port; yields its URL; stops it (and so its workers) after."""
    command = [sys.executable, "-m", "radiographqc", "web", *map(str, inputs), "--export", str(export_dir),
               "--port", "0", *options]
    log = open(log_path or os.devnull, "w")
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True,
                               start_new_session=True)
    try:
        yield _wait_for_url(process)
    finally:
        _stop(process)
        log.close()


def _wait_for_url(process) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"radiographqc web exited with {process.wait()} before printing its URL")
        match = URL_LINE.search(line)
        if match:
            return match.group(1)
    raise RuntimeError("radiographqc web printed no URL in time")


def _stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=BROWSER_ARGS)


class ReviewTab:
    """One browser tab on the app, with the steps a reviewer takes."""

    def __init__(self, page, url: str, reviewer: str = "Dr Test"):
        self.page = page
        page.goto(url)
        if reviewer:
            page.get_by_test_id("reviewer-name").locator("input").fill(reviewer)
            page.get_by_test_id("reviewer-ok").click()
            page.get_by_test_id("reviewer").filter(has_text=reviewer).wait_for()

    def by(self, testid: str):
        return self.page.get_by_test_id(testid)

    def text(self, testid: str) -> str:
        return self.by(testid).inner_text().strip()

    def open_case(self, file_name: str, timeout_ms: int = 60000):
        """Click a case and wait until its result is on the page."""
        self.by(f"case-{file_name}").click()
        self.page.wait_for_function(
            "name => document.querySelector('[data-testid=\"case-title\"]')?.innerText.startsWith(name)",
            arg=file_name, timeout=timeout_ms)
        self.wait_for_result()

    def wait_for_result(self, timeout_ms: int = 60000):
        self.page.wait_for_function(
            "() => ['grade', 'verdict'].some(id => document.querySelector(`[data-testid=\"${id}\"]`)"
            "?.offsetParent && document.querySelector(`[data-testid=\"${id}\"]`).innerText.trim())",
            timeout=timeout_ms)

    def point(self, pid: str) -> tuple[float, float] | None:
        row = self.by(f"point-{pid}")
        x, y = row.get_attribute("data-x"), row.get_attribute("data-y")
        return None if not x else (float(x), float(y))

    def points(self) -> dict:
        ids = self.page.eval_on_selector_all("[data-testid^='point-']", "rows => rows.map(r => r.dataset.testid)")
        return {i.removeprefix("point-"): self.point(i.removeprefix("point-")) for i in ids}

    def screen_of(self, xy) -> tuple[float, float]:
        """Page coordinates of image pixel (x, y), from the view map the app publishes."""
        mapping = json.loads(self.by("view-map").get_attribute("data-map"))
        box = self.by("view").locator("img").first.bounding_box()   # the remote view's picture
        kx, ky = box["width"] / mapping["size"][0], box["height"] / mapping["size"][1]
        return (box["x"] + kx * (mapping["origin"][0] + xy[0] * mapping["scale"][0]),
                box["y"] + ky * (mapping["origin"][1] + xy[1] * mapping["scale"][1]))

    def scale(self) -> float:
        return json.loads(self.by("view-map").get_attribute("data-map"))["scale"][0]

    def drag(self, start_xy, dx_px: float, dy_px: float, steps: int = 10, pause_ms: int = 40):
        """Press on image pixel `start_xy`, move by (dx, dy) screen pixels in steps, release."""
        sx, sy = self.screen_of(start_xy)
        mouse = self.page.mouse
        mouse.move(sx, sy)
        self.page.wait_for_timeout(150)
        mouse.down()
        for i in range(1, steps + 1):
            mouse.move(sx + dx_px * i / steps, sy + dy_px * i / steps)
            self.page.wait_for_timeout(pause_ms)
        mouse.up()
        self.settle()

    def settle(self, quiet_ms: int = 450, timeout_ms: int = 20000):
        """Wait until the server has caught up with the mouse: the results panel unchanged for a while
        (moves queue up while a busy server renders; the last one arrives after the button is up)."""
        snapshot = "() => [...document.querySelectorAll('[data-testid^=\"point-\"], [data-testid^=\"item-\"]')]" \
                   ".map(e => e.innerText + (e.dataset.x || '') + (e.dataset.y || '')).join('|')"
        deadline = self.page.evaluate("() => performance.now()") + timeout_ms
        last, since = None, None
        while self.page.evaluate("() => performance.now()") < deadline:
            now, current = self.page.evaluate("() => performance.now()"), self.page.evaluate(snapshot)
            if current != last:
                last, since = current, now
            elif now - since >= quiet_ms:
                return
            self.page.wait_for_timeout(75)
        raise TimeoutError("the page did not settle after the mouse action")

    def wait_for_text_change(self, testid: str, old: str, timeout_ms: int = 20000) -> str:
        self.page.wait_for_function(
            "([id, old]) => (document.querySelector(`[data-testid=\"${id}\"]`)?.innerText || '').trim() !== old",
            arg=[testid, old], timeout=timeout_ms)
        return self.text(testid)

    def wait_for_picture(self):
        """The remote view's picture arrives over the websocket some time after the page state."""
        self.page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"view\"] img')]"
                                    ".some(i => i.naturalWidth > 0)", timeout=30000)
        self.page.wait_for_timeout(1200)
