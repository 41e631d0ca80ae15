"""The whole pipeline on the fixture dataset, through Dagster, in a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import dagster as dg
import duckdb
import pytest

from conftest import REPO, read_fixture_rows, write_table
from pipeline.cli import main as cli_main
from pipeline.definitions import execute_build


def run_build(dirs) -> dg.ExecuteInProcessResult:
    from pipeline.definitions import build_definitions
    from pipeline.defs.resources import ProjectPaths

    return execute_build(build_definitions(ProjectPaths.from_settings()), reports=False)


def tables(path) -> dict[str, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return dict(con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall())


def test_definitions_load_with_assets_checks_and_job():
    from pipeline.definitions import defs

    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw_felony_classes", "raw_buyer_offenses", "raw_mistake_of_age",
            "raw_published_grades", "warehouse"} <= keys
    checks = {k.name for k in defs.resolve_asset_graph().asset_check_keys}
    assert "rows_accounted_for" in checks
    assert defs.resolve_job_def("build_everything") is not None


def test_full_build_publishes_staged_tables_rejections_and_exports(project_dirs):
    rows = read_fixture_rows("felony_classes")
    rows.append(dict(rows[0], state="XX"))
    write_table(project_dirs["raw"], "felony_classes", rows)
    result = run_build(project_dirs)
    assert result.success
    found = tables(project_dirs["warehouse"])
    assert {"staged_felony_classes", "staged_buyer_offenses", "staged_mistake_of_age",
            "staged_published_grades", "rejected_rows", "ingest_summary"} <= set(found)
    assert all(comment and comment.startswith("Grain: ") for comment in found.values())
    with duckdb.connect(str(project_dirs["warehouse"]), read_only=True) as con:
        rejected = con.execute("SELECT file, line, rule FROM rejected_rows").fetchall()
        assert rejected == [("data/raw/statutes/felony_classes.csv", len(rows) + 1, "state")]
        staged = con.execute("SELECT count(*) FROM staged_felony_classes").fetchone()[0]
        assert staged == len(rows) - 1
        uncommented = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE comment IS NULL AND NOT internal AND schema_name = 'main'"
        ).fetchall()
        assert uncommented == []
    exported = {p.name for p in project_dirs["exports"].iterdir()}
    assert {"rejected_rows.csv", "rejected_rows.parquet", "staged_felony_classes.parquet"} <= exported
    assert not [p for p in project_dirs["warehouse"].parent.iterdir() if p.name.startswith(".staging")]


def test_a_file_level_error_fails_the_build_and_keeps_the_last_warehouse(project_dirs, capsys):
    assert cli_main(["build", "--no-reports"]) == 0
    before = project_dirs["warehouse"].read_bytes()
    (project_dirs["raw"] / "statutes" / "mistake_of_age.csv").write_text("state;scope;defense\n")
    assert cli_main(["build", "--no-reports"]) == 1
    err = capsys.readouterr().err
    assert "data/raw/statutes/mistake_of_age.csv: the header is one column separated by semicolons" in err
    assert "Traceback" not in err
    assert project_dirs["warehouse"].read_bytes() == before


def test_build_succeeds_while_a_reader_holds_the_published_file_open(project_dirs):
    assert run_build(project_dirs).success
    path = project_dirs["warehouse"]
    reader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys
            con = duckdb.connect({str(path)!r}, read_only=True)
            n = con.execute("SELECT count(*) FROM staged_felony_classes").fetchone()[0]
            print(n, flush=True)
            sys.stdin.readline()
            print(con.execute("SELECT count(*) FROM staged_felony_classes").fetchone()[0], flush=True)
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        old_count = int(reader.stdout.readline())
        rows = read_fixture_rows("felony_classes")
        write_table(project_dirs["raw"], "felony_classes", rows[:-1])
        assert run_build(project_dirs).success
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert int(reader.stdout.readline()) == old_count, "the reader still sees the whole old build"
    finally:
        reader.kill()
        reader.wait()
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM staged_felony_classes").fetchone()[0] == old_count - 1


def test_cli_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        cli_main(["--help"])
    out = capsys.readouterr().out
    for command in ("build", "validate", "paths"):
        assert command in out


def test_dg_check_defs_passes():
    env = dict(os.environ, DAGSTER_HOME=str(REPO))
    dg_bin = os.path.join(os.path.dirname(sys.executable), "dg")
    done = subprocess.run([dg_bin, "check", "defs"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_validate_lists_rejections_and_reads_past_a_broken_file(project_dirs, capsys):
    assert cli_main(["validate"]) == 0
    rows = read_fixture_rows("buyer_offenses")
    rows[0]["victim_age_from"] = "eighteen"
    write_table(project_dirs["raw"], "buyer_offenses", rows)
    assert cli_main(["validate"]) == 0, "rejected rows are reported, not fatal"
    assert cli_main(["validate", "--strict"]) == 1
    out = capsys.readouterr().out
    assert "data/raw/statutes/buyer_offenses.csv:2: column victim_age_from = 'eighteen'" in out
    (project_dirs["raw"] / "statutes" / "mistake_of_age.csv").write_text("state;scope\nTX;all\n", encoding="utf-8")
    assert cli_main(["validate"]) == 1
    captured = capsys.readouterr()
    assert "ERROR" in captured.err and "mistake_of_age.csv" in captured.err
    assert "data/raw/reference/published_grades.csv:" in captured.out, "the files after it are still read"
