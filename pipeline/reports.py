"""Report cards: static HTML pages and SVG charts built from the published tables.

Layout (relative to the reports folder):

    index.html                              national overview, default methodology, latest year
    <methodology>/<year>/index.html         overview for one methodology and year
    <methodology>/<year>/<STATE>.html       a state's report card
    <methodology>/charts/...                trend, map, heatmap, distribution, comparison (SVG)

Pure functions turn table rows into page contexts; Jinja2 renders them with autoescaping on,
so any text from the data (a statute title holding `<script>`) is shown as text. Pages use
no external script, style, font or image and open from disk.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import jinja2
import pandas as pd

from pipeline import charts
from pipeline.docs import write_if_changed
from pipeline.jurisdictions import NAMES
from pipeline.grading import criteria_frame, evidence_groups
from pipeline.scorecards import Methodology

TEMPLATES = Path(__file__).with_name("templates")
STATUS_LABELS = {"met": "met", "partial": "partly met", "unmet": "not met", "not_coded": "not coded"}
FRAMEWORK_TITLES = {"pic": "Protected Innocence Challenge", "report_cards": "Report Cards on Child & Youth Sex Trafficking",
                    "just_like_me": "Just Like Me Report Cards"}
SOURCE = "Source: csec-law-grades, from coded statutes (data/raw); methodology {m} v{v}."


def fmt(value, digits: int = 2) -> str:
    """A number for people: no trailing zeros, '–' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    text = f"{float(value):.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.globals["fmt"] = fmt
    return env


def _none(value):
    missing = value is None or value is pd.NA or value is pd.NaT
    return None if missing or (isinstance(value, float) and math.isnan(value)) else value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _none(v) for k, v in r.items()} for r in frame.to_dict("records")]


def change_text(score_change, grade_change, prior_grade, coded_change=None) -> str:
    """The change since the prior year, naming a change in how many points are coded: a grade
    can move because more of the law was coded, not because the law changed."""
    sc = _none(score_change)
    if sc is None:
        return "no prior year"
    gc, cc = _none(grade_change), _none(coded_change) or 0
    if sc == 0 and not gc and not cc:
        return "no change"
    parts = [("+" if sc > 0 else "") + fmt(sc) + " points"]
    if gc:
        parts.append(f"{'up' if gc > 0 else 'down'} from {prior_grade}")
    text = ", ".join(parts)
    if cc:
        text += f"; {fmt(abs(cc))} {'more' if cc > 0 else 'fewer'} points coded"
    return text


@dataclass
class Tables:
    """The published tables the pages are built from."""

    methodologies: list[Methodology]
    grades: pd.DataFrame
    scores: pd.DataFrame
    sensitivity: pd.DataFrame
    comparison: pd.DataFrame
    published: pd.DataFrame
    statutes: dict[str, pd.DataFrame]  # accepted rows of every statute table
    evidence: pd.DataFrame  # fact_evidence: the raw rows behind each evidence group

    @cached_property
    def criteria(self) -> pd.DataFrame:
        """One row per methodology × criterion (derived from the methodologies)."""
        return criteria_frame(self.methodologies)

    @cached_property
    def _years(self) -> dict[str, list[int]]:
        return {k: sorted(int(y) for y in v.unique()) for k, v in self.grades.groupby("methodology")["year"]}

    def years(self, m: Methodology) -> list[int]:
        return self._years.get(m.id, [])


def _as_of(m: Methodology, year: int) -> pd.Timestamp:
    return pd.Timestamp(year=year, month=m.assessment_month, day=m.assessment_day)


def _describe(table: str, r: dict) -> str:
    if table == "buyer_offenses":
        return f"{r['offense']} ({r['classification']}, ages {r['victim_age_from']}–{r['victim_age_under'] - 1})"
    if table == "felony_classes":
        return f"{r['classification']} penalties"
    if table == "sentencing_systems":
        return ("penalties set offense by offense (no felony classes)" if r["system"] == "offense_specific"
                else "felony class system")
    return f"mistake-of-age defense ({r['scope']}): {r['defense']}"


