"""Operating the pipeline in Dagster: partitions, sensor, schedule, checks, one-state rebuilds."""

from __future__ import annotations

import json

import dagster as dg
import duckdb
import pandas as pd

from conftest import read_fixture_rows, write_table
from pipeline.cli import main as cli_main
from pipeline.definitions import build_definitions, defs, execute_build
from pipeline.defs.automation import fingerprint, plan_runs
from pipeline.defs.resources import ProjectPaths
from pipeline.jurisdictions import USPS_CODES


def test_state_partitions_sensor_schedule_and_checks_exist():
    graph = defs.resolve_asset_graph()
    facts = graph.get(dg.AssetKey("state_year_facts"))
    assert facts.partitions_def.get_partition_keys() == list(USPS_CODES)
    assert len(USPS_CODES) == 51
    assert defs.resolve_sensor_def("raw_data_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    schedule = defs.resolve_schedule_def("weekly_full_rebuild")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    for expected in [("raw_felony_classes", "rows_accounted_for"), ("raw_buyer_offenses", "no_overlapping_versions"),
                     ("raw_mistake_of_age", "excerpts_agree"), ("state_grades", "grade_bounds"),
                     ("coverage", "coverage_threshold"), ("published_comparison", "published_drift"),
                     ("raw_scorecards", "rows_accounted_for")]:
        assert expected in checks
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name in {"raw", "facts", "graded", "published"}
        assert "Grain: " in (node.description or ""), key.to_user_string()


def test_one_state_partition_rebuilds_that_state_and_leaves_the_others(project_dirs):
    assert cli_main(["build", "--no-reports"]) == 0
    with duckdb.connect(str(project_dirs["warehouse"]), read_only=True) as con:
        before = con.execute("SELECT * FROM criterion_scores ORDER BY ALL").df()
        ak_before = con.execute("SELECT score FROM state_grades WHERE state='AK' AND year=2020").fetchone()[0]
    # Alaska's class C becomes a 10-year felony in the raw data.
    rows = read_fixture_rows("felony_classes")
    for r in rows:
        if r["state"] == "AK":
            r.update(max_prison_years="10", excerpt="up to ten years and a fine of up to $50,000")
    write_table(project_dirs["raw"], "felony_classes", rows)
    # Texas also changes on disk, but only the AK partition is materialized.
    tx = read_fixture_rows("mistake_of_age")
    for r in tx:
        if r["state"] == "TX":
            r["defense"] = "allowed"
            r["excerpt"] = "the actor's belief is a defense"
    write_table(project_dirs["raw"], "mistake_of_age", tx)
    assert cli_main(["build", "--no-reports", "--state", "AK"]) == 0
    with duckdb.connect(str(project_dirs["warehouse"]), read_only=True) as con:
        after = con.execute("SELECT * FROM criterion_scores ORDER BY ALL").df()
        ak_after = con.execute("SELECT score FROM state_grades WHERE state='AK' AND year=2020").fetchone()[0]
    assert ak_after == ak_before + 2  # prison tier: 10 years >= 8 → half of 4 points
    others_before = before[before["state"] != "AK"].reset_index(drop=True)
    others_after = after[after["state"] != "AK"].reset_index(drop=True)
    pd.testing.assert_frame_equal(others_before, others_after)  # TX untouched although its file changed


def test_cli_refuses_an_unknown_state(capsys):
    assert cli_main(["build", "--state", "ZZ"]) == 2
    assert "not a USPS code" in capsys.readouterr().err


def sensor_result(raw_dir, cursor=None):
    sensor = defs.resolve_sensor_def("raw_data_sensor")
    paths = ProjectPaths(raw_dir=str(raw_dir), warehouse="w", export_dir="e", reports_dir="r", readme="x", work_dir="w")
    with dg.build_sensor_context(cursor=cursor, resources={"paths": paths}) as ctx:
        result = sensor(ctx)
        return result, ctx.cursor


def test_sensor_requests_a_run_for_a_changed_state_and_nothing_for_an_unchanged_tree(raw_dir):
    first, cursor = sensor_result(raw_dir)
    assert [r.tags for r in first] and first[0].tags["dagster/asset_partition_range_start"] == USPS_CODES[0]
    unchanged, cursor2 = sensor_result(raw_dir, cursor)
    assert isinstance(unchanged, dg.SkipReason)
    assert cursor2 == cursor
    rows = read_fixture_rows("mistake_of_age")
    rows[0]["excerpt"] = "regardless of whether the actor knows the age (edited)"
    write_table(raw_dir, "mistake_of_age", rows)
    changed, _ = sensor_result(raw_dir, cursor)
    assert [r.partition_key for r in changed] == ["TX"]


def test_plan_runs_escalates_to_a_full_build_for_methodologies_and_many_states(raw_dir):
    old = fingerprint(raw_dir)
    card = raw_dir / "scorecards" / "fixture_card.yaml"
    card.write_text(card.read_text() + "\n# comment\n")
    assert plan_runs(old, fingerprint(raw_dir)).full
    new = json.loads(json.dumps(old))
    new["reference/published_grades.csv"] = {"*": "changed"}
    plan = plan_runs(old, new)
    assert plan.published_only and not plan.full and not plan.states
    many = json.loads(json.dumps(old))
    many["statutes/buyer_offenses.csv"] = {s: "x" for s in USPS_CODES[:10]}
    assert plan_runs(old, many).full


def test_the_warehouse_location_comes_from_the_environment(project_dirs, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere" / "grades.duckdb"
    monkeypatch.setenv("CSEC_WAREHOUSE", str(elsewhere))
    result = execute_build(build_definitions(), reports=False)
    assert result.success
    assert elsewhere.exists() and not project_dirs["warehouse"].exists()


def test_raw_checks_report_rejections_and_contradicting_excerpts(project_dirs):
    rows = read_fixture_rows("felony_classes")
    rows[0]["max_fine_usd"] = "$10,000"  # rejected: not a number
    rows[1]["excerpt"] = "is a Class Q felony"  # accepted, but the excerpt names another class
    write_table(project_dirs["raw"], "felony_classes", rows)
    result = execute_build(build_definitions(), reports=False)
    assert result.success, "warnings do not stop the build"
    evaluations = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    fc = {name: evaluations[("raw_felony_classes", name)] for name in
          ("rows_accounted_for", "no_rejected_rows", "excerpts_agree", "no_overlapping_versions")}
    assert fc["rows_accounted_for"].passed and fc["no_overlapping_versions"].passed
    assert not fc["no_rejected_rows"].passed and fc["no_rejected_rows"].severity == dg.AssetCheckSeverity.WARN
    assert fc["no_rejected_rows"].metadata["rows_rejected"].value == 1
    assert not fc["excerpts_agree"].passed and fc["excerpts_agree"].metadata["contradictions"].value == 1
    clean = [e for (asset, _), e in evaluations.items() if asset != "raw_felony_classes" and asset.startswith("raw_")]
    assert clean and all(e.passed for e in clean)
