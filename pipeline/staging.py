"""Raw → staged: ingest every raw file of the contract, in dependency order.

Plain functions the Dagster assets and the tests both call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.contract import load_contract
from pipeline.ingest import REJECTED_COLUMNS, IngestResult, InputFileError, empty_rejected, ingest_table
from pipeline.scorecards import Methodology, Problem, load_methodologies
from pipeline.warehouse import TableOut, catalog_table, staged_tables

# Raw tables, in the order they must be read (felony classes first: other tables check their
# rows against the accepted classes).
STATUTE_TABLES = load_contract().statute_tables
RAW_TABLES = (*STATUTE_TABLES, "published_grades")


def ingest_raw(raw_dir: Path, table_name: str, felony_classes: IngestResult | None = None) -> IngestResult:
    """Ingest one raw file; `felony_classes` is the accepted class table, for the tables whose
    rules check rows against it."""
    classes = felony_classes.accepted if felony_classes is not None else None
    return ingest_table(Path(raw_dir), table_name, classes=classes)


def ingest_all(raw_dir: Path, file_errors: dict[str, InputFileError] | None = None) -> dict[str, IngestResult]:
    """Ingest every raw file. A file-level problem raises, unless `file_errors` is given: then
    it is recorded there and the other files are still read (the file is left out)."""
    results: dict[str, IngestResult] = {}
    for name in RAW_TABLES:
        try:
            results[name] = ingest_raw(raw_dir, name, results.get("felony_classes"))
        except InputFileError as e:
            if file_errors is None:
                raise
            file_errors[name] = e
    return results


def rejected_rows(results: list[IngestResult]) -> pd.DataFrame:
    frames = [r.rejected for r in results if len(r.rejected)]
    if not frames:
        return empty_rejected()
    return pd.concat(frames, ignore_index=True).sort_values(
        ["file", "line", "column", "rule"], na_position="first", kind="stable"
    ).reset_index(drop=True)


def ingest_summary(results: list[IngestResult]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "file": r.file,
                "table_name": f"staged_{r.table}",
                "rows_read": r.rows_read,
                "rows_accepted": len(r.accepted),
                "rows_rejected": r.rows_rejected,
            }
            for r in sorted(results, key=lambda r: r.file)
        ],
        columns=["file", "table_name", "rows_read", "rows_accepted", "rows_rejected"],
    )


def scorecard_result(methodologies: list[Methodology], problems: list[Problem], files_read: int) -> IngestResult:
    """Scorecard files as an ingest result: each accepted file is a row of `accepted`; each
    problem of a rejected file is a rejected_rows record (line = its line in the YAML)."""
    records = [
        {"file": p.file, "line": p.line or 1, "column": p.where or None, "value": None,
         "rule": "scorecard", "message": str(p), "record": json.dumps({"file": p.file})}
        for p in problems
    ]
    rejected = pd.DataFrame(records, columns=REJECTED_COLUMNS) if records else empty_rejected()
    rejected["line"] = rejected["line"].astype("Int64")
    accepted = pd.DataFrame({"file": [m.file for m in methodologies],
                             "methodology": [m.id for m in methodologies]})
    return IngestResult("scorecards", "data/raw/scorecards", files_read, accepted, rejected)


@dataclass
class Scorecards:
    """The methodologies that loaded, and the accounting of the scorecard files."""

    methodologies: list[Methodology]
    ingest: IngestResult


def ingest_scorecards(raw_dir: Path) -> Scorecards:
    folder = Path(raw_dir) / "scorecards"
    files = sorted(folder.glob("*.y*ml")) if folder.is_dir() else []
    methodologies, problems = load_methodologies(folder)
    return Scorecards(methodologies, scorecard_result(methodologies, problems, len(files)))


def staged_outputs(results: dict[str, IngestResult]) -> list[TableOut]:
    """The staged tables plus rejected_rows and ingest_summary, ready to publish."""
    outs = staged_tables({name: r.accepted for name, r in results.items() if name in RAW_TABLES})
    rs = list(results.values())
    outs.append(catalog_table("rejected_rows", rejected_rows(rs)))
    outs.append(catalog_table("ingest_summary", ingest_summary(rs)))
    return outs
