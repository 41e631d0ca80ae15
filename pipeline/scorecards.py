"""Methodologies as data: load data/raw/scorecards/<id>.yaml safely and validate it.

A methodology names its criteria, their points and rules (pipeline.rules), the assessment
date within each year, the first graded year and the letter scale. Loading never executes
anything: YAML is parsed with a safe loader that refuses anchors and aliases (no "billion
laughs"), files are size-bounded, unknown keys are errors, and every rule is parsed and
type-checked before grading. All problems of a file are reported together, each with the
file, the line and the place in the document (e.g. sections[1].criteria[0].points).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.rules import RuleError, facts_used, parse

MAX_SCORECARD_BYTES = 256 * 1024
DEFAULT_SCALE = (("A", 90.0), ("B", 80.0), ("C", 70.0), ("D", 60.0))
DEFAULT_MIN_COVERAGE = 0.5
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")

TOP_KEYS = {"id", "title", "version", "description", "assessment_date", "first_year", "scale",
            "sections", "min_coverage", "compare_with"}
REQUIRED_TOP = {"id", "title", "version", "assessment_date", "first_year", "sections"}
SECTION_KEYS = {"id", "title", "description", "criteria"}
CRITERION_KEYS = {"id", "title", "rationale", "points", "rule", "tiers"}
TIER_KEYS = {"when", "credit"}
SCALE_KEYS = {"grade", "min_percent"}
COMPARE_KEYS = {"framework", "section"}


@dataclass(frozen=True)
class Tier:
    when: str
    credit: float
    tree: object = field(compare=False, repr=False)


@dataclass(frozen=True)
class Criterion:
    id: str
    section_id: str
    section_title: str
    title: str
    rationale: str
    points: float
    tiers: tuple[Tier, ...]  # a plain `rule` is one tier with credit 1
    facts: tuple[str, ...]

    @property
    def rule_text(self) -> str:
        if len(self.tiers) == 1 and self.tiers[0].credit == 1.0:
            return self.tiers[0].when
        return "; ".join(f"{t.when} → {t.credit:g}" for t in self.tiers)


@dataclass(frozen=True)
class Methodology:
    id: str
    title: str
    version: str
    description: str
    assessment_month: int
    assessment_day: int
    first_year: int
    scale: tuple[tuple[str, float], ...]
    min_coverage: float
    criteria: tuple[Criterion, ...]
    file: str
    compare_with: dict | None = None

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.criteria)

    @property
    def assessment_date(self) -> str:
        return f"{self.assessment_month:02d}-{self.assessment_day:02d}"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line else self.file
        return f"{loc}: {self.where}: {self.message}" if self.where else f"{loc}: {self.message}"


class ScorecardError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# --- safe YAML with line numbers -------------------------------------------------------------

class _NoAliasLoader(yaml.SafeLoader):
    """A safe loader that refuses anchors and aliases: a methodology has no use for them, and
    they are how a small file expands into an enormous document."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (*name) are not allowed in a methodology", event.start_mark
            )
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None, None, "anchors (&name) are not allowed in a methodology", event.start_mark
            )
        return super().compose_node(parent, index)


def _load_yaml(text: str, shown: str) -> tuple[object, yaml.Node | None]:
    loader = _NoAliasLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(e, "problem", None) or str(e)
        raise ScorecardError([Problem(shown, line, "", f"not valid YAML: {problem}")]) from None
    finally:
        loader.dispose()
    return data, node


def _line(node: yaml.Node | None, path: tuple) -> int | None:
    """Line of the YAML node at `path` (keys and indexes), or of its nearest ancestor."""
    best = node.start_mark.line + 1 if node is not None else None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            nxt = node.value[step]
        else:
            nxt = None
        if nxt is None:
            break
        node, best = nxt, nxt.start_mark.line + 1
    return best


# --- validation ------------------------------------------------------------------------------

