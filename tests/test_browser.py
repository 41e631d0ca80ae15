"""The report cards in a real headless Chromium: no console errors, no broken links or
images, working sort and filter. Screenshots go to the test's folder (and to
$CSEC_SCREENSHOT_DIR when set)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import read_fixture_rows, write_table
from pipeline.cli import main as cli_main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def visit(browser, path: Path, shot: Path):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    broken_images = page.evaluate("Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
                                  ".map(i => i.getAttribute('src'))")
    links = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("CSEC_SCREENSHOT_DIR"):
        shutil.copy(shot, Path(os.environ["CSEC_SCREENSHOT_DIR"]) / shot.name)
    return page, problems, broken_images, links


def local_targets(links):
    return [Path(l.removeprefix("file://").split("#")[0]) for l in links if l.startswith("file://")]


def test_index_and_a_state_card_render_cleanly_in_chromium(project_dirs, browser, tmp_path):
    rows = read_fixture_rows("buyer_offenses")
    rows[1]["citation"] = "<script>alert('x')</script> § 43.021"
    write_table(project_dirs["raw"], "buyer_offenses", rows)
    assert cli_main(["build"]) == 0
    reports = project_dirs["reports"]

    page, problems, broken, links = visit(browser, reports / "index.html", tmp_path / "index.png")
    assert problems == [] and broken == []
    missing = [str(p) for p in local_targets(links) if not p.exists()]
    assert missing == []
    rows_visible = "Array.from(document.querySelectorAll('#grades tbody tr')).filter(r => !r.hidden).length"
    assert page.evaluate(rows_visible) == 51
    page.fill("#filter", "Texas")
    assert page.evaluate(rows_visible) == 1
    page.fill("#filter", "")
    page.click("#grades th:nth-child(3)")  # percent, ascending
    page.click("#grades th:nth-child(3)")  # descending: the best first
    first = page.evaluate("document.querySelector('#grades tbody tr td').textContent.trim()")
    assert first == "Texas"
    page.close()

    card = reports / "fixture_card" / "2022" / "TX.html"
    page, problems, broken, links = visit(browser, card, tmp_path / "card-TX.png")
    assert problems == [] and broken == []
    assert [str(p) for p in local_targets(links) if not p.exists()] == []
    assert page.evaluate("document.querySelectorAll('h1').length") == 1
    assert "<script>alert('x')</script> § 43.021" in page.inner_text("main")
    assert (tmp_path / "card-TX.png").stat().st_size > 10_000
    pdf = page.pdf(format="Letter", print_background=True)
    (tmp_path / "card-TX.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 2, f"the printed card takes {pages} Letter pages"
    page.close()
