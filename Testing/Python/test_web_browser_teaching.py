"""The Teaching and Quiz tabs in a real browser (Debian's Chromium through Playwright): `radiographqc
web` as a user starts it. A slider dragged with the mouse and moved with the keyboard rescores the
image, to exactly what the teaching core gives for the values the page shows; a quiz answered right
and wrong is marked against the exact truth. The screenshots docs/screenshots/web-teaching.png and
web-quiz.png come from this run."""
import os
import statistics
import time
from pathlib import Path

import pytest

import web_browser
from web_browser import ReviewTab, web_app

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "Resources" / "Samples"
SCREENSHOTS = ROOT / "docs" / "screenshots"
QUIZ_SEED = 5            # wrist AP: the styloids not 3-5 cm from the side edges, the thumb cut off
KEY_PRESSES = 10         # the keyboard steps timed from the key to the new score on the page

if web_browser.chromium_path() is None:
    if os.environ.get("CI"):
        pytest.fail("CI needs Chromium for the browser tests (apt-get install chromium)", pytrace=False)
    pytest.skip("no Chromium on this machine (apt-get install chromium)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright")
pytest.importorskip("trame_slicer", reason="the web app needs the 'web' extra (trame-slicer)")

from radiographqc import teaching  # noqa: E402


@pytest.fixture(scope="module")
def the_app(tmp_path_factory):
    log = tmp_path_factory.mktemp("log") / "web.log"
    with web_app([SAMPLES / "wrist"], tmp_path_factory.mktemp("export"), log_path=log) as url:
        yield url


@pytest.fixture(scope="module")
def a_browser():
    with playwright_api.sync_playwright() as playwright:
        browser = web_browser.launch_browser(playwright)
        yield browser
        browser.close()


@pytest.fixture
def a_tab(a_browser, the_app):
    context = a_browser.new_context(viewport=web_browser.VIEWPORT)
    yield ReviewTab(context.new_page(), the_app)
    context.close()


# ---------------------------------------------------------------- teaching

def open_teaching(tab: ReviewTab, body="wrist", view="AP"):
    tab.by("tab-teaching").click()
    tab.by("teach-slider-supination_deg" if body == "wrist" else "teach-slider-rotation_deg").wait_for(timeout=60000)
    tab.by(f"teach-body-{body}").click()
    tab.by(f"teach-view-{view}").click()
    tab.page.wait_for_function("t => document.querySelector('[data-testid=\"case-title\"]')?.innerText.includes(t)",
                               arg=f"{body} {view}", timeout=30000)
    tab.wait_for_result()


def thumb(tab: ReviewTab, name: str):
    return tab.by(f"teach-slider-{name}").locator(".v-slider-thumb")


def wait_until_rendered(tab: ReviewTab, name: str, timeout_ms: int = 30000):
    """Until the value the page shows as rendered is the slider's position (the last value sent was
    rendered: its score came with it)."""
    tab.page.wait_for_function(
        "name => { const t = document.querySelector(`[data-testid=\"teach-slider-${name}\"] .v-slider-thumb`);"
        " const v = document.querySelector(`[data-testid=\"teach-value-${name}\"]`);"
        " return t && v && Number(v.dataset.value) === Number(t.getAttribute('aria-valuenow')); }",
        arg=name, timeout=timeout_ms)


def page_values(tab: ReviewTab) -> dict:
    return tab.page.eval_on_selector_all(
        "[data-testid^='teach-value-']",
        "els => Object.fromEntries(els.map(e => [e.dataset.testid.slice('teach-value-'.length), Number(e.dataset.value)]))")


def expected_score(tab: ReviewTab, body: str, view: str) -> dict:
    """The teaching core's QC of the image of the values and the person the page shows."""
    seed = int(tab.by("teach-seed").get_attribute("data-seed"))
    image = teaching.render(body, view, page_values(tab), seed=seed)
    return teaching.score(image)


def shown(score: dict) -> tuple[str, str]:
    """The total and the AP3 score as the page writes them."""
    ap3 = {i["id"]: i for i in score["items"]}["AP3"]
    return str(score["total"]), f"{ap3['score']}/{ap3['max']}"


def comparison_cells(tab: ReviewTab, name: str) -> list[str]:
    return [t.strip() for t in tab.by(f"teach-comparison-{name}").locator("td").all_inner_texts()]


def test_dragging_the_supination_slider_changes_the_score_to_the_teaching_core_s(a_tab):
    open_teaching(a_tab)
    before = (a_tab.text("total"), a_tab.text("score-AP3"))
    assert before == shown(expected_score(a_tab, "wrist", "AP"))
    box = a_tab.by("teach-slider-supination_deg").locator(".v-slider-track").bounding_box()
    start = thumb(a_tab, "supination_deg").bounding_box()
    mouse = a_tab.page.mouse
    mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    mouse.down()
    for step in range(1, 13):        # towards full pronation, values sent all the way
        mouse.move(start["x"] + start["width"] / 2 - (start["x"] - box["x"] - 0.1 * box["width"]) * step / 12,
                   start["y"] + start["height"] / 2)
        a_tab.page.wait_for_timeout(30)
    mouse.up()
    wait_until_rendered(a_tab, "supination_deg")
    values = page_values(a_tab)
    assert values["supination_deg"] <= -60
    assert (a_tab.text("total"), a_tab.text("score-AP3")) == shown(expected_score(a_tab, "wrist", "AP")) != before
    cells = comparison_cells(a_tab, "supination_deg")
    assert cells[1:3] == [f"{values['supination_deg']:g}", "0"]


