"""Does each row's excerpt support what the row codes?

The excerpt is the few words of the source behind a row. This module reads the classes,
dollar amounts, prison terms and defense wording in it and flags rows whose coded values
contradict them, so a typo in a number cannot pass silently. It only flags what the
excerpt states: an excerpt that names no amount says nothing about the amount.
"""

from __future__ import annotations

import re

import pandas as pd

FLAG_COLUMNS = ["file", "line", "state", "column", "coded", "excerpt_says", "message"]

_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
          "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_BELOW_100 = (r"(?:(?:" + "|".join(_TENS) + r")(?:-(?:" + "|".join(_UNITS) + r"))?|"
              + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")")
_WORD = r"(?:" + _BELOW_100 + r"\s+hundred(?:\s+(?:and\s+)?" + _BELOW_100 + r")?|" + _BELOW_100 + r")"
_NUMBER = re.compile(r"(?<![\w$.])(?<!\d,)(\d+(?:\.\d+)?(?:\s+1/2)?|" + _WORD + r")(?!\w|,\d)", re.I)
_ORDINALS = {"first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5", "sixth": "6"}
_CLASS = re.compile(
    r"\b(?:class\s+([a-z]{1,2}\d?|\d+|[ivx]+a?)\s+(felony|misdemeanor|crime))"
    r"|\b(?:(first|second|third|fourth|fifth)[- ]degree\s+(felony|misdemeanor))"
    r"|\b(?:(felony|misdemeanor)\s+of\s+the\s+(first|second|third|fourth|fifth)\s+degree)"
    r"|\b(?:level\s+(\d)\s+(felony))",
    re.I,
)
_DOLLARS = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{2})?|\b(\d{1,3}(?:,\d{3})+|\d+)\s+dollars\b", re.I)
_TERM_UNIT = re.compile(r"\b(years?|yrs?\.?|months?|mos\.?|days?)(?!\s+(?:of\s+age|old)\b)", re.I)
_AGE_UNIT = re.compile(r"\b(?:years?)\s+(?:of\s+age|old)\b", re.I)
_AGE_BEFORE = re.compile(r"(under|younger\s+than|older\s+than|age\s+of|aged|least)\s*$", re.I)
_WINDOW_STOP = re.compile(r"[;|\]\[]|\.\s|\bfine\b|\$", re.I)
_NOT_A_DEFENSE = re.compile(
    r"not\s+(?:be\s+)?a\s+defen[cs]e|shall\s+not\s+constitute\s+a\s+defen[cs]e|no\s+defen[cs]e|"
    r"strictly\s+liable|regardless\s+of\s+whether|whether\s+the\s+accused\s+was\s+aware|"
    r"ignorance\s+of\s+the\s+age|not\s+required\s+to\s+prove|need\s+not\s+prove|not\s+applicable\s+to\s+the\s+fact",
    re.I,
)
_IS_A_DEFENSE = re.compile(r"(?<!not )\bis\s+a\s+defen[cs]e|affirmative\s+defen[cs]e|knows\s+or\s+should\s+have\s+known"
                           r"|reasonably\s+believed", re.I)
_LIFE = re.compile(r"\b(life\s+imprisonment|imprisonment\s+for\s+life|for\s+life|natural\s+life|life\s+in\s+prison|"
                   r"life\s+sentence|(?:or|to)\s+life)\b", re.I)


def _num(text: str) -> float:
    text = " ".join(text.lower().split())
    if " hundred" in text:
        hundreds, _, rest = text.partition(" hundred")
        rest = rest.strip().removeprefix("and ").strip()
        return _num(hundreds) * 100 + (_num(rest) if rest else 0)
    if text.endswith("1/2"):
        return _num(text[:-3]) + 0.5
    if text in _UNITS:
        return float(_UNITS[text])
    if text.split("-")[0] in _TENS:
        tens, _, unit = text.partition("-")
        return float(_TENS[tens] + (_UNITS[unit] if unit else 0))
    return float(text)


def class_key(label: str) -> tuple[str, str] | None:
    """A class label reduced to (level word, grade), e.g. 'Felony of the second degree' →
    ('felony', 'd2'), 'Class C felony' → ('felony', 'c'), 'Level 4 felony' → ('felony', 'l4')."""
    m = _CLASS.search(label or "")
    if not m:
        return None
    g = m.groups()
    if g[0]:
        return g[1].lower(), g[0].lower()
    if g[2]:
        return g[3].lower(), "d" + _ORDINALS[g[2].lower()]
    if g[4]:
        return g[4].lower(), "d" + _ORDINALS[g[5].lower()]
    return g[7].lower(), "l" + g[6]


