"""Grades on the fixture dataset, checked against values computed by hand.

Fixture methodology (tests/fixtures/raw/scorecards/fixture_card.yaml), 10 points, 1 August:
  felony 4 (buyer_is_felony) · prison 4 (>= 20 years: 1, >= 8: 0.5) · mistake of age 2
  (prohibited: 1, limited: 0.5). Letters A >= 90, B >= 80, C >= 70, D >= 60, else F.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from conftest import FIXTURE_RAW, REPO
from pipeline.facts import EVIDENCE_GROUPS, calendar_for, coverage, fact_evidence
from pipeline.grading import grade_sensitivity, grade_states, published_comparison, score_criteria
from pipeline.stages import run_stages
from pipeline.staging import ingest_all, ingest_scorecards


@pytest.fixture(scope="module")
def graded():
    run = run_stages(FIXTURE_RAW, last_year=2024)
    return {"facts": run.facts, "scores": run.scores, "grades": run.grades, "sensitivity": run.sensitivity,
            "comparison": run.comparison, "methodologies": run.methodologies}


def grade(graded, state, year) -> pd.Series:
    g = graded["grades"]
    return g[(g.state == state) & (g.year == year)].iloc[0]


def status(graded, state, year, criterion) -> tuple[str, float]:
    s = graded["scores"]
    row = s[(s.state == state) & (s.year == year) & (s.criterion_id == criterion)].iloc[0]
    return row["status"], row["points_awarded"]


def test_every_state_is_graded_for_every_year_from_the_first_year(graded):
    g = graded["grades"]
    assert len(g) == 51 * (2024 - 2012 + 1)
    assert g.groupby("state")["year"].agg(["min", "max"]).drop_duplicates().values.tolist() == [[2012, 2024]]
    assert len(graded["scores"]) == len(g) * 3


def test_class_resolved_penalty_before_a_mid_year_change(graded):
    # TX: third-degree felony (2-10 years) resolved through felony_classes → prison tier 0.5.
    assert status(graded, "TX", 2021, "prison") == ("partial", 2.0)
    row = grade(graded, "TX", 2021)
    assert (row.score, row.coded_max, row.percent, row.grade) == (8.0, 10.0, 80.0, "B")


def test_a_law_effective_after_the_assessment_date_counts_from_the_next_year(graded):
    # 43.021 (first degree, life) takes effect 2021-09-01, after 1 August 2021.
    assert status(graded, "TX", 2022, "prison") == ("met", 4.0)
    row = grade(graded, "TX", 2022)
    assert (row.score, row.percent, row.grade, row.score_change, row.grade_change) == (10.0, 100.0, "A", 2.0, 1)
    facts = graded["facts"]
    assert facts[(facts.state == "TX") & (facts.year == 2022)]["buyer_max_prison_years"].iloc[0] == float("inf")


def test_a_change_effective_before_the_assessment_date_counts_that_year(graded):
    # IN: Class C (8 years) until 2014-07-01, Level 5 (6 years) after; 1 August 2014 sees Level 5.
    assert grade(graded, "IN", 2013)[["score", "grade"]].tolist() == [6.0, "D"]
    row = grade(graded, "IN", 2014)
    assert (row.score, row.percent, row.grade, row.grade_change, row.prior_grade) == (4.0, 40.0, "F", -1, "D")
    assert status(graded, "IN", 2014, "prison") == ("unmet", 0.0)


def test_a_repealed_defense_bar_stops_counting(graded):
    # AK: mistake-of-age bar until 2016-03-01, then the statute is silent.
    assert status(graded, "AK", 2015, "no_mistake_of_age") == ("met", 2.0)
    assert status(graded, "AK", 2016, "no_mistake_of_age") == ("unmet", 0.0)
    assert grade(graded, "AK", 2015)[["score", "grade"]].tolist() == [6.0, "D"]
    assert grade(graded, "AK", 2016)[["score", "grade"]].tolist() == [4.0, "F"]


def test_not_coded_topics_earn_nothing_leave_the_maximum_and_are_never_an_f(graded):
    # KS: buyer offense repealed 2015-01-01 with nothing coded after; no mistake-of-age row.
    assert status(graded, "KS", 2014, "no_mistake_of_age") == ("not_coded", 0.0)
    row = grade(graded, "KS", 2014)
    # felony 4 + prison 12 years → 0.5 × 4 = 2: 6 of 8 coded points = 75% (coverage 0.8)
    assert (row.score, row.coded_max, row.percent, row.grade, row.coverage) == (6.0, 8.0, 75.0, "C", 0.8)
    after = grade(graded, "KS", 2015)
    assert after.coded_max == 0 and pd.isna(after.grade) and pd.isna(after.percent)
    assert set(graded["scores"].query("state == 'KS' and year == 2015")["status"]) == {"not_coded"}
    nothing = grade(graded, "WY", 2020)
    assert pd.isna(nothing.grade) and nothing.coverage == 0


def test_ranks_share_ties_and_skip_ungraded_states(graded):
    g = graded["grades"]
    y = g[(g.year == 2013)].set_index("state")
    # 2013: TX 80 (B), AK 60 (D), IN 60 (D), KS 75 (C)
    assert y.loc["TX", "rank"] == 1 and y.loc["KS", "rank"] == 2
    assert y.loc["AK", "rank"] == y.loc["IN", "rank"] == 3
    assert y["rank"].isna().sum() == 51 - 4


def test_points_within_reach_counts_unmet_and_the_rest_of_partial(graded):
    assert grade(graded, "TX", 2021).points_within_reach == 2.0  # half of prison
    assert grade(graded, "IN", 2014).points_within_reach == 6.0  # prison 4 + mistake of age 2
    assert grade(graded, "KS", 2014).points_within_reach == 2.0


def test_criterion_scores_carry_the_citations_behind_them(graded):
    s = graded["scores"]
    row = s[(s.state == "TX") & (s.year == 2022) & (s.criterion_id == "prison")].iloc[0]
    assert row.citation == "Fixture § 12.32; Fixture § 43.021"
    assert "https://example.org/tx/43.021" in row.source_url
    assert bool(row.verified) is True
    moa = s[(s.state == "AK") & (s.year == 2015) & (s.criterion_id == "no_mistake_of_age")].iloc[0]
    assert moa.citation == "Fixture § 11.66.140" and bool(moa.verified) is False


def test_sensitivity_is_one_for_a_perfect_score_and_between_zero_and_one(graded):
    s = graded["sensitivity"].set_index(["state", "year"])
    assert s.loc[("TX", 2022), "share_same_grade"] == 1.0  # 100% is an A under any weights
    assert s["share_same_grade"].between(0, 1).all()
    assert (s["draws"] == 200).all()


def test_sensitivity_is_reproducible(graded):
    with duckdb.connect() as con:
        again = grade_sensitivity(con, graded["scores"], graded["grades"], graded["methodologies"])
    pd.testing.assert_frame_equal(again, graded["sensitivity"])


def test_published_grades_only_sit_beside_ours_when_the_methodology_compares(graded):
    # fixture_card has no compare_with: no comparison, and published rows never change grades.
    assert graded["comparison"].empty


def test_a_comparing_methodology_sits_beside_the_published_section(graded, tmp_path):
    card = (FIXTURE_RAW / "scorecards" / "fixture_card.yaml").read_text()
    folder = tmp_path / "scorecards"
    folder.mkdir()
    (folder / "compare_card.yaml").write_text(
        card.replace("id: fixture_card", "id: compare_card")
        + "compare_with: {framework: pic, section: demand}\n"
    )
    cards = ingest_scorecards(tmp_path)
    results = ingest_all(FIXTURE_RAW)
    with duckdb.connect() as con:
        con.register("state_year_facts", graded["facts"])
        scores = score_criteria(con, cards.methodologies)
        grades = grade_states(con, scores, cards.methodologies)
        comparison = published_comparison(con, grades, results["published_grades"].accepted, cards.methodologies)
    # fixture published row: TX 2019 pic demand 22.5 / 25 = 90%; ours TX 2019 = 8/10 = 80% (B)
    assert len(comparison) == 1
    row = comparison.iloc[0]
    assert (row.state, row.year, row.our_percent, row.published_percent, row.percent_difference) == (
        "TX", 2019, 80.0, 90.0, -10.0)
    assert pd.isna(row.grade_agrees)
    # the same criteria give the same grades: published rows never enter ours
    pd.testing.assert_frame_equal(grades.drop(columns="methodology"), graded["grades"].drop(columns="methodology"))


def test_the_streaming_grades_equal_the_grades_summed_from_criterion_scores(graded):
    from pipeline.grading import graded_sql, methodologies_frame, scales_frame

    with duckdb.connect() as con:
        con.register("state_year_facts", graded["facts"])
        con.register("methodologies", methodologies_frame(graded["methodologies"]))
        con.register("scales", scales_frame(graded["methodologies"]))
        sql, params = graded_sql(graded["methodologies"][0])
        streamed = con.execute(sql, params).df()
    pd.testing.assert_frame_equal(streamed, graded["grades"], check_dtype=False)


def test_a_state_without_felony_classes_is_coded_on_the_classes_topic(graded):
    # KS: a sentencing_systems row (offense_specific, secondary); TX: class rows (statute text);
    # AL: nothing coded.
    f = graded["facts"].set_index(["state", "year"])
    assert f.loc[("KS", 2020), "penalty_system"] == "offense_specific"
    assert bool(f.loc[("KS", 2020), "felony_classes_coded"])
    assert f.loc[("KS", 2020), "felony_classes_citation"] == "Fixture § 21-6804"
    assert f.loc[("TX", 2020), "penalty_system"] == "classes"
    assert pd.isna(f.loc[("AL", 2020), "penalty_system"])
    assert f.loc[("AL", 2020), "felony_classes_coded"] is False or f.loc[("AL", 2020), "felony_classes_coded"] == False  # noqa: E712
    assert f["felony_classes_coded"].notna().all(), "coded is TRUE or FALSE, never unknown"
    cov = coverage(graded["facts"]).set_index(["state", "topic", "year"])["status"]
    assert cov[("KS", "felony_classes", 2020)] == "coded"
    assert cov[("TX", "felony_classes", 2020)] == "verified"
    assert cov[("AL", "felony_classes", 2020)] == "not_coded"


@pytest.mark.parametrize("raw", [FIXTURE_RAW, REPO / "data" / "raw"], ids=["fixture", "shipped"])
def test_fact_evidence_lists_exactly_the_citations_behind_each_fact_group(raw):
    run = run_stages(raw, last_year=2024)
    evidence = fact_evidence(run.staged, calendar_for(run.methodologies, last_year=2024))
    listed = (evidence.groupby(["state", "year", "assessment_date", "evidence_group"])["citation"]
              .agg(lambda c: "; ".join(sorted(set(c)))))
    facts = run.facts.set_index(["state", "year", "assessment_date"])
    for group in EVIDENCE_GROUPS:
        expected = facts[f"{group}_citation"].dropna()
        got = listed.xs(group, level="evidence_group") if group in listed.index.get_level_values(3) else listed.iloc[:0]
        assert got.sort_index().to_dict() == expected.sort_index().to_dict(), group


def test_fact_evidence_pairs_each_citation_with_its_own_page():
    run = run_stages(FIXTURE_RAW, last_year=2024)
    e = fact_evidence(run.staged, calendar_for(run.methodologies, last_year=2024))
    tx = e[(e.state == "TX") & (e.year == 2020) & (e.evidence_group == "buyer")]
    # the 2020 offense (line 2) resolves through the third-degree class (line 7): two rows, each its own URL
    assert sorted(zip(tx.raw_table, tx.source_line, tx.citation, tx.source_url)) == [
        ("buyer_offenses", 2, "Fixture § 43.02(c-1)", "https://example.org/tx/43.02"),
        ("felony_classes", 7, "Fixture § 12.34", "https://example.org/tx/12.34"),
    ]
    ks = e[(e.state == "KS") & (e.year == 2020) & (e.evidence_group == "felony_classes")]
    assert list(ks.raw_table) == ["sentencing_systems"]


def test_fact_evidence_prefers_the_scope_specific_mistake_of_age_row(raw_dir):
    from conftest import read_fixture_rows, write_table

    rows = read_fixture_rows("mistake_of_age")
    tx_all = next(r for r in rows if r["state"] == "TX")
    rows.append(dict(tx_all, scope="buyer", defense="limited", citation="Fixture § buyer-only",
                     source_url="https://example.org/tx/buyer", excerpt="a defense only after checking identification"))
    write_table(raw_dir, "mistake_of_age", rows)
    run = run_stages(raw_dir, last_year=2024)
    e = fact_evidence(run.staged, calendar_for(run.methodologies, last_year=2024))
    tx = e[(e.state == "TX") & (e.year == 2020)].set_index("evidence_group")["citation"]
    assert tx["mistake_of_age_buyer"] == "Fixture § buyer-only"
    assert tx["mistake_of_age_trafficking"] == tx_all["citation"]
    f = run.facts.set_index(["state", "year"]).loc[("TX", 2020)]
    assert (f["mistake_of_age_buyer"], f["mistake_of_age_trafficking"]) == ("limited", "prohibited")


def test_buyer_penalty_is_the_weakest_age_band_and_needs_every_minor_covered(raw_dir):
    from conftest import write_table

    def offense(state, name, age_from, age_under, level, years):
        return {"state": state, "offense": name, "offense_type": "csec", "victim_age_from": str(age_from),
                "victim_age_under": str(age_under), "classification": level, "level": level,
                "max_prison_years": str(years), "life_max": "false", "citation": f"Fixture {state} {name}",
                "source_url": f"https://example.org/{state}", "source_kind": "statute_text", "verified": "true",
                "excerpt": "the offense sets its own penalty", "effective_from": "2011-01-01",
                "effective_from_basis": "enacted"}

    write_table(raw_dir, "buyer_offenses", [
        # overlapping bands: ages 12-13 take the stronger 10 years, 14-17 only have 5 years
        offense("DE", "younger", 0, 14, "felony", 10), offense("DE", "older", 12, 21, "felony", 5),
        # ages 15-17 are not covered by any offense: the facts are unknown, not weak
        offense("NV", "young only", 0, 15, "felony", 10),
        # a misdemeanor for 0-15 makes the buyer law not a felony for every minor
        offense("OH", "any minor", 0, 18, "misdemeanor", 1), offense("OH", "older minor", 16, 18, "felony", 3),
    ])
    facts = run_stages(raw_dir, last_year=2012).facts.set_index(["state", "year"])
    de, nv, oh = (facts.loc[(s, 2012)] for s in ("DE", "NV", "OH"))
    assert (de["buyer_is_felony"], de["buyer_max_prison_years"]) == (True, 5)
    assert pd.isna(nv["buyer_is_felony"]) and pd.isna(nv["buyer_max_prison_years"])
    assert nv["buyer_offense_count"] == 1
    assert (oh["buyer_is_felony"], oh["buyer_max_prison_years"]) == (False, 1)
