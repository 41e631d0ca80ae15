"""Each raw schema accepts good rows and rejects one bad row per rule, with its line."""

from __future__ import annotations

import pytest

from conftest import read_fixture_rows, write_table
from pipeline.ingest import ingest_table
from pipeline.staging import ingest_all

# (table, column, bad value, rule). Each case breaks exactly one rule in one row.
CASES = [
    ("felony_classes", "state", "XX", "state"),
    ("felony_classes", "state", "tx", "state"),
    ("felony_classes", "state", "", "required"),
    ("felony_classes", "classification", "", "required"),
    ("felony_classes", "level", "crime", "enum"),
    ("felony_classes", "min_prison_years", "two", "number"),
    ("felony_classes", "min_prison_years", "-1", "min"),
    ("felony_classes", "max_prison_years", "10000", "max"),
    ("felony_classes", "max_prison_years", "1", "min_le_max_prison"),
    ("felony_classes", "life_max", "yes", "bool"),
    ("felony_classes", "max_fine_usd", "$10,000", "number"),
    ("felony_classes", "citation", "=HYPERLINK(\"http://x\")", "formula"),
    ("felony_classes", "source_url", "example.org/tx", "url"),
    ("felony_classes", "source_kind", "blog", "enum"),
    ("felony_classes", "verified", "", "required"),
    ("felony_classes", "excerpt", "x" * 401, "max_length"),
    ("felony_classes", "effective_from", "2023-02-30", "date"),
    ("felony_classes", "effective_from", "01/02/2020", "date"),
    ("felony_classes", "effective_from_basis", "guessed", "enum"),
    ("felony_classes", "effective_to", "1999-01-01", "effective_to_after_from"),
    ("buyer_offenses", "offense_type", "purchase", "enum"),
    ("buyer_offenses", "victim_age_from", "1.5", "integer"),
    ("buyer_offenses", "victim_age_from", "18", "max"),
    ("buyer_offenses", "victim_age_under", "0", "min"),
    ("buyer_offenses", "classification", "Class Q felony", "penalty_resolves"),
    ("buyer_offenses", "registration_required", "maybe", "bool"),
    ("mistake_of_age", "scope", "buyers", "enum"),
    ("mistake_of_age", "defense", "unknown", "enum"),
    ("published_grades", "year", "twenty", "integer"),
    ("published_grades", "framework", "PIC", "enum"),
    ("published_grades", "grade", "A+", "enum"),
    ("published_grades", "score", "110", "score_le_max"),
    ("published_grades", "source_url", "", "required"),
]


@pytest.mark.parametrize("table,column,value,rule", CASES)
def test_one_bad_row_is_rejected_for_its_rule_and_the_rest_are_accepted(raw_dir, table, column, value, rule):
    rows = read_fixture_rows(table)
    rows[1][column] = value
    write_table(raw_dir, table, rows)
    results = ingest_all(raw_dir)
    result = results[table]
    assert result.rows_read == len(rows)
    assert result.rows_rejected == 1
    assert len(result.accepted) == len(rows) - 1
    rejected = result.rejected
    assert set(rejected["line"]) == {3}, "row 2 of the data is line 3 of the file"
    assert rule in set(rejected["rule"])
    hit = rejected[rejected["rule"] == rule].iloc[0]
    message = hit["message"]
    assert message.startswith(f"data/raw/{result.file.removeprefix('data/raw/')}:3: ")
    if rule not in ("duplicate",):
        assert hit["column"] == column or rule in ("min_le_max_prison",)


def test_age_band_rule_rejects_a_band_that_ends_before_it_starts(raw_dir):
    rows = read_fixture_rows("buyer_offenses")
    rows[0]["victim_age_from"], rows[0]["victim_age_under"] = "16", "15"
    write_table(raw_dir, "buyer_offenses", rows)
    result = ingest_all(raw_dir)["buyer_offenses"]
    assert list(result.rejected["rule"]) == ["age_band_order"]
    assert list(result.rejected["line"]) == [2]


def test_a_class_row_must_state_some_penalty(raw_dir):
    rows = read_fixture_rows("felony_classes")
    rows[0].update(max_prison_years="", life_max="false", max_fine_usd="")
    write_table(raw_dir, "felony_classes", rows)
    result = ingest_table(raw_dir, "felony_classes")
    assert list(result.rejected["rule"]) == ["penalty_stated"]


def test_a_published_grade_needs_a_score_or_a_grade(raw_dir):
    rows = read_fixture_rows("published_grades")
    rows[0].update(score="", grade="")
    write_table(raw_dir, "published_grades", rows)
    result = ingest_table(raw_dir, "published_grades")
    assert list(result.rejected["rule"]) == ["score_or_grade"]
    assert list(result.rejected["line"]) == [2]


def test_all_problems_of_a_row_are_reported_at_once(raw_dir):
    rows = read_fixture_rows("felony_classes")
    rows[0].update(state="XX", level="crime", effective_from="2020-13-01")
    write_table(raw_dir, "felony_classes", rows)
    result = ingest_table(raw_dir, "felony_classes")
    assert set(result.rejected["rule"]) == {"state", "enum", "date"}
    assert result.rows_rejected == 1


