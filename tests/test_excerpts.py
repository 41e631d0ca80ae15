"""The excerpt check flags coded values that the source's own words contradict."""

from __future__ import annotations

import pytest

from conftest import REPO
from pipeline.excerpts import check_row, classes_in, dollars_in, years_in
from pipeline.staging import STATUTE_TABLES, ingest_all
from pipeline.excerpts import check_excerpts


@pytest.mark.parametrize(
    "text,expected",
    [
        ("life in prison or a definite term of 10 to 99 years", {10, 99}),
        ("a fixed term of between twenty (20) and fifty (50) years", {20, 50}),
        ("not less than one year nor more than ten years", {1, 10}),
        ("shall not exceed three hundred sixty-four days", {0.997}),
        ("between 6 mos. and 2 1/2 years", {0.5, 2.5}),
        ("If the victim is under 16 years old, punishable by 10-30 years", {10, 30}),
        ("a person under the age of 18 years shall be imprisoned not more than forty-five years", {45}),
    ],
)
def test_prison_terms_are_read_and_ages_are_not(text, expected):
    assert years_in(text) == {float(x) for x in expected}


def test_classes_and_dollars_are_read():
    assert classes_in("is a felony of the second degree; a Class C felony; Level 4 felony") == {
        ("felony", "d2"), ("felony", "c"), ("felony", "l4")}
    assert dollars_in("a fine of not more than $15,000 or 2,500 dollars") == {15000.0, 2500.0}


BASE = {"source_file": "f.csv", "source_line": 2, "state": "TX"}


@pytest.mark.parametrize(
    "table,row,column",
    [
        ("buyer_offenses", {"classification": "Felony of the second degree", "excerpt": "is a felony of the third degree"},
         "classification"),
        ("felony_classes", {"classification": "Class C felony", "max_prison_years": 20.0,
                            "excerpt": "a Class C felony: not more than 10 years"}, "max_prison_years"),
        ("felony_classes", {"classification": "Class C felony", "max_fine_usd": 15000.0,
                            "excerpt": "a fine not to exceed $10,000"}, "max_fine_usd"),
        ("felony_classes", {"classification": "Class A felony", "life_max": False,
                            "excerpt": "punishable by imprisonment for life"}, "life_max"),
        ("mistake_of_age", {"defense": "allowed", "excerpt": "it is not a defense that the actor did not know the age"},
         "defense"),
        ("mistake_of_age", {"defense": "prohibited", "excerpt": "it is a defense that the actor reasonably believed"},
         "defense"),
        ("sentencing_systems", {"system": "offense_specific", "excerpt": "is a Class C felony"}, "system"),
    ],
)
def test_a_contradicting_excerpt_is_flagged(table, row, column):
    flags = check_row(BASE | row, table)
    assert [f["column"] for f in flags] == [column]
    assert flags[0]["line"] == 2


@pytest.mark.parametrize(
    "table,row",
    [
        ("felony_classes", {"classification": "Class C felony", "min_prison_years": 2.0, "max_prison_years": 10.0,
                            "max_fine_usd": 10000.0, "excerpt": "a Class C felony: 2 to 10 years and up to $10,000"}),
        ("buyer_offenses", {"classification": "Class B felony", "excerpt": "punishable as a felony"}),
        ("mistake_of_age", {"defense": "limited", "excerpt": "it is not a defense ... It is a defense that he checked"}),
        ("sentencing_systems", {"system": "offense_specific", "excerpt": "Unlike many states, Mississippi doesn't have different classes"}),
    ],
)
def test_an_agreeing_or_silent_excerpt_is_not_flagged(table, row):
    assert check_row(BASE | row, table) == []


def test_the_shipped_rows_agree_with_their_excerpts():
    results = ingest_all(REPO / "data" / "raw")
    for name in STATUTE_TABLES:
        flags = check_excerpts(results[name].accepted, name)
        assert flags.empty, flags.to_string()