class _Checker:
    def __init__(self, shown: str, root: yaml.Node | None):
        self.shown, self.root, self.problems = shown, root, []

    def add(self, path: tuple, message: str) -> None:
        where = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))
        self.problems.append(Problem(self.shown, _line(self.root, path), where, message))

    def mapping(self, value, path: tuple, allowed: set, required: set) -> dict:
        if not isinstance(value, dict):
            self.add(path, "expected a mapping (key: value lines)")
            return {}
        for key in value:
            if key not in allowed:
                self.add(path + (key,), f"unknown key {key!r}; allowed: {', '.join(sorted(allowed))}")
        for key in sorted(required - set(value)):
            self.add(path, f"missing required key {key!r}")
        return value

    def text(self, value, path: tuple, required: bool = True) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool) or not str(value).strip():
            self.add(path, "expected non-empty text")
            return ""
        return " ".join(str(value).split())

    def ident(self, value, path: tuple) -> str:
        if not isinstance(value, str) or not _ID.match(value):
            self.add(path, f"{value!r} is not an id: use lower-case letters, digits and _ (start with a letter)")
            return str(value)
        return value

    def number(self, value, path: tuple, lo: float | None = None, hi: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            self.add(path, f"{value!r} is not a number")
            return 0.0
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.add(path, f"{value!r} must be between {lo:g} and {hi:g}")
        return float(value)


def validate_methodology(data, shown: str, root: yaml.Node | None = None) -> Methodology:
    """A Methodology from parsed YAML, or ScorecardError listing every problem."""
    c = _Checker(shown, root)
    top = c.mapping(data, (), TOP_KEYS, REQUIRED_TOP)
    mid = c.ident(top.get("id"), ("id",)) if "id" in top else ""
    expected_id = Path(shown).stem
    if mid and mid != expected_id:
        c.add(("id",), f"id {mid!r} must match the file name {expected_id!r}")
    title = c.text(top.get("title"), ("title",)) if "title" in top else ""
    version = c.text(top.get("version"), ("version",)) if "version" in top else ""
    description = c.text(top.get("description"), ("description",), required=False)
    month = day = 1
    if "assessment_date" in top:
        m = _MONTH_DAY.match(str(top["assessment_date"]))
        try:
            if not m:
                raise ValueError
            month, day = int(m.group(1)), int(m.group(2))
            dt.date(2001, month, day)  # 02-29 is not a date every year
        except ValueError:
            c.add(("assessment_date",), f"{top['assessment_date']!r} is not a month-day like \"08-01\"")
    first_year = int(c.number(top.get("first_year", 2011), ("first_year",), 1900, 2100))
    min_coverage = c.number(top.get("min_coverage", DEFAULT_MIN_COVERAGE), ("min_coverage",), 0, 1)
    scale = DEFAULT_SCALE
    if "scale" in top:
        scale = _scale(c, top["scale"])
    compare_with = None
    if "compare_with" in top:
        cw = c.mapping(top["compare_with"], ("compare_with",), COMPARE_KEYS, COMPARE_KEYS)
        compare_with = {k: str(v) for k, v in cw.items() if k in COMPARE_KEYS}
    criteria: list[Criterion] = []
    sections = top.get("sections")
    if "sections" in top and (not isinstance(sections, list) or not sections):
        c.add(("sections",), "expected a non-empty list of sections")
        sections = []
    seen_sections, seen_criteria = set(), {}
    for si, sec in enumerate(sections or []):
        spath = ("sections", si)
        s = c.mapping(sec, spath, SECTION_KEYS, {"id", "title", "criteria"})
        sid = c.ident(s.get("id"), spath + ("id",)) if "id" in s else f"section_{si}"
        if sid in seen_sections:
            c.add(spath + ("id",), f"section id {sid!r} is used twice")
        seen_sections.add(sid)
        stitle = c.text(s.get("title"), spath + ("title",)) if "title" in s else ""
        crits = s.get("criteria")
        if "criteria" in s and (not isinstance(crits, list) or not crits):
            c.add(spath + ("criteria",), "expected a non-empty list of criteria")
            crits = []
        for ci, crit in enumerate(crits or []):
            criteria_item = _criterion(c, crit, spath + ("criteria", ci), sid, stitle, seen_criteria)
            if criteria_item:
                criteria.append(criteria_item)
    if c.problems:
        raise ScorecardError(c.problems)
    return Methodology(
        id=mid, title=title, version=version, description=description, assessment_month=month,
        assessment_day=day, first_year=first_year, scale=scale, min_coverage=min_coverage,
        criteria=tuple(criteria), file=shown, compare_with=compare_with,
    )


def _scale(c: _Checker, raw) -> tuple[tuple[str, float], ...]:
    if not isinstance(raw, list) or not raw:
        c.add(("scale",), "expected a list of {grade, min_percent}, best grade first")
        return DEFAULT_SCALE
    out = []
    for i, step in enumerate(raw):
        s = c.mapping(step, ("scale", i), SCALE_KEYS, SCALE_KEYS)
        grade = c.text(s.get("grade"), ("scale", i, "grade")) if "grade" in s else ""
        pct = c.number(s.get("min_percent", 0), ("scale", i, "min_percent"), 0, 100)
        out.append((grade, pct))
    cutoffs = [p for _, p in out]
    if any(a <= b for a, b in zip(cutoffs, cutoffs[1:])):
        c.add(("scale",), f"min_percent must fall strictly from the best grade down; got {cutoffs}")
    grades = [g for g, _ in out]
    if len(set(grades)) != len(grades) or "F" in grades:
        c.add(("scale",), "each grade appears once; F (below the last cutoff) is implied")
    return tuple(out)


def _criterion(c: _Checker, raw, path: tuple, sid: str, stitle: str, seen: dict) -> Criterion | None:
    crit = c.mapping(raw, path, CRITERION_KEYS, {"id", "title", "rationale", "points"})
    if not crit:
        return None
    cid = c.ident(crit.get("id"), path + ("id",)) if "id" in crit else ""
    if cid in seen:
        c.add(path + ("id",), f"criterion id {cid!r} is used twice (first at {seen[cid]})")
    seen.setdefault(cid, "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip("."))
    title = c.text(crit.get("title"), path + ("title",)) if "title" in crit else ""
    rationale = c.text(crit.get("rationale"), path + ("rationale",)) if "rationale" in crit else ""
    points = c.number(crit.get("points", 0), path + ("points",), 0, 1000)
    if isinstance(crit.get("points"), (int, float)) and not isinstance(crit.get("points"), bool) and crit["points"] == 0:
        c.add(path + ("points",), "points must be above 0")
    has_rule, has_tiers = "rule" in crit, "tiers" in crit
    if has_rule == has_tiers:
        c.add(path, "give exactly one of `rule` (met or unmet) or `tiers` (partial credit)")
        return None
    raw_tiers = [{"when": crit["rule"], "credit": 1}] if has_rule else crit["tiers"]
    if not isinstance(raw_tiers, list) or not raw_tiers:
        c.add(path + ("tiers",), "expected a list of {when, credit}, highest credit first")
        return None
    tiers, used = [], set()
    for ti, tier in enumerate(raw_tiers):
        tpath = path + (("rule",) if has_rule else ("tiers", ti))
        t = {"when": tier["when"], "credit": tier["credit"]} if has_rule else c.mapping(tier, tpath, TIER_KEYS, TIER_KEYS)
        if not t:
            continue
        credit = c.number(t.get("credit", 0), tpath if has_rule else tpath + ("credit",), 0, 1)
        when = t.get("when")
        if not isinstance(when, str):
            c.add(tpath if has_rule else tpath + ("when",), f"the rule must be text, got {when!r}")
            continue
        try:
            tree = parse(when)
        except RuleError as e:
            c.add(tpath if has_rule else tpath + ("when",), f"criterion {cid!r}: rule {when!r}: {e}")
            continue
        used |= facts_used(tree)
        tiers.append(Tier(when=" ".join(when.split()), credit=credit, tree=tree))
    credits = [t.credit for t in tiers]
    if any(a <= b for a, b in zip(credits, credits[1:])):
        c.add(path + ("tiers",), f"tier credits must fall strictly, highest first; got {credits}")
    return Criterion(cid, sid, stitle, title, rationale, points, tuple(tiers), tuple(sorted(used)))


def load_methodology(path: Path, shown: str | None = None) -> Methodology:
    path = Path(path)
    shown = shown or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_SCORECARD_BYTES:
            raise ScorecardError([Problem(shown, None, "", f"the file is {size} bytes; the limit is {MAX_SCORECARD_BYTES}")])
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ScorecardError([Problem(shown, line, "", "not UTF-8 text; save the file as UTF-8")]) from None
    except OSError as e:
        raise ScorecardError([Problem(shown, None, "", f"cannot be read ({e.strerror})")]) from None
    data, node = _load_yaml(text, shown)
    if data is None:
        raise ScorecardError([Problem(shown, None, "", "the file is empty")])
    return validate_methodology(data, shown, node)


def load_methodologies(scorecard_dir: Path, shown_dir: str = "data/raw/scorecards"):
    """Every methodology in the folder, sorted by id, plus the problems of the files that
    could not be loaded (those are skipped; the others are graded)."""
    good, problems = [], []
    for path in sorted(Path(scorecard_dir).glob("*.y*ml")):
        try:
            good.append(load_methodology(path, f"{shown_dir}/{path.name}"))
        except ScorecardError as e:
            problems.extend(e.problems)
    return sorted(good, key=lambda m: m.id), problems
