"""Smoke test of the benchmark at its smallest size: both engines run and agree.
No timing is asserted here; speed is measured by benchmarks/run.py (see benchmarks/RESULTS.md)."""

from __future__ import annotations

import json
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

import run as bench  # noqa: E402


def test_the_engine_and_the_pandas_baseline_give_identical_scores():
    result = bench.synthetic_benchmark(jurisdictions=40, years=4, criteria=12)
    assert result["scores_identical"] is True
    assert result["evaluations"] == 40 * 4 * 12


def test_the_pandas_facts_match_the_sql_facts_on_synthetic_law():
    staged, codes, first = bench.synthetic_law(60, 5, seed=3)
    cal = bench.calendar(first, 2025, [(8, 1)], tuple(codes))
    from pipeline.facts import state_year_facts

    sql = state_year_facts(staged, cal).set_index(["state", "year"]).sort_index()
    pdf = bench.pandas_facts(staged, cal).set_index(["state", "year"]).sort_index()
    for column in ("buyer_is_felony", "buyer_max_prison_years", "buyer_max_fine_usd", "buyer_registration_required",
                   "buyer_distinct_offense", "buyer_trafficking_law_applies", "mistake_of_age_buyer"):
        a = sql[column].astype("object").where(sql[column].notna(), None).tolist()
        b = pdf[column].astype("object").where(pdf[column].notna(), None).tolist()
        assert a == b, column
    assert sql["buyer_is_felony"].notna().any() and sql["buyer_is_felony"].isna().any()


def test_the_command_writes_the_json_keys(tmp_path):
    out = tmp_path / "r.json"
    assert bench.main(["--jurisdictions", "20", "--years", "3", "--criteria", "6", "--skip-shipped", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    for key in ("evaluations_per_second", "speedup_vs_pandas", "peak_rss_mb", "scores_identical"):
        assert key in data
