"""Methodology files: loaded safely, every problem reported with file, line and place."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURE_RAW, REPO
from pipeline.scorecards import ScorecardError, load_methodologies, load_methodology
from pipeline.staging import ingest_scorecards

GOOD = (FIXTURE_RAW / "scorecards" / "fixture_card.yaml").read_text()


def write(tmp_path: Path, text: str, name: str = "fixture_card.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ScorecardError) as err:
        load_methodology(write(tmp_path, text), "data/raw/scorecards/fixture_card.yaml")
    return [str(p) for p in err.value.problems]


def test_the_shipped_methodologies_load_and_are_worth_their_stated_points():
    methodologies, errors = load_methodologies(REPO / "data" / "raw" / "scorecards")
    assert errors == []
    by_id = {m.id: m for m in methodologies}
    assert by_id["demand_buyers"].max_score == 25
    assert by_id["demand_buyers"].compare_with == {"framework": "pic", "section": "demand"}
    assert all(c.rationale for m in methodologies for c in m.criteria)


def test_a_good_file_loads_with_defaults(tmp_path):
    m = load_methodology(write(tmp_path, GOOD))
    assert (m.id, m.max_score, m.first_year, m.assessment_date) == ("fixture_card", 10, 2012, "08-01")
    assert m.scale == (("A", 90.0), ("B", 80.0), ("C", 70.0), ("D", 60.0))
    assert [c.id for c in m.criteria] == ["felony", "prison", "no_mistake_of_age"]


@pytest.mark.parametrize(
    "old,new,expected",
    [
        ("points: 4\n        rule: buyer_is_felony", "points: 4\n        rule: buyer_is_felon",
         "fixture_card.yaml:15: sections[0].criteria[0].rule: criterion 'felony': rule 'buyer_is_felon': "
         "unknown fact 'buyer_is_felon' (did you mean 'buyer_is_felony'?) at position 1"),
        ("points: 4\n        rule: buyer_is_felony", "points: four\n        rule: buyer_is_felony",
         "sections[0].criteria[0].points: 'four' is not a number"),
        ("points: 2", "points: -2", "sections[1].criteria[0].points: -2 must be between 0 and 1000"),
        ("id: prison", "id: felony", "sections[0].criteria[1].id: criterion id 'felony' is used twice"),
        ("title: Fixture card", "title: Fixture card\nowner: me", "owner: unknown key 'owner'"),
        ("rationale: Fixture.\n        points: 4\n        rule", "rationale: Fixture.\n        weight: 4\n        rule",
         "unknown key 'weight'"),
        ('assessment_date: "08-01"', 'assessment_date: "02-30"', "'02-30' is not a month-day"),
        ("credit: 0.5}\n  - id: defenses", "credit: 1}\n  - id: defenses", "tier credits must fall strictly"),
        ("id: fixture_card", "id: other_card", "id 'other_card' must match the file name 'fixture_card'"),
        ("{when: \"buyer_max_prison_years >= 20\", credit: 1}", "{when: \"buyer_max_prison_years >= 20; DROP\", credit: 1}",
         "unexpected character ';' at position 29"),
    ],
)
def test_each_problem_names_file_line_place_and_fix(tmp_path, old, new, expected):
    assert old in GOOD
    found = problems(tmp_path, GOOD.replace(old, new, 1))
    assert any(expected in p for p in found), found
    assert all(p.startswith("data/raw/scorecards/fixture_card.yaml") for p in found)


def test_all_problems_of_a_file_are_reported_together(tmp_path):
    text = GOOD.replace("points: 4", "points: x").replace("rule: buyer_is_felony", "rule: nope")
    found = problems(tmp_path, text)
    assert len(found) >= 3


def test_a_non_monotone_scale_is_refused(tmp_path):
    text = GOOD + "scale:\n  - {grade: A, min_percent: 80}\n  - {grade: B, min_percent: 85}\n"
    assert any("min_percent must fall strictly" in p for p in problems(tmp_path, text))


def test_yaml_syntax_errors_give_the_line(tmp_path):
    found = problems(tmp_path, GOOD.replace("title: Penalties", "title: [Penalties"))
    # the bracket opens on line 9; the parser notices on line 10
    assert found == ["data/raw/scorecards/fixture_card.yaml:10: not valid YAML: expected ',' or ']', but got ':'"]


def test_a_billion_laughs_file_is_refused_without_expanding(tmp_path):
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i, (x, y) in enumerate(zip("bcdefghi", "abcdefgh")):
        bomb += f"{x}: &{x} [*{y},*{y},*{y},*{y},*{y},*{y},*{y},*{y},*{y}]\n"
    found = problems(tmp_path, bomb)
    assert any("anchors" in p for p in found)


def test_python_tags_are_refused(tmp_path):
    found = problems(tmp_path, "!!python/object/apply:os.system ['echo hacked']\n")
    assert any("not valid YAML" in p for p in found)


def test_a_bad_file_is_skipped_and_recorded_while_the_others_load(tmp_path):
    folder = tmp_path / "scorecards"
    folder.mkdir()
    write(folder, GOOD)
    write(folder, "id: broken\ntitle: [oops\n", "broken.yaml")
    cards = ingest_scorecards(tmp_path)
    assert [m.id for m in cards.methodologies] == ["fixture_card"]
    result = cards.ingest
    assert (result.rows_read, len(result.accepted), result.rows_rejected) == (2, 1, 1)
    assert result.rejected["file"].tolist() == ["data/raw/scorecards/broken.yaml"]
    assert result.rejected["line"].iloc[0] >= 2
