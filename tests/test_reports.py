"""Report cards and charts built from the fixture grades: content, escaping, accessibility,
determinism and offline pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from conftest import FIXTURE_RAW, read_fixture_rows, write_table
from pipeline.reports import Tables, national_pages, state_pages, write_pages
from pipeline.stages import run_stages


def tables_for(raw) -> Tables:
    return run_stages(raw, last_year=2024).tables()


@pytest.fixture(scope="module")
def fixture_tables() -> Tables:
    return tables_for(FIXTURE_RAW)


@pytest.fixture(scope="module")
def fixture_pages(fixture_tables) -> dict[str, str]:
    return {**state_pages(fixture_tables, "TX"), **state_pages(fixture_tables, "IN"), **national_pages(fixture_tables)}


class Outline(HTMLParser):
    """Headings, images, links and external resources of a page."""

    def __init__(self):
        super().__init__()
        self.headings, self.images, self.links, self.external, self.scripts = [], [], [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "img":
            self.images.append(a)
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag in ("script", "link", "img", "iframe") and re.match(r"(https?:)?//", a.get("src") or a.get("href") or ""):
            self.external.append(a)
        if tag == "script":
            self.scripts += 1


def outline(html: str) -> Outline:
    o = Outline()
    o.feed(html)
    return o


def test_a_card_shows_the_grade_the_evidence_what_changed_and_what_would_raise_it(fixture_tables):
    html = state_pages(fixture_tables, "TX")["fixture_card/2022/TX.html"]
    assert "Texas: Fixture card, 2022" in html
    assert 'class="grade big grade-A"' in html
    assert "10 of 10 coded points (100%)" in html
    assert "+2 points, up from B" in html
    # what changed, and the law that changed it
    assert "Long maximum prison term: partly met → met (+2 points)" in html
    assert '<a href="https://example.org/tx/43.021" rel="noopener">Fixture § 43.021</a>' in html
    assert "in force from 2021-09-01" in html
    # evidence: each statute behind the criterion, numbered, each number its own page
    sources = dict(re.findall(r'<li id="source-(\d+)"><a href="[^"]+" rel="noopener">([^<]+)</a>', html))
    pages = dict(re.findall(r'<li id="source-(\d+)"><a href="([^"]+)"', html))
    long_term = html.split("Long maximum prison term")[1].split("</tr>")[0]
    cited = re.findall(r'href="#source-(\d+)"', long_term)
    assert sorted((sources[n], pages[n]) for n in cited) == [
        ("Fixture § 12.32", "https://example.org/tx/12.32"), ("Fixture § 43.021", "https://example.org/tx/43.021")]
    card_2021 = state_pages(fixture_tables, "TX")["fixture_card/2021/TX.html"]
    assert "What would raise the grade" in card_2021 and "Long maximum prison term" in card_2021
    assert "2 points are within reach" in card_2021


def test_not_coded_is_a_gap_not_a_failure(fixture_tables):
    html = state_pages(fixture_tables, "KS")["fixture_card/2020/KS.html"]
    assert 'class="grade big grade-none"' in html and 'class="grade big grade-F"' not in html
    assert "That is a gap in the data, not a failing grade." in html
    assert "not coded" in html


def test_published_grades_are_labeled_as_published_by_their_organization(fixture_tables):
    html = state_pages(fixture_tables, "TX")["fixture_card/2019/TX.html"]
    assert "Grades published by <strong>Shared Hope International</strong>" in html
    assert "Protected Innocence Challenge 2019 (demand section)" in html


def test_all_data_is_escaped(tmp_path):
    raw = tmp_path / "raw"
    import shutil

    shutil.copytree(FIXTURE_RAW, raw)
    rows = read_fixture_rows("buyer_offenses")
    rows[1]["citation"] = "<script>alert('x')</script> § 43.021"
    rows[1]["source_url"] = "https://example.org/a?b=1&c=\"><script>alert(2)</script>"
    write_table(raw, "buyer_offenses", rows)
    pages = state_pages(tables_for(raw), "TX")
    html = pages["fixture_card/2022/TX.html"]
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; § 43.021" in html
    assert outline(html).scripts == 0


def test_pages_are_accessible_and_offline(fixture_pages):
    pages = fixture_pages
    html_pages = {k: v for k, v in pages.items() if k.endswith(".html")}
    assert "index.html" in html_pages and "fixture_card/2024/index.html" in html_pages
    for name, html in html_pages.items():
        o = outline(html)
        assert o.headings.count(1) == 1 and o.headings[0] == 1, name
        assert all(b - a <= 1 for a, b in zip(o.headings, o.headings[1:])), f"{name}: heading levels skip"
        assert o.images and all(img.get("alt") for img in o.images), name
        assert o.external == [], name
        assert '<html lang="en">' in html and "@media print" in html


def test_every_chart_has_a_title_and_a_source_line(fixture_pages):
    pages = fixture_pages
    svgs = {k: v for k, v in pages.items() if k.endswith(".svg")}
    assert {"fixture_card/charts/trend-IN.svg", "fixture_card/charts/distribution.svg",
            "fixture_card/charts/map-2024.svg", "fixture_card/charts/heatmap-2024.svg"} <= set(svgs)
    for name, svg in svgs.items():
        assert "Source: csec-law-grades" in svg, name
        assert "<dc:date>" not in svg, f"{name} carries a timestamp"


def test_rendering_twice_gives_identical_bytes(fixture_tables, fixture_pages):
    again = {**state_pages(fixture_tables, "TX"), **state_pages(fixture_tables, "IN"), **national_pages(fixture_tables)}
    assert again == fixture_pages


def test_only_changed_files_are_rewritten(fixture_tables, tmp_path):
    pages = state_pages(fixture_tables, "AK")
    assert write_pages(tmp_path, pages) == (len(pages), 0)
    assert write_pages(tmp_path, pages) == (0, len(pages))
    changed = dict(pages)
    changed["fixture_card/2020/AK.html"] += "<!-- edited -->"
    assert write_pages(tmp_path, changed) == (1, len(pages) - 1)


def test_layout_links_resolve_between_pages(fixture_pages, tmp_path):
    write_pages(tmp_path, fixture_pages)
    card = tmp_path / "fixture_card" / "2022" / "TX.html"
    html = card.read_text()
    o = outline(html)
    local = [h for h in o.links + [i["src"] for i in o.images] if not h.startswith(("http", "#"))]
    assert len(local) > 10
    for href in local:
        assert (card.parent / href).resolve().exists(), href
    anchors = [h[1:] for h in o.links if h.startswith("#")]
    assert anchors, "criteria point to the numbered sources"
    for anchor in anchors:
        assert f'id="{anchor}"' in html, anchor


def test_charts_whose_inputs_did_not_change_are_not_redrawn(fixture_tables, tmp_path):
    from pipeline.reports import ChartCache

    first = ChartCache(tmp_path)
    pages = national_pages(fixture_tables, cache=first)
    write_pages(tmp_path, pages)
    first.save()
    drawn = [k for k in pages if k.endswith(".svg")]
    assert drawn and first.skipped == 0
    second = ChartCache(tmp_path)
    again = national_pages(fixture_tables, cache=second)
    assert [k for k in again if k.endswith(".svg")] == [] and second.skipped == len(drawn)
    (tmp_path / drawn[0]).unlink()
    third = ChartCache(tmp_path)
    assert [k for k in national_pages(fixture_tables, cache=third) if k.endswith(".svg")] == [drawn[0]]


def test_only_sourced_dates_show_as_changes_in_the_law(fixture_tables):
    from pipeline.reports import law_events

    # IN: the Level 5 version was enacted on 2014-07-01 and replaced the Class C version
    # (known only since 2008); both ends of the change are shown, the 2008 start is not.
    events = [(str(e["date"].date()), e["what"]) for e in law_events(fixture_tables.statutes, "IN")]
    assert ("2014-07-01", "Promoting prostitution of a minor (Level 5 felony, ages 0–17)") in events
    assert ("2014-07-01", "Promoting prostitution of a minor (Class C felony, ages 0–17) ceased to apply") in events
    assert not [d for d, _ in events if d < "2014-07-01"], "a known_since start is where coding begins"
    # KS: every row is known_since and the buyer offense ends on a day no enacted law starts
    assert law_events(fixture_tables.statutes, "KS") == []
    html = state_pages(fixture_tables, "KS")["fixture_card/2015/KS.html"]
    assert "ceased to apply" not in html and "Laws that took effect" not in html


def test_each_source_on_a_card_says_whether_it_was_verified(fixture_tables):
    html = state_pages(fixture_tables, "IN")["fixture_card/2020/IN.html"]
    sources = dict(re.findall(r'<li id="source-(\d+)">(.*?)</li>', html))
    refs = {title: re.findall(r'href="#source-(\d+)"', cell)
            for title, cell in re.findall(r"<tr>\s*<td>(.*?)<br>.*?</td>.*?</td>.*?</td>\s*<td>(.*?)</td>", html, re.S)}
    (moa,) = refs["No mistake-of-age defense"]
    assert "Fixture § 35-42-4-3(c)</a> <span class=\"note\">(not yet verified against statute text)</span>" in sources[moa]
    assert all("not yet verified" not in sources[n] for n in refs["Long maximum prison term"])


def test_the_change_line_names_a_change_in_coverage():
    from pipeline.reports import change_text

    assert change_text(None, None, None) == "no prior year"
    assert change_text(0, 0, "B", 0) == "no change"
    assert change_text(2, 1, "C", 0) == "+2 points, up from C"
    # same points, lower letter: the grade fell because more of the law is now coded
    assert change_text(0, -3, "A", 5) == "0 points, down from A; 5 more points coded"
    assert change_text(0, 0, "B", -2.5) == "0 points; 2.5 fewer points coded"