def classes_in(text: str) -> set[tuple[str, str]]:
    return {k for k in (class_key(m.group(0)) for m in _CLASS.finditer(text or "")) if k}


def dollars_in(text: str) -> set[float]:
    return {float((a or b).replace(",", "")) for a, b in _DOLLARS.findall(text or "")}


def years_in(text: str) -> set[float]:
    """Prison terms in the excerpt, in years. Every number in the stretch of words before a
    "years" or "months" counts ("10 to 99 years", "not less than one nor more than ten years");
    ages ("under 18 years of age", "16 years old") do not."""
    text = text or ""
    found: set[float] = set()
    prev_end = 0
    for unit in _TERM_UNIT.finditer(text):
        window_start = max(prev_end, unit.start() - 80)
        window = text[window_start: unit.start()]
        stops = list(_WINDOW_STOP.finditer(window))
        if stops:
            window_start += stops[-1].end()
            window = text[window_start: unit.start()]
        per_year = {"mo": 12, "da": 365}.get(unit.group(1).lower()[:2], 1)
        for m in _NUMBER.finditer(window):
            if _AGE_BEFORE.search(text[: window_start + m.start()]):
                continue
            found.add(round(_num(m.group(1)) / per_year, 3))
        prev_end = unit.end()
    # "12 years and 6 months" is one term
    for m in re.finditer(r"(\d+)\s+years?\s+and\s+(\d+)\s+months?", text, re.I):
        found.add(round(int(m.group(1)) + int(m.group(2)) / 12, 3))
    for age in _AGE_UNIT.finditer(text):
        before = list(_NUMBER.finditer(text[max(0, age.start() - 12): age.start()]))
        if before:
            found.discard(_num(before[-1].group(1)))
    return found


def _close(value: float, candidates: set[float]) -> bool:
    return any(abs(value - c) <= 0.01 * max(1.0, c) for c in candidates)


def _flag(row, column, coded, says, message) -> dict:
    return {"file": row.get("source_file"), "line": row.get("source_line"), "state": row.get("state"),
            "column": column, "coded": str(coded), "excerpt_says": str(says), "message": message}


def check_row(row: dict, table: str) -> list[dict]:
    excerpt = row.get("excerpt") or ""
    flags = []
    if table in ("felony_classes", "buyer_offenses") and row.get("classification"):
        named = classes_in(excerpt)
        coded = class_key(row["classification"])
        if named and coded and coded not in named:
            flags.append(_flag(row, "classification", row["classification"], sorted(named),
                               "the excerpt names a different class"))
    if table in ("felony_classes", "buyer_offenses"):
        fine = row.get("max_fine_usd")
        amounts = dollars_in(excerpt)
        if fine is not None and not pd.isna(fine) and amounts and not _close(float(fine), amounts):
            flags.append(_flag(row, "max_fine_usd", fine, sorted(amounts), "the excerpt states other amounts"))
        terms = years_in(excerpt)
        for column in ("max_prison_years", "min_prison_years"):
            value = row.get(column)
            if value is not None and not pd.isna(value) and terms and not _close(float(value), terms | {0.0}):
                flags.append(_flag(row, column, value, sorted(terms), "the excerpt states other terms"))
        life = row.get("life_max")
        if _LIFE.search(excerpt) and life is not None and not pd.isna(life) and not bool(life) \
                and not (terms and row.get("max_prison_years") in terms):
            flags.append(_flag(row, "life_max", life, "life", "the excerpt mentions life imprisonment"))
    if table == "sentencing_systems" and row.get("system") == "offense_specific":
        named = classes_in(excerpt)
        if named:
            flags.append(_flag(row, "system", "offense_specific", sorted(named),
                               "the excerpt names a felony class"))
    if table == "mistake_of_age":
        defense = row.get("defense")
        bars = bool(_NOT_A_DEFENSE.search(excerpt))
        grants = bool(_IS_A_DEFENSE.search(excerpt))
        if defense in ("allowed", "silent") and bars:
            flags.append(_flag(row, "defense", defense, "not a defense", "the excerpt bars the defense"))
        if defense == "prohibited" and grants and not bars:
            flags.append(_flag(row, "defense", defense, "is a defense", "the excerpt grants a defense"))
    return flags


def check_excerpts(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Rows whose coded values contradict their excerpt (one row per contradiction)."""
    flags = [f for row in frame.to_dict("records") for f in check_row(row, table)]
    return pd.DataFrame(flags, columns=FLAG_COLUMNS)
