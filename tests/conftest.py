"""Shared test helpers: fixture datasets in temporary folders, CSV writers."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from pipeline.contract import load_contract

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_RAW = FIXTURES / "raw"
REPO = Path(__file__).resolve().parents[1]


def read_fixture_rows(table: str) -> list[dict]:
    path = FIXTURE_RAW / load_contract().tables[table].path
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def csv_text(table: str, rows: list[dict]) -> str:
    columns = load_contract().tables[table].column_names
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in columns})
    return buf.getvalue()


def write_table(raw_dir: Path, table: str, rows: list[dict]) -> Path:
    path = Path(raw_dir) / load_contract().tables[table].path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text(table, rows), encoding="utf-8")
    return path


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    """A copy of the fixture dataset that a test may edit."""
    target = tmp_path / "raw"
    shutil.copytree(FIXTURE_RAW, target)
    return target


@pytest.fixture
def project_dirs(tmp_path: Path, raw_dir: Path, monkeypatch) -> dict[str, Path]:
    """Raw, warehouse, exports and reports locations in a temporary folder, set in the
    environment the way a user would, with a throwaway DAGSTER_HOME."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    dirs = {
        "raw": raw_dir,
        "warehouse": tmp_path / "processed" / "csec_law.duckdb",
        "exports": tmp_path / "processed" / "exports",
        "reports": tmp_path / "reports",
        "readme": tmp_path / "README.md",
        "work": tmp_path / "processed" / "work",
        "home": home,
    }
    dirs["readme"].write_text("# Test readme\n", encoding="utf-8")
    monkeypatch.setenv("CSEC_RAW_DIR", str(dirs["raw"]))
    monkeypatch.setenv("CSEC_WAREHOUSE", str(dirs["warehouse"]))
    monkeypatch.setenv("CSEC_EXPORT_DIR", str(dirs["exports"]))
    monkeypatch.setenv("CSEC_REPORTS_DIR", str(dirs["reports"]))
    monkeypatch.setenv("CSEC_README", str(dirs["readme"]))
    monkeypatch.setenv("CSEC_WORK_DIR", str(dirs["work"]))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return dirs