def law_events(statutes: dict[str, pd.DataFrame], state: str) -> list[dict]:
    """The dates on which a coded provision of `state` is known to have taken effect or been
    replaced. Only sourced dates count: a version whose start is `enacted` took effect that
    day, and a version ending on such a day was replaced then. A `known_since` start is only
    where the coding begins (the law may be older), and an end that no enacted version starts
    on is where the coding stops; neither is shown as a change in the law."""
    rows = [(table, r) for table, frame in statutes.items() for r in _records(frame[frame["state"] == state])]
    enacted_days = {pd.Timestamp(r["effective_from"]) for _, r in rows if r.get("effective_from_basis") == "enacted"}
    out = []
    for table, r in rows:
        what = _describe(table, r)
        base = {"citation": r["citation"], "source_url": r["source_url"]}
        if r.get("effective_from_basis") == "enacted":
            out.append(base | {"date": pd.Timestamp(r["effective_from"]), "what": what})
        if r.get("effective_to") is not None and pd.Timestamp(r["effective_to"]) in enacted_days:
            out.append(base | {"date": pd.Timestamp(r["effective_to"]), "what": f"{what} ceased to apply"})
    return sorted(out, key=lambda x: (x["date"], x["citation"], x["what"]))


def laws_taking_effect(events: list[dict], after: pd.Timestamp, until: pd.Timestamp) -> list[dict]:
    """The events in (after, until], as shown on a card."""
    return [{"citation": e["citation"], "source_url": e["source_url"], "what": e["what"],
             "effective_from": e["date"].date().isoformat()} for e in events if after < e["date"] <= until]


def law_change_years(events: list[dict], m: Methodology, years: list[int]) -> list[int]:
    return [y for y in years if laws_taking_effect(events, _as_of(m, y - 1), _as_of(m, y))]


EVIDENCE_COLUMNS = ["state", "year", "assessment_date", "evidence_group", "citation", "source_url", "verified"]


def evidence_index(evidence: pd.DataFrame, keep: set[str] | None = None) -> dict:
    """(state, year, assessment_date, evidence group) -> its sources, each citation with the page
    it was read on, once each, in citation order."""
    frame = evidence[evidence["state"].isin(keep)] if keep else evidence
    out: dict = {}
    for r in _records(frame.sort_values(["citation", "source_url"])):
        sources = out.setdefault((r["state"], int(r["year"]), r["assessment_date"], r["evidence_group"]), [])
        item = {"citation": r["citation"], "source_url": r["source_url"], "verified": bool(r["verified"])}
        if item not in sources:
            sources.append(item)
    return out


def criterion_sources(look: "Lookup", m: Methodology, state: str, year: int, criterion) -> list[dict]:
    """The sources behind one criterion: those of every evidence group its facts draw on."""
    out: list[dict] = []
    for group in evidence_groups(criterion):
        for item in look.evidence.get((state, year, m.assessment_date, group), []):
            if item not in out:
                out.append(item)
    return out


@dataclass
class Lookup:
    """The tables as plain dicts keyed for the pages, built once (pandas per card is slow)."""

    grades: dict  # (methodology, state, year) -> row
    scores: dict  # (methodology, state, year) -> {criterion_id: row}
    sensitivity: dict  # (methodology, state, year) -> share
    published: dict  # (state, year) -> [rows]
    graded_count: dict  # (methodology, year) -> n
    events: dict  # state -> law events
    evidence: dict  # (state, year, assessment_date, group) -> sources

    @classmethod
    def build(cls, t: Tables, states: list[str] | None = None) -> "Lookup":
        keep = set(states) if states else None
        mine = (lambda f: f[f["state"].isin(keep)]) if keep else (lambda f: f)
        grades = {(r["methodology"], r["state"], int(r["year"])): r for r in _records(t.grades)}
        scores: dict = {}
        for r in _records(mine(t.scores)):
            scores.setdefault((r["methodology"], r["state"], int(r["year"])), {})[r["criterion_id"]] = r
        sens = {(r["methodology"], r["state"], int(r["year"])): r["share_same_grade"] for r in _records(mine(t.sensitivity))}
        published: dict = {}
        for r in _records(mine(t.published).sort_values(["framework", "section", "source_url"])):
            published.setdefault((r["state"], int(r["year"])), []).append(r)
        counts = t.grades[t.grades["grade"].notna()].groupby(["methodology", "year"]).size()
        graded = {(m, int(y)): int(n) for (m, y), n in counts.items()}
        events = {s: law_events(t.statutes, s) for s in (sorted(keep) if keep else NAMES)}
        return cls(grades, scores, sens, published, graded, events, evidence_index(t.evidence, keep))


