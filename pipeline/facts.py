"""Staged → facts: the law in force in each state on each year's assessment date.

One row per state × year × assessment date, computed in DuckDB by
sql/state_year_facts.sql. A law effective after the assessment date counts from the next
year, because only versions with effective_from <= as_of are in force.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.contract import load_contract
from pipeline.jurisdictions import USPS_CODES
from pipeline.rules import load_facts

SQL_DIR = Path(__file__).with_name("sql")
EVIDENCE_SUFFIXES = ("citation", "source_url", "verified")


def through_year(assessment: tuple[int, int] = (8, 1), today: dt.date | None = None) -> int:
    """The last year graded: CSEC_THROUGH_YEAR, else the latest year whose assessment date
    has passed (a year is graded once its law on the assessment date is known)."""
    value = os.environ.get("CSEC_THROUGH_YEAR")
    if value:
        return int(value)
    today = today or dt.date.today()
    return today.year if (today.month, today.day) >= assessment else today.year - 1


def calendar(first_year: int, last_year: int, assessment_dates: list[tuple[int, int]],
             states: tuple[str, ...] = USPS_CODES) -> pd.DataFrame:
    """Every state × year × assessment date to resolve the law on."""
    rows = [
        (state, year, f"{m:02d}-{d:02d}", dt.date(year, m, d))
        for (m, d) in sorted(set(assessment_dates))
        for state in states
        for year in range(first_year, last_year + 1)
    ]
    frame = pd.DataFrame(rows, columns=["state", "year", "assessment_date", "as_of"])
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    frame["year"] = frame["year"].astype("int32")
    return frame


def calendar_for(methodologies, last_year: int | None = None,
                 states: tuple[str, ...] | list[str] = USPS_CODES) -> pd.DataFrame:
    """The calendar the methodologies need: their assessment dates, from the earliest first
    year to `last_year` (default: through_year()), for `states` (default: all 51)."""
    dates = [(m.assessment_month, m.assessment_day) for m in methodologies] or [(8, 1)]
    first = min([m.first_year for m in methodologies] or [2011])
    return calendar(first, last_year or max(through_year(d) for d in dates), dates, tuple(states))


EVIDENCE_GROUPS = ("buyer", "mistake_of_age_buyer", "mistake_of_age_trafficking", "felony_classes")


def fact_column_comments() -> dict[str, str]:
    """Descriptions of the fact and evidence columns of state_year_facts."""
    comments = {name: f"{fact.description} ({fact.type})" for name, fact in load_facts().items()}
    for group in EVIDENCE_GROUPS:
        label = group.replace("_", " ")
        comments[f"{group}_citation"] = f"Citations of the {label} rows in force."
        comments[f"{group}_source_url"] = f"Where the {label} rows were read."
        comments[f"{group}_verified"] = f"Whether every {label} row in force was read in statute text."
    return comments


def _query_staged(sql_file: str, staged: dict[str, pd.DataFrame], cal: pd.DataFrame) -> pd.DataFrame:
    """Run one of sql/ on a connection holding `calendar` and every staged statute table."""
    con = duckdb.connect()
    try:
        con.register("calendar", cal)
        for name in load_contract().statute_tables:
            con.register(f"staged_{name}", staged[name])
        return con.execute((SQL_DIR / sql_file).read_text(encoding="utf-8")).df()
    finally:
        con.close()


def state_year_facts(staged: dict[str, pd.DataFrame], cal: pd.DataFrame) -> pd.DataFrame:
    """Facts from the staged frames of every statute table of the contract."""
    facts = _query_staged("state_year_facts.sql", staged, cal)
    facts["as_of"] = pd.to_datetime(facts["as_of"]).dt.date
    return facts


def fact_evidence(staged: dict[str, pd.DataFrame], cal: pd.DataFrame) -> pd.DataFrame:
    """The raw rows behind each evidence group of state_year_facts, one row per source line."""
    return _query_staged("fact_evidence.sql", staged, cal)


def coverage(facts: pd.DataFrame) -> pd.DataFrame:
    """coverage: state × topic × year → verified / coded / not_coded."""
    con = duckdb.connect()
    try:
        con.register("state_year_facts", facts)
        return con.execute((SQL_DIR / "coverage.sql").read_text(encoding="utf-8")).df()
    finally:
        con.close()
