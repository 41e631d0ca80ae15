"""The shipped published grades: every research statement kept, mapped to the 51 codes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import REPO
from pipeline.importers import published_rows
from pipeline.jurisdictions import USPS_CODES
from pipeline.staging import ingest_all

RESEARCH = REPO.parent / "shared" / "research" / "pic_published_scores.csv"


def shipped() -> list[dict]:
    with (REPO / "data" / "raw" / "reference" / "published_grades.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_published_grades_parse_and_use_the_51_codes():
    result = ingest_all(REPO / "data" / "raw")["published_grades"]
    assert result.rows_rejected == 0
    assert set(result.accepted["state"]) <= set(USPS_CODES)
    pic = result.accepted[result.accepted["framework"] == "pic"]
    assert (pic.loc[pic["section"] == "total", "max_score"] == 102.5).all()
    assert (pic.loc[pic["section"] == "demand", "max_score"] == 25).all()


@pytest.mark.skipif(not RESEARCH.exists(), reason="needs ../shared/research beside the repository")
def test_every_research_statement_is_kept_as_its_own_row():
    ours = {(r["year"], r["state"], r["framework"], r["score"], r["grade"], r["source_url"]) for r in shipped()}
    research = published_rows(RESEARCH)
    assert len(research) == 201
    missing = [r for r in research
               if (r["year"], r["state"], r["framework"], r["score"], r["grade"], r["source_url"]) not in ours]
    assert missing == []


def test_state_names_map_to_usps_codes(tmp_path: Path):
    src = tmp_path / "scores.csv"
    src.write_text("year,state,score,grade,methodology,source_url,evidence\n"
                   "2011,District of Columbia,50,F,PIC,https://a.example | https://b.example,x\n"
                   "2019,texas,90,A,PIC,https://c.example,y\n")
    rows = published_rows(src)
    assert [(r["state"], r["framework"], r["max_score"]) for r in rows] == [("DC", "pic", "102.5"), ("TX", "pic", "102.5")]
    assert rows[0]["source_url"] == "https://a.example" and "https://b.example" in rows[0]["note"]
    bad = tmp_path / "bad.csv"
    bad.write_text("year,state,score,grade,methodology,source_url,evidence\n2011,Puerto Rico,1,F,PIC,https://x,y\n")
    with pytest.raises(ValueError, match="Puerto Rico"):
        published_rows(bad)