def _coded_change(now: dict, prior: dict | None):
    return None if prior is None else now["coded_max"] - prior["coded_max"]


def card_context(t: Tables, look: Lookup, m: Methodology, state: str, year: int) -> dict:
    g = look.grades[(m.id, state, year)]
    now = look.scores[(m.id, state, year)]
    before = look.scores.get((m.id, state, year - 1), {})
    sections: list[dict] = []
    for c in m.criteria:
        row = now[c.id]
        entry = {"title": c.title, "rationale": c.rationale, "status": row["status"],
                 "status_label": STATUS_LABELS[row["status"]], "points_awarded": row["points_awarded"],
                 "points_possible": row["points_possible"],
                 "verified": bool(row["verified"]) if row["verified"] is not None else True,
                 "sources": criterion_sources(look, m, state, year, c) if row["status"] != "not_coded" else []}
        if not sections or sections[-1]["id"] != c.section_id:
            sections.append({"id": c.section_id, "title": c.section_title, "criteria": []})
        sections[-1]["criteria"].append(entry)
    changes = []
    for c in m.criteria:
        a, b = now[c.id], before.get(c.id)
        if b is not None and (a["status"] != b["status"] or a["points_awarded"] != b["points_awarded"]):
            delta = a["points_awarded"] - b["points_awarded"]
            changes.append({"title": c.title, "before": STATUS_LABELS[b["status"]], "after": STATUS_LABELS[a["status"]],
                            "delta": ("+" if delta > 0 else "") + fmt(delta)})
    entries = [e for sec in sections for e in sec["criteria"]]
    sources: list[dict] = []  # every source once, numbered in order of first use
    for e in entries:
        for src in e["sources"]:
            if src not in sources:
                sources.append(src)
        e["refs"] = [sources.index(src) + 1 for src in e["sources"]]
    raise_items = sorted(
        [{"title": e["title"], "rationale": e["rationale"], "points": e["points_possible"] - e["points_awarded"]}
         for e in entries if e["status"] in ("unmet", "partial")], key=lambda r: (-r["points"], r["title"]))
    years = t.years(m)
    history = [look.grades[(m.id, state, y)] for y in years]
    return {
        "root": "../../", "state": state, "state_name": NAMES[state], "year": year, "m": m,
        "as_of": _as_of(m, year).strftime("%d %B %Y").lstrip("0"), "g": g,
        "graded_count": look.graded_count.get((m.id, year), 0),
        "change_text": change_text(g["score_change"], g["grade_change"], g["prior_grade"],
                                   _coded_change(g, look.grades.get((m.id, state, year - 1)))),
        "sensitivity": look.sensitivity.get((m.id, state, year)),
        "trend_src": f"../charts/trend-{state}.svg",
        "trend_alt": trend_alt(pd.DataFrame(history), NAMES[state], m),
        "sections": sections, "changes": changes, "sources": sources,
        "laws": laws_taking_effect(look.events[state], _as_of(m, year - 1), _as_of(m, year)),
        "raise_items": raise_items,
        "not_coded": [e["title"] for e in entries if e["status"] == "not_coded"],
        "unverified": [e["title"] for e in entries if e["sources"] and not e["verified"]],
        "scale_text": ", ".join(f"{letter} ≥ {fmt(p)}%" for letter, p in m.scale) + ", else F",
        "published": [{**p, "framework": FRAMEWORK_TITLES.get(p["framework"], p["framework"])}
                      for p in look.published.get((state, year), [])],
        "years": years,
        "other_methodologies": [{"title": o.title, "href": f"../../{o.id}/{year}/{state}.html"}
                                for o in t.methodologies if o.id != m.id and year in t.years(o)],
    }


