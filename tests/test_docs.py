"""Documentation is a contract: the README's commands, queries and tables, and the codebook,
must match what the code does."""

from __future__ import annotations

import re
import shutil

import duckdb
import pandas as pd
import pytest

from conftest import REPO
from pipeline.contract import load_contract
from pipeline.definitions import build_definitions, execute_build
from pipeline.defs.resources import ProjectPaths
from pipeline.docs import COVERAGE_END, COVERAGE_START, coverage_summary, load_research_index, render_codebook
from pipeline.facts import coverage
from pipeline.stages import run_stages
from pipeline.staging import STATUTE_TABLES, ingest_all

README = (REPO / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\s*$", README, re.M)
    assert m, f"README has no '## {title}' section"
    rest = README[m.end():]
    nxt = re.search(r"^## ", rest, re.M)
    return rest[: nxt.start()] if nxt else rest


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_second():
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", section("Quick start"), re.S)
    assert len(blocks) == 2
    build, tests = (b.strip() for b in blocks)
    assert "pip install -e ." in build and "csec-grades build" in build and "DAGSTER_HOME=$PWD" in build
    assert "'.[test]'" in tests and "pytest" in tests
    assert tests in (REPO / ".ci" / "run").read_text()


@pytest.fixture(scope="module")
def shipped_warehouse(tmp_path_factory):
    """The pipeline run on the shipped data, in a temporary folder."""
    tmp = tmp_path_factory.mktemp("shipped")
    raw = tmp / "raw"
    shutil.copytree(REPO / "data" / "raw", raw)
    home = tmp / "home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home)
    (tmp / "README.md").write_text(README)
    paths = ProjectPaths(raw_dir=str(raw), warehouse=str(tmp / "w.duckdb"), export_dir=str(tmp / "exports"),
                         reports_dir=str(tmp / "reports"), readme=str(tmp / "README.md"),
                         work_dir=str(tmp / "work"))
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(home))
    try:
        result = execute_build(build_definitions(paths), reports=False)
    finally:
        mp.undo()
    assert result.success
    return tmp / "w.duckdb"


def test_every_readme_query_runs_on_the_built_warehouse(shipped_warehouse):
    queries = re.findall(r"```sql\n(.*?)```", README, re.S)
    assert len(queries) >= 6
    with duckdb.connect(str(shipped_warehouse), read_only=True) as con:
        for sql in queries:
            con.execute(sql).fetchall()


def test_every_warehouse_table_is_documented_in_the_readme(shipped_warehouse):
    with duckdb.connect(str(shipped_warehouse), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    missing = [n for n in names if f"`{n}`" not in README]
    assert missing == []


def test_the_shipped_data_loads_without_rejections(shipped_warehouse):
    with duckdb.connect(str(shipped_warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM rejected_rows").fetchone()[0] == 0
        years = con.execute("SELECT min(year), count(DISTINCT state) FROM state_grades").fetchone()
    assert years == (2011, 51)


def shipped_coverage(year: int):
    return coverage(run_stages(REPO / "data" / "raw", last_year=year).facts)


def test_the_codebook_and_readme_coverage_match_the_data():
    committed = (REPO / "data" / "raw" / "CODEBOOK.md").read_text(encoding="utf-8")
    year = int(re.search(r"^## Not coded in (\d{4})$", committed, re.M).group(1))
    cov = shipped_coverage(year)
    assert render_codebook(cov, load_research_index(REPO / "data" / "raw")) == committed, (
        "data/raw/CODEBOOK.md is stale: run `csec-grades build`")
    block = README.split(COVERAGE_START, 1)[1].split(COVERAGE_END, 1)[0].strip()
    assert block == coverage_summary(cov), "README coverage is stale: run `csec-grades build`"


def test_the_codebook_documents_every_contract_column():
    committed = (REPO / "data" / "raw" / "CODEBOOK.md").read_text(encoding="utf-8")
    for table in load_contract().tables.values():
        assert f"### `data/raw/{table.path}`" in committed
        for column in table.columns:
            assert f"| `{column.name}` |" in committed


def test_every_statute_row_is_cited_and_dated():
    results = ingest_all(REPO / "data" / "raw")
    for name in STATUTE_TABLES:
        frame = results[name].accepted
        assert len(frame) > 0
        assert frame["citation"].notna().all() and frame["source_url"].str.match(r"https?://").all()
        assert frame["effective_from"].notna().all() and frame["excerpt"].notna().all()


def test_coverage_summary_counts_coded_jurisdictions_per_year():
    rows = [(s, t, y, st) for t in ("felony_classes", "buyer_offenses", "mistake_of_age")
            for y in range(2011, 2016)
            for s, st in (("AL", "verified" if y >= 2013 else "not_coded"),
                          ("AK", "coded" if t == "felony_classes" else "not_coded"))]
    cov = pd.DataFrame(rows, columns=["state", "topic", "year", "status"])
    text = coverage_summary(cov)
    assert "| topic | 2011 | 2014 | 2015 |" in text
    assert "| felony_classes | 1 | 2 | 2 |" in text
    assert "| buyer_offenses | 0 | 1 | 1 |" in text
    assert "| felony_classes | 1 | 1 | 0 |" in text  # 2015: one verified, one coded


def test_the_research_log_index_names_existing_logs_and_real_jurisdictions():
    from pipeline.jurisdictions import USPS_CODES

    raw = REPO / "data" / "raw"
    index = load_research_index(raw)
    assert index, "data/raw/research_log/index.yaml is empty"
    for name, states in index.items():
        assert (raw / "research_log" / name).is_file(), f"index.yaml names a missing log: {name}"
        unknown = set(states) - set(USPS_CODES)
        assert not unknown, f"{name}: not USPS codes: {sorted(unknown)}"
    logs = {p.name for p in (raw / "research_log").glob("*.md")}
    assert logs <= set(index), f"logs the codebook never links: {sorted(logs - set(index))}"