def test_duplicate_rows_reject_the_repeat_and_keep_the_first(raw_dir):
    rows = read_fixture_rows("mistake_of_age")
    write_table(raw_dir, "mistake_of_age", rows + [rows[0]])
    result = ingest_table(raw_dir, "mistake_of_age")
    assert list(result.rejected["rule"]) == ["duplicate"]
    assert list(result.rejected["line"]) == [len(rows) + 2]
    assert "repeats line 2" in result.rejected["message"].iloc[0]
    assert len(result.accepted) == len(rows)


def test_overlapping_versions_are_both_rejected_naming_each_other(raw_dir):
    rows = read_fixture_rows("felony_classes")
    in_c = next(r for r in rows if r["classification"] == "Class C felony")
    later = dict(in_c, effective_from="2010-01-01", effective_to="", excerpt="another version")
    write_table(raw_dir, "felony_classes", rows + [later])
    result = ingest_table(raw_dir, "felony_classes")
    first_line = rows.index(in_c) + 2
    new_line = len(rows) + 2
    assert set(result.rejected["rule"]) == {"overlap"}
    assert set(result.rejected["line"]) == {first_line, new_line}
    messages = dict(zip(result.rejected["line"], result.rejected["message"]))
    assert f"overlaps line {new_line}" in messages[first_line]
    assert f"overlaps line {first_line}" in messages[new_line]


def test_versions_that_meet_end_to_start_do_not_overlap(raw_dir):
    result = ingest_table(raw_dir, "felony_classes")
    assert result.rows_rejected == 0
    assert len(result.accepted) == len(read_fixture_rows("felony_classes"))


def test_a_buyer_offense_with_a_rejected_class_is_rejected_too(raw_dir):
    classes = read_fixture_rows("felony_classes")
    for r in classes:
        if r["state"] == "AK":
            r["source_url"] = "not a url"
    write_table(raw_dir, "felony_classes", classes)
    results = ingest_all(raw_dir)
    buyer = results["buyer_offenses"]
    assert set(buyer.rejected["rule"]) == {"penalty_resolves"}
    assert "AK" in buyer.rejected["record"].iloc[0]


def test_a_buyer_offense_with_its_own_penalty_needs_no_class(raw_dir):
    rows = read_fixture_rows("buyer_offenses")
    rows[0].update(classification="felony", max_prison_years="10")
    write_table(raw_dir, "buyer_offenses", rows)
    assert ingest_all(raw_dir)["buyer_offenses"].rows_rejected == 0


def test_accepted_rows_are_typed(raw_dir):
    result = ingest_table(raw_dir, "felony_classes")
    acc = result.accepted
    assert str(acc["max_prison_years"].dtype) == "float64"
    assert str(acc["life_max"].dtype) == "boolean"
    assert acc["effective_from"].dt.year.min() == 2000
    assert acc["source_line"].tolist() == list(range(2, 2 + len(acc)))


SYSTEM_ROW = {"state": "TX", "system": "offense_specific", "citation": "Fixture § 1", "source_url": "https://example.org/s",
              "source_kind": "secondary", "verified": "false", "excerpt": "penalties are set in each offense statute",
              "effective_from": "2010-01-01", "effective_from_basis": "known_since", "effective_to": "", "note": ""}


def test_a_state_cannot_have_felony_classes_and_offense_specific_penalties_at_once(raw_dir):
    rows = read_fixture_rows("sentencing_systems") + [dict(SYSTEM_ROW)]
    write_table(raw_dir, "sentencing_systems", rows)
    result = ingest_all(raw_dir)["sentencing_systems"]
    assert result.rows_read == len(rows) and result.rows_rejected == 1
    bad = result.rejected.iloc[0]
    assert (bad["rule"], bad["column"], bad["line"]) == ("classes_conflict", "system", len(rows) + 1)
    assert "felony class rows" in bad["message"]
    assert set(result.accepted["state"]) == {"KS"}


def test_offense_specific_penalties_before_a_class_system_are_accepted(raw_dir):
    # TX's fixture classes start on 2000-01-01: a version ending that day does not overlap them.
    rows = [dict(SYSTEM_ROW, effective_from="1990-01-01", effective_to="2000-01-01")]
    write_table(raw_dir, "sentencing_systems", rows)
    assert ingest_all(raw_dir)["sentencing_systems"].rows_rejected == 0


def test_misdemeanor_classes_do_not_conflict_with_offense_specific_felonies(raw_dir):
    classes = read_fixture_rows("felony_classes")
    misdemeanor = dict(classes[0], state="KS", classification="Class A misdemeanor", level="misdemeanor",
                       min_prison_years="", max_prison_years="1", life_max="false", max_fine_usd="",
                       excerpt="up to one year")
    write_table(raw_dir, "felony_classes", classes + [misdemeanor])
    results = ingest_all(raw_dir)
    assert results["felony_classes"].rows_rejected == 0
    assert results["sentencing_systems"].rows_rejected == 0


def test_every_contract_rule_has_a_check_and_class_rules_agree():
    from dataclasses import replace

    from pipeline import contract
    from pipeline.schemas import CLASS_CHECKS, build_schema

    assert set(CLASS_CHECKS) == contract.CLASS_RULES
    for table in contract.load_contract().tables.values():
        build_schema(table)  # raises on a rule the contract names but schemas lacks
    table = next(iter(contract.load_contract().tables.values()))
    with pytest.raises(ValueError, match="no_such_rule"):
        build_schema(replace(table, row_rules=(*table.row_rules, "no_such_rule")))