def trend_alt(history: pd.DataFrame, name: str, m: Methodology) -> str:
    h = history.sort_values("year")
    graded = h.dropna(subset=["grade"])
    if graded.empty:
        return f"{name}: no letter grade in any year under {m.title}; too little is coded."
    first, last = graded.iloc[0], graded.iloc[-1]
    return (f"{name} under {m.title}: {fmt(first['percent'], 0)}% ({first['grade']}) in {int(first['year'])}, "
            f"{fmt(last['percent'], 0)}% ({last['grade']}) in {int(last['year'])}.")


def overview_context(t: Tables, m: Methodology, year: int, root: str, is_home: bool) -> dict:
    grades = t.grades[(t.grades["methodology"] == m.id) & (t.grades["year"] == year)].sort_values("state")
    prior = {r["state"]: r for r in _records(t.grades[(t.grades["methodology"] == m.id) & (t.grades["year"] == year - 1)])}
    here = "" if is_home else ""
    prefix = f"{m.id}/{year}/" if is_home else ""
    rows = [{"name": NAMES[r["state"]], "href": f"{prefix}{r['state']}.html", "grade": r["grade"], "percent": r["percent"],
             "rank": r["rank"], "score_change": r["score_change"], "coverage": r["coverage"],
             "change_text": change_text(r["score_change"], r["grade_change"], r["prior_grade"],
                                        _coded_change(r, prior.get(r["state"])))}
            for r in _records(grades)]
    rows.sort(key=lambda r: r["name"])
    counts = grades["grade"].value_counts()
    charts_prefix = f"{m.id}/charts/" if is_home else "../charts/"
    comparison = t.comparison[t.comparison["methodology"] == m.id]
    return {
        "root": root, "is_home": is_home, "m": m, "year": year, "years": t.years(m), "rows": rows,
        "heading": f"{m.title}: state grades, {year}" + here,
        "intro": (f"{len(grades)} jurisdictions; " + ", ".join(f"{counts.get(x, 0)} {x}" for x in "ABCDF")
                  + f"; {int(grades['grade'].isna().sum())} without a letter because too little is coded."),
        "as_of": _as_of(m, year).strftime("%d %B %Y").lstrip("0"),
        "year_href": (lambda y: f"{m.id}/{y}/index.html") if is_home else (lambda y: f"../{y}/index.html"),
        "map_src": f"{charts_prefix}map-{year}.svg",
        "map_alt": f"Tile map of letter grades in {year}: " + "; ".join(
            f"{x}: {', '.join(grades.loc[grades['grade'] == x, 'state'])}" for x in "ABCDF" if counts.get(x, 0)) + ".",
        "distribution_src": f"{charts_prefix}distribution.svg",
        "distribution_alt": f"Stacked bars of how many jurisdictions earned each letter from {t.years(m)[0]} to {t.years(m)[-1]}.",
        "heatmap_src": f"{charts_prefix}heatmap-{year}.svg",
        "heatmap_alt": f"Grid of states by criteria showing met, partial, unmet or not coded in {year}.",
        "comparison_src": f"{charts_prefix}published.svg" if len(comparison) else None,
        "comparison_alt": f"Scatter of our percent against the published percent for {len(comparison)} state-years.",
        "other_methodologies": [{"title": o.title, "href": (f"{o.id}/{year}/index.html" if is_home
                                                            else f"../../{o.id}/{year}/index.html")}
                                for o in t.methodologies if o.id != m.id and year in t.years(o)],
    }


def state_pages(t: Tables, state: str, look: Lookup | None = None, cache: ChartCache | None = None) -> dict[str, str]:
    """Every page and chart of one state: its cards for every methodology and year, its trends."""
    look = look or Lookup.build(t, [state])
    cache = cache or ChartCache()
    card = _env().get_template("card.html")
    pages: dict[str, str] = {}
    for m in t.methodologies:
        years = t.years(m)
        history = t.grades[(t.grades["methodology"] == m.id) & (t.grades["state"] == state)]
        changes = law_change_years(look.events[state], m, years)
        cache.chart(pages, f"{m.id}/charts/trend-{state}.svg",
                    [m.id, m.title, m.version, list(m.scale), changes, history[["year", "percent", "grade"]]],
                    lambda: charts.score_trend(history, list(m.scale), changes, f"{NAMES[state]}: {m.title}",
                                               SOURCE.format(m=m.id, v=m.version)))
        for year in years:
            pages[f"{m.id}/{year}/{state}.html"] = card.render(card_context(t, look, m, state, year))
    return pages


