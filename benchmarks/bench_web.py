"""Speed of the review loop in a real browser: `radiographqc web` on the bundled samples, driven by
Debian's Chromium through Playwright (as the browser tests do).

    python benchmarks/bench_web.py [--moves 30] [--opens 3]

Printed:
- open: time from the click on a case in the list to its grade or verdict on the page (median over
  the samples, each opened --opens times in a fresh tab; the first open of a tab also loads the
  models, reported apart);
- drag: time from a mouse move over the view (the browser's pointermove, performance.now) to the
  moment the page's AP3 value changes (MutationObserver), for --moves moves of P2 while the button is
  held, one at a time (the next move waits for the update): median and 90th percentile, ms.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Testing" / "Python"))

from web_browser import VIEWPORT, ReviewTab, launch_browser, web_app  # noqa: E402

WRIST = "wrist_ap_routine.dcm"
OPENED = ["wrist_ap_routine.dcm", "wrist_lat_routine.dcm", "lumbar_ap_routine.dcm", "lumbar_lat_routine.dcm"]
WATCH = """() => {
  window.__moves = []; window.__updates = [];
  document.querySelector('[data-testid="view"]').addEventListener('pointermove',
      e => window.__moves.push(performance.now()), true);
  new MutationObserver(() => window.__updates.push(performance.now()))
      .observe(document.querySelector('[data-testid="value-AP3"]'), {childList: true, subtree: true, characterData: true});
}"""


OPEN_WATCH = """name => { window.__opened = new Promise(resolve => {
  const title = () => document.querySelector('[data-testid="case-title"]')?.innerText || '';
  // on the document: the list may be drawn again between this and the click
  const listen = e => {
    if (!e.target.closest(`[data-testid="case-${name}"]`)) return;
    document.removeEventListener('click', listen, true);
    const clicked = performance.now();
    const check = () => title().startsWith(name) ? resolve(performance.now() - clicked) : requestAnimationFrame(check);
    check();
  };
  document.addEventListener('click', listen, true);
}); }"""


def time_opens(browser, url, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds from the click on a case to its title and result in the page (measured in the page)."""
    first, later = [], []
    for _ in range(repeats):
        tab = ReviewTab(browser.new_page(viewport=VIEWPORT), url)
        for index, name in enumerate(OPENED):
            tab.page.evaluate(OPEN_WATCH, name)     # kept on the page: evaluate would await a promise
            tab.by(f"case-{name}").click()
            (first if index == 0 else later).append(tab.page.evaluate("() => window.__opened") / 1000)
            print(f"opened {name}: {(first if index == 0 else later)[-1]:.2f} s", file=sys.stderr, flush=True)
            tab.wait_for_result()
            tab.wait_for_picture()
        tab.page.close()
    return first, later


def time_drag(browser, url, moves: int) -> list[float]:
    tab = ReviewTab(browser.new_page(viewport=VIEWPORT), url)
    tab.open_case(WRIST)
    tab.wait_for_picture()
    page = tab.page
    sx, sy = tab.screen_of(tab.point("P2"))
    page.evaluate(WATCH)
    page.mouse.move(sx, sy)
    page.wait_for_timeout(200)
    page.mouse.down()
    latencies = []
    for step in range(1, moves + 1):
        updates = page.evaluate("() => window.__updates.length")
        page.mouse.move(sx, sy + 2 * step)
        page.wait_for_function("n => window.__updates.length > n", arg=updates, timeout=20000)
        moved, updated = page.evaluate("() => [window.__moves.at(-1), window.__updates.at(-1)]")
        latencies.append(updated - moved)
        page.wait_for_timeout(50)
    page.mouse.up()
    page.close()
    return latencies


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=30)
    parser.add_argument("--opens", type=int, default=3)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as export, web_app([], export) as url, sync_playwright() as playwright:
        browser = launch_browser(playwright)
        first, later = time_opens(browser, url, args.opens)
        latencies = time_drag(browser, url, args.moves)
        browser.close()
    print(f"open a case: median {statistics.median(later):.2f} s over {len(later)} opens "
          f"(first case of a tab, with the models loading: median {statistics.median(first):.2f} s)")
    deciles = statistics.quantiles(latencies, n=10)
    print(f"drag -> updated table in the page: median {statistics.median(latencies):.0f} ms, "
          f"90th percentile {deciles[-1]:.0f} ms over {len(latencies)} moves")
    return 0


if __name__ == "__main__":
    sys.exit(main())
