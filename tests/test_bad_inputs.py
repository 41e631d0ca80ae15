"""The bad-input corpus (tests/bad_inputs/): each case ends as its expected.yaml says.

Row-level problems: the bad rows are rejected with file, line, rule and column; every other
row is accepted and graded; accepted + rejected = read. File-level problems: the file's
ingest fails with one message naming the file. Harmless variations grade like the clean file.
"""

from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import FIXTURE_RAW
from pipeline.ingest import InputFileError
from pipeline.stages import run_stages
from pipeline.staging import ingest_all, ingest_scorecards

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and p.name[:2].isdigit())


def materialize(case: str, tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE_RAW, raw)
    for src in (CORPUS / case).rglob("*"):
        if src.is_file() and src.name != "expected.yaml":
            target = raw / src.relative_to(CORPUS / case)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, target)
    return raw


def run(raw: Path):
    """Ingest and grade like the build does; returns (ingest results, methodologies, grades)."""
    graded = run_stages(raw, last_year=2024)
    return graded.results, graded.methodologies, graded.grades


@lru_cache(maxsize=1)
def clean_grades() -> pd.DataFrame:
    return run(FIXTURE_RAW)[2]


def test_the_corpus_has_at_least_thirty_cases():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_case_ends_as_expected(case, tmp_path):
    expected = yaml.safe_load((CORPUS / case / "expected.yaml").read_text())
    raw = materialize(case, tmp_path)
    outcome = expected["outcome"]
    if outcome == "file_error":
        shown = f"data/raw/{expected['file']}"
        if expected["file"].startswith("scorecards/"):
            cards = ingest_scorecards(raw)
            messages = list(cards.ingest.rejected["message"])
            assert messages and all(m.startswith(shown) for m in messages)
            assert any(expected["error"] in m for m in messages), messages
            assert cards.methodologies == []
        else:
            with pytest.raises(InputFileError) as err:
                ingest_all(raw)
            assert str(err.value).startswith(f"{shown}: ")
            assert expected["error"] in str(err.value)
            assert "Traceback" not in str(err.value)
        return

    results, _, grades = run(raw)
    for r in results.values():
        assert len(r.accepted) + r.rows_rejected == r.rows_read
    rejected = pd.concat([r.rejected for r in results.values()], ignore_index=True)
    if outcome == "same_as_clean":
        assert rejected.empty
        pd.testing.assert_frame_equal(grades, clean_grades())
    elif outcome == "accepted":
        assert rejected.empty
        for rel, n in expected.get("rows_read", {}).items():
            assert next(r for r in results.values() if r.file == f"data/raw/{rel}").rows_read == n
        if "stored" in expected:
            stored = expected["stored"]
            frame = next(r for r in results.values() if r.file == f"data/raw/{stored['file']}").accepted
            assert stored["value"] in set(frame[stored["column"]].dropna())
    elif outcome == "rejected":
        got = {(f.removeprefix("data/raw/"), int(line), rule) for f, line, rule in
               rejected[["file", "line", "rule"]].itertuples(index=False)}
        want = {(x["file"], x["line"], x["rule"]) for x in expected["rejected"]}
        assert got == want
        for x in expected["rejected"]:
            if "column" in x:
                hit = rejected[(rejected["line"] == x["line"]) & (rejected["rule"] == x["rule"])]
                assert x["column"] in set(hit["column"])
        for message in rejected["message"]:
            assert message.startswith("data/raw/") and ":" in message
        if "message" in expected:
            assert any(expected["message"] in m for m in rejected["message"])
        # the good rows are still graded: fixture states keep a letter in 2013
        graded = grades[(grades["year"] == 2013) & grades["grade"].notna()]
        assert len(graded) >= 2
    else:
        raise AssertionError(f"unknown outcome {outcome!r} in {case}")


def test_a_million_row_file_is_ingested_with_its_bad_rows_rejected(tmp_path):
    """10^6 rows: disjoint one-day versions across many states and scopes, one bad row in 100,000."""
    import numpy as np

    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE_RAW, raw)
    n = 1_000_000
    states = np.array(["AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL"])
    scopes = np.array(["buyer", "trafficking", "all"])
    i = np.arange(n)
    day = pd.Timestamp("1990-01-01") + pd.to_timedelta(i // 30, "D")
    frame = pd.DataFrame({
        "state": states[i % 10], "scope": scopes[(i // 10) % 3], "defense": "prohibited",
        "citation": "Gen. § 1", "source_url": "https://example.org/x", "source_kind": "secondary",
        "verified": "false", "excerpt": "not a defense", "effective_from": day.strftime("%Y-%m-%d"),
        "effective_from_basis": "known_since", "effective_to": (day + pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
        "note": "",
    })
    bad = i[i % 100_000 == 99_999]
    frame.loc[bad, "state"] = "XX"
    frame.to_csv(raw / "statutes" / "mistake_of_age.csv", index=False)
    result = ingest_all(raw)["mistake_of_age"]
    assert result.rows_read == n
    assert result.rows_rejected == len(bad) == 10
    assert len(result.accepted) == n - len(bad)
    assert sorted(result.rejected["line"].tolist()) == [int(b) + 2 for b in bad]