CHART_CODE = hashlib.sha256(Path(charts.__file__).read_bytes()).hexdigest()[:16]


class ChartCache:
    """Skips redrawing a chart whose inputs have not changed since the last build.

    Each chart's inputs are hashed (with the chart code's own hash, so a change to charts.py
    redraws everything). A chart is drawn only when its digest differs from the one recorded
    beside the reports, or its file is missing; otherwise the file on disk is already right.
    """

    def __init__(self, reports_dir: Path | None = None, name: str = "national"):
        self.dir = Path(reports_dir) if reports_dir else None
        self.path = self.dir / f".chart-digests-{name}.json" if self.dir else None
        self.old: dict[str, str] = {}
        if self.path and self.path.exists():
            self.old = json.loads(self.path.read_text(encoding="utf-8"))
        self.new: dict[str, str] = {}
        self.skipped = 0

    def chart(self, pages: dict[str, str], rel: str, inputs: list, draw) -> None:
        digest = hashlib.sha256(CHART_CODE.encode())
        for item in inputs:
            if isinstance(item, pd.DataFrame):
                digest.update(pd.util.hash_pandas_object(item.reset_index(drop=True), index=False).to_numpy().tobytes())
                digest.update("|".join(map(str, item.columns)).encode())
            else:
                digest.update(repr(item).encode())
        key = digest.hexdigest()
        self.new[rel] = key
        if self.dir and self.old.get(rel) == key and (self.dir / rel).exists():
            self.skipped += 1
            return
        pages[rel] = draw()

    def save(self) -> None:
        if self.path:
            write_if_changed(self.path, json.dumps({**self.old, **self.new}, sort_keys=True, indent=0) + "\n")


def national_pages(t: Tables, home: Methodology | None = None, cache: ChartCache | None = None) -> dict[str, str]:
    """The overviews (home page and one per methodology and year) and their charts (charts
    whose inputs did not change since the last build are left as they are, given a cache)."""
    cache = cache or ChartCache()
    env = _env()
    overview = env.get_template("overview.html")
    pages: dict[str, str] = {}
    for m in t.methodologies:
        source = SOURCE.format(m=m.id, v=m.version)
        grades = t.grades[t.grades["methodology"] == m.id]
        key = [m.id, m.title, m.version]
        cache.chart(pages, f"{m.id}/charts/distribution.svg", key + [grades[["year", "state", "grade"]]],
                    lambda: charts.grade_distribution(grades, f"Letter grades by year: {m.title}", source))
        comparison = t.comparison[t.comparison["methodology"] == m.id]
        if len(comparison):
            cache.chart(pages, f"{m.id}/charts/published.svg", key + [comparison],
                        lambda: charts.ours_vs_published(comparison, "Ours beside the published grades", source))
        crit = t.criteria[t.criteria["methodology"] == m.id]
        for year in t.years(m):
            in_year = grades[grades["year"] == year]
            cache.chart(pages, f"{m.id}/charts/map-{year}.svg", key + [year, in_year[["state", "grade"]]],
                        lambda: charts.tile_map(in_year, f"{m.title}: letter grades, {year}", source))
            scores = t.scores[(t.scores["methodology"] == m.id) & (t.scores["year"] == year)]
            cache.chart(pages, f"{m.id}/charts/heatmap-{year}.svg",
                        key + [year, crit[["criterion_index", "criterion_id"]], scores[["state", "criterion_id", "status"]]],
                        lambda: charts.criterion_heatmap(scores, crit, f"{m.title}: criteria by state, {year}", source))
            pages[f"{m.id}/{year}/index.html"] = overview.render(overview_context(t, m, year, "../../", False))
    if t.methodologies:
        home = home or t.methodologies[0]
        pages["index.html"] = overview.render(overview_context(t, home, t.years(home)[-1], "", True))
    return pages


def write_pages(reports_dir: Path, pages: dict[str, str]) -> tuple[int, int]:
    """Write pages whose content changed; returns (written, unchanged)."""
    written = 0
    for rel, text in sorted(pages.items()):
        path = Path(reports_dir) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        written += write_if_changed(path, text)
    return written, len(pages) - written