def test_the_keyboard_moves_a_slider_and_the_score_follows_each_step(a_tab):
    open_teaching(a_tab)
    name = "inplane_deg"
    thumb(a_tab, name).focus()
    latencies = []
    for _ in range(KEY_PRESSES):
        old = a_tab.by(f"teach-value-{name}").get_attribute("data-value")
        started = time.perf_counter()
        a_tab.page.keyboard.press("ArrowRight")
        a_tab.page.wait_for_function(
            "([name, old]) => document.querySelector(`[data-testid=\"teach-value-${name}\"]`).dataset.value !== old",
            arg=[name, old], timeout=20000, polling="raf")
        latencies.append(time.perf_counter() - started)
    wait_until_rendered(a_tab, name)
    assert page_values(a_tab)[name] == KEY_PRESSES
    assert (a_tab.text("total"), a_tab.text("score-AP3")) == shown(expected_score(a_tab, "wrist", "AP"))
    print(f"slider step to new score on the page: median {1000 * statistics.median(latencies):.0f} ms "
          f"(min {1000 * min(latencies):.0f}, max {1000 * max(latencies):.0f}, n={len(latencies)})")
    a_tab.by("teach-reset").click()      # the textbook position: the thumb goes back as well
    a_tab.page.wait_for_function(
        "name => document.querySelector(`[data-testid=\"teach-value-${name}\"]`).dataset.value === '0'",
        arg=name, timeout=20000)
    wait_until_rendered(a_tab, name)
    assert (a_tab.text("total"), a_tab.text("score-AP3")) == shown(expected_score(a_tab, "wrist", "AP"))


def test_the_teaching_tab_shows_the_ideal_position_beside_the_actual_one(a_tab):
    open_teaching(a_tab)
    a_tab.by("teach-slider-target_u").wait_for()
    renders = int(a_tab.by("teach-person").get_attribute("data-renders"))
    thumb(a_tab, "target_u").focus()
    for _ in range(12):              # faster than the renders: the values sent meanwhile are coalesced
        a_tab.page.keyboard.press("ArrowLeft")
    wait_until_rendered(a_tab, "target_u")
    assert int(a_tab.by("teach-person").get_attribute("data-renders")) - renders < 12
    assert a_tab.page.evaluate("() => document.querySelector('[data-testid=\"teach-ideal-picture\"]').naturalWidth") > 0
    assert comparison_cells(a_tab, "target_u")[1:] == ["38", "50", "-12 % of field"]
    assert "AP4" in a_tab.text("teach-why-AP4")
    a_tab.wait_for_picture()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    a_tab.page.screenshot(path=str(SCREENSHOTS / "web-teaching.png"))


# ---------------------------------------------------------------- quiz

def open_quiz(tab: ReviewTab, seed: int, body="wrist", view="AP"):
    tab.by("tab-quiz").click()
    tab.by("quiz-check").wait_for(timeout=60000)
    tab.page.evaluate("args => window.trame.trigger('quiz_new', args)", [body, view, seed])
    tab.by("quiz-person").filter(has_text=f"#{seed}").wait_for(timeout=30000)
    tab.by("quiz-option-NONE").wait_for()


def tick(tab: ReviewTab, option_ids):
    for option in option_ids:
        tab.by(f"quiz-option-{option}").locator("input").check()
    tab.by("quiz-check").click()
    tab.by("quiz-result").wait_for(timeout=30000)


def test_a_quiz_shows_nothing_of_its_answer_and_a_right_answer_is_marked_correct(a_tab):
    quiz = teaching.make_quiz("wrist", "AP", QUIZ_SEED)
    open_quiz(a_tab, QUIZ_SEED)
    assert a_tab.text("total") == "" and a_tab.page.locator("[data-testid^='item-']").count() == 0
    assert a_tab.page.locator("[data-testid^='point-']").count() == 0
    tick(a_tab, sorted(quiz.faults))
    assert a_tab.by("quiz-result").get_attribute("data-correct") == "true"
    assert a_tab.text("quiz-verdict") == "Correct!"
    assert a_tab.text("quiz-points") == f"{len(quiz.faults)} of {len(quiz.faults)} points"
    a_tab.wait_for_result()      # revealed: the module's QC of the image
    assert a_tab.text("total") == str(quiz.report["total"])
    for fault in quiz.faults:
        assert a_tab.text(f"score-{fault}").split("/")[0] != a_tab.text(f"score-{fault}").split("/")[1]
    a_tab.wait_for_picture()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    a_tab.page.screenshot(path=str(SCREENSHOTS / "web-quiz.png"))


def test_a_wrong_quiz_answer_lists_what_was_missed(a_tab):
    quiz = teaching.make_quiz("wrist", "AP", QUIZ_SEED)
    open_quiz(a_tab, QUIZ_SEED)
    tick(a_tab, [teaching.NOTHING_WRONG])
    assert a_tab.by("quiz-result").get_attribute("data-correct") == "false"
    assert a_tab.text("quiz-verdict") == "Not quite."
    missed = a_tab.text("quiz-missed")
    labels = {o["id"]: o["label"] for o in quiz.options}
    assert all(labels[fault] in missed for fault in quiz.faults)
    assert labels[teaching.NOTHING_WRONG] in a_tab.text("quiz-false-alarms")
    assert a_tab.text("quiz-points") == f"0 of {len(quiz.faults)} points"
