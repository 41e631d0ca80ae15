"""Safety of outputs: killed publishes, determinism, CSV formula cells, fuzzed input rows."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from pipeline.cli import main as cli_main
from pipeline.contract import load_contract
from pipeline.ingest import InputFileError, ingest_table
from pipeline.warehouse import TableOut, export_tables, neutralize_formulas, publish_database


def small_table(n: int) -> TableOut:
    return TableOut(name="t", frame=pd.DataFrame({"x": range(n)}), grain="one row per x")


def test_killing_a_publish_leaves_the_last_build_and_the_next_run_succeeds(tmp_path):
    target = tmp_path / "w.duckdb"
    publish_database(target, [small_table(3)])
    script = textwrap.dedent(f"""
        import pandas as pd, numpy as np
        from pipeline.warehouse import TableOut, publish_database
        n = 20_000_000
        frame = pd.DataFrame({{"x": np.arange(n), "y": np.random.default_rng(0).random(n)}})
        publish_database({str(target)!r}, [TableOut("t", frame, "one row per x")])
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    try:
        deadline = time.time() + 120
        while not list(tmp_path.glob(".staging-*")):
            assert proc.poll() is None, "the publish finished before it could be killed"
            assert time.time() < deadline
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert list(tmp_path.glob(".staging-*")), "the killed run left its staging file"
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 3
    publish_database(target, [small_table(5)])
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 5
    assert not list(tmp_path.glob(".staging-*")), "the next run cleared the leftovers"


def test_two_builds_of_the_same_inputs_give_identical_tables_and_exports(project_dirs, tmp_path):
    assert cli_main(["build", "--no-reports"]) == 0
    first = {p.name: p.read_bytes() for p in project_dirs["exports"].iterdir()}
    with duckdb.connect(str(project_dirs["warehouse"]), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        before = {n: con.execute(f'SELECT * FROM "{n}"').df() for n in names}
    assert cli_main(["build", "--no-reports"]) == 0
    second = {p.name: p.read_bytes() for p in project_dirs["exports"].iterdir()}
    assert first.keys() == second.keys()
    assert [n for n in first if first[n] != second[n]] == []
    with duckdb.connect(str(project_dirs["warehouse"]), read_only=True) as con:
        for n in names:
            pd.testing.assert_frame_equal(con.execute(f'SELECT * FROM "{n}"').df(), before[n])


def test_a_broken_methodology_fails_the_build_and_keeps_the_last_warehouse(project_dirs, capsys):
    assert cli_main(["build", "--no-reports"]) == 0
    before = project_dirs["warehouse"].read_bytes()
    card = project_dirs["raw"] / "scorecards" / "fixture_card.yaml"
    card.write_text(card.read_text().replace("rule: buyer_is_felony", "rule: buyer_is_felony; DROP TABLE x"))
    assert cli_main(["build", "--no-reports"]) == 1
    err = capsys.readouterr().err
    assert "data/raw/scorecards/fixture_card.yaml:15: sections[0].criteria[0].rule" in err
    assert "unexpected character ';'" in err and "Traceback" not in err
    assert project_dirs["warehouse"].read_bytes() == before


def test_exported_csv_cells_that_a_spreadsheet_would_run_are_neutralized(tmp_path):
    frame = pd.DataFrame({"text": ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "plain", None], "n": [-1, 2, 3, 4, 5, 6]})
    export_tables(tmp_path, [TableOut("t", frame, "one row per text")])
    rows = list(csv.reader(io.StringIO((tmp_path / "t.csv").read_text())))
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "plain", ""]
    assert [r[1] for r in rows[1:]] == ["-1", "2", "3", "4", "5", "6"], "numbers are left alone"
    parquet = pd.read_parquet(tmp_path / "t.parquet")
    assert parquet["text"].tolist()[:2] == ["=1+1", "+cmd"], "Parquet keeps the exact values"
    assert neutralize_formulas(frame)["text"].iloc[4] == "plain"


CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["TX", "tx", "", " ", "2020-01-01", "2020-02-30", "10", "-1", "1e9", "true", "maybe",
                     "=A1", "<script>", "Class C felony", "https://x.example", "felony", "all", "buyer",
                     "prohibited", "known_since", "statute_text", '"', ",", "\n"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELL, min_size=10, max_size=14), max_size=8))
def test_fuzzed_rows_are_accepted_or_rejected_never_crash(raw_dir, cells):
    header = load_contract().tables["mistake_of_age"].column_names
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(cells)
    (raw_dir / "statutes" / "mistake_of_age.csv").write_text(buf.getvalue(), encoding="utf-8")
    try:
        result = ingest_table(raw_dir, "mistake_of_age")
    except InputFileError:
        return
    assert len(result.accepted) + result.rows_rejected == result.rows_read
    assert result.rejected["message"].str.startswith("data/raw/statutes/mistake_of_age.csv:").all()


def test_publishing_to_a_shared_database_swaps_tables_in_one_transaction(tmp_path):
    from pipeline.warehouse import publish_to_connection

    path = tmp_path / "shared.duckdb"
    with duckdb.connect(str(path)) as con:
        publish_to_connection(con, [small_table(3)])
        assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 3
        broken = TableOut("u", pd.DataFrame({"x": [1]}), "g", column_types={"x": "NOT_A_TYPE"})
        with pytest.raises(duckdb.Error):
            publish_to_connection(con, [small_table(7), broken])
        assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 3, "a failed publish changes nothing"
        publish_to_connection(con, [small_table(7)])
        assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 7
