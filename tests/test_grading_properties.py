"""Properties of grading that hold for any facts, checked with hypothesis on the shipped
methodologies: bounds, sums, monotone letters, and a stricter law never scoring lower."""

from __future__ import annotations

import duckdb
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from pipeline.facts import EVIDENCE_GROUPS, EVIDENCE_SUFFIXES
from pipeline.grading import grade_states, score_criteria
from pipeline.rules import load_facts
from pipeline.scorecards import load_methodologies

METHODOLOGIES, _ = load_methodologies(REPO / "data" / "raw" / "scorecards")
FACTS = load_facts()
DEFENSES = ["allowed", "silent", "limited", "prohibited"]  # weakest to strictest

maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
fact_rows = st.fixed_dictionaries({
    "buyer_is_felony": maybe(st.booleans()),
    "buyer_max_prison_years": maybe(st.one_of(st.floats(0, 150), st.just(float("inf")))),
    "buyer_max_fine_usd": maybe(st.floats(0, 1_000_000)),
    "buyer_registration_required": maybe(st.booleans()),
    "buyer_trafficking_law_applies": maybe(st.just(True)),
    "buyer_distinct_offense": maybe(st.booleans()),
    "buyer_offense_count": st.integers(0, 5).map(float),
    "mistake_of_age_buyer": maybe(st.sampled_from(DEFENSES)),
    "mistake_of_age_trafficking": maybe(st.sampled_from(DEFENSES)),
    "penalty_system": maybe(st.sampled_from(["classes", "offense_specific"])),
    "felony_classes_coded": st.booleans(),
})


def facts_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame.insert(0, "state", [f"S{i:02d}" for i in range(len(rows))])
    frame.insert(1, "year", 2020)
    frame.insert(2, "assessment_date", "08-01")
    for g in EVIDENCE_GROUPS:
        for suffix in EVIDENCE_SUFFIXES:
            frame[f"{g}_{suffix}"] = None
    for name, fact in FACTS.items():
        frame[name] = frame[name].astype({"number": "float64", "bool": "boolean", "text": "string"}[fact.type])
    return frame


def grade(rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    with duckdb.connect() as con:
        con.register("state_year_facts", facts_frame(rows))
        scores = score_criteria(con, METHODOLOGIES)
        grades = grade_states(con, scores, METHODOLOGIES)
    return scores, grades


def stricter(row: dict, data) -> dict:
    """The same law made stricter (or newly coded) in some facts, never weaker."""
    out = dict(row)
    for name in ("buyer_is_felony", "buyer_registration_required", "buyer_distinct_offense",
                 "buyer_trafficking_law_applies"):
        if data.draw(st.booleans()):
            out[name] = True
    for name in ("buyer_max_prison_years", "buyer_max_fine_usd"):
        if data.draw(st.booleans()):
            out[name] = (out[name] or 0) + data.draw(st.floats(0, 100))
    for name in ("mistake_of_age_buyer", "mistake_of_age_trafficking"):
        if data.draw(st.booleans()):
            floor = DEFENSES.index(out[name]) if out[name] else 0
            out[name] = DEFENSES[data.draw(st.integers(floor, len(DEFENSES) - 1))]
    return out


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(fact_rows, min_size=1, max_size=6))
def test_scores_are_bounded_and_sum_their_criteria(rows):
    scores, grades = grade(rows)
    assert ((grades["score"] >= 0) & (grades["score"] <= grades["max_score"])).all()
    assert (grades["coded_max"] <= grades["max_score"]).all()
    sums = scores.groupby(["methodology", "state"])["points_awarded"].sum()
    merged = grades.set_index(["methodology", "state"])["score"]
    pd.testing.assert_series_equal(sums.sort_index(), merged.sort_index(), check_names=False)
    assert ((scores["points_awarded"] >= 0) & (scores["points_awarded"] <= scores["points_possible"])).all()
    assert (scores.loc[scores["status"] == "not_coded", "points_awarded"] == 0).all()


@SETTINGS
@given(st.lists(fact_rows, min_size=2, max_size=8))
def test_letters_are_monotone_in_percent(rows):
    _, grades = grade(rows)
    order = {"A": 5, "B": 4, "C": 3, "D": 2, "F": 1}
    graded = grades.dropna(subset=["grade"])
    for _, g in graded.groupby("methodology"):
        g = g.sort_values("percent")
        letters = g["grade"].map(order).tolist()
        assert letters == sorted(letters)


@SETTINGS
@given(fact_rows, st.data())
def test_a_stricter_law_never_lowers_a_score(row, data):
    _, before = grade([row])
    _, after = grade([stricter(row, data)])
    b = before.set_index("methodology")["score"]
    a = after.set_index("methodology")["score"]
    assert (a >= b).all(), (row, a, b)
