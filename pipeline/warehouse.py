"""Write the warehouse: a DuckDB file built in a staging file and published by atomic rename.

A researcher may hold the published file open (read-only) at any time: the build never opens
it, and `os.replace` swaps the directory entry in one step, so readers keep the old build
until they reconnect and never see half of a new one.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from pipeline.contract import Table, load_contract

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")
SQL_TYPES = {
    "text": "VARCHAR", "state": "VARCHAR", "enum": "VARCHAR", "url": "VARCHAR",
    "date": "DATE", "number": "DOUBLE", "integer": "INTEGER", "bool": "BOOLEAN",
}
FORMULA_PREFIXES = ("=", "+", "-", "@")


@dataclass
class TableOut:
    """A table to publish: its rows, its grain and what each column means."""

    name: str
    frame: pd.DataFrame
    grain: str
    description: str = ""
    column_types: dict[str, str] = field(default_factory=dict)
    column_comments: dict[str, str] = field(default_factory=dict)
    export: bool = True

    @property
    def comment(self) -> str:
        return f"Grain: {self.grain}. {self.description}".strip()


@lru_cache(maxsize=1)
def load_catalog() -> dict:
    with CATALOG_PATH.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def catalog_description(name: str, extra: str = "") -> str:
    """An asset description from the catalog: its grain first, then what it holds."""
    entry = load_catalog()[name]
    return f"Grain: {entry['grain']}. {' '.join(entry.get('description', '').split())} {extra}".strip()


def catalog_table(name: str, frame: pd.DataFrame, extra_comments: dict[str, str] | None = None,
                  **kw) -> TableOut:
    entry = load_catalog()[name]
    return TableOut(
        name=name,
        frame=frame,
        grain=entry["grain"],
        description=" ".join(entry.get("description", "").split()),
        column_comments=entry.get("columns", {}) | (extra_comments or {}),
        **kw,
    )


def staged_table(table: Table, frame: pd.DataFrame) -> TableOut:
    """The staged table for one raw file: the contract's columns, typed, plus provenance."""
    types = {"source_file": "VARCHAR", "source_line": "INTEGER"}
    types |= {c.name: SQL_TYPES[c.type] for c in table.columns}
    comments = {
        "source_file": "The raw file the row came from.",
        "source_line": "The line of the raw file the row starts on (header = line 1).",
    } | {c.name: c.description for c in table.columns}
    return TableOut(
        name=f"staged_{table.name}",
        frame=frame,
        grain=table.grain,
        description=table.description,
        column_types=types,
        column_comments=comments,
    )


def staged_tables(frames: dict[str, pd.DataFrame]) -> list[TableOut]:
    contract = load_contract()
    return [staged_table(contract.tables[name], frame) for name, frame in frames.items()]


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _write_table(con: duckdb.DuckDBPyConnection, t: TableOut) -> None:
    con.register("_incoming", t.frame)
    try:
        cols = list(t.frame.columns)
        inferred = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE _incoming)").fetchall())
        # A column with no values has no type to infer: such columns hold text here.
        types = {c: "VARCHAR" for c, kind in inferred.items() if kind == '"NULL"' or kind == "NULL"}
        types |= t.column_types
        select = ", ".join(
            f"CAST({_q(c)} AS {types[c]}) AS {_q(c)}" if c in types else _q(c) for c in cols
        )
        con.execute(f"CREATE OR REPLACE TABLE {_q(t.name)} AS SELECT {select} FROM _incoming")
    finally:
        con.unregister("_incoming")
    # COMMENT ON takes no parameters: the text is quoted here (it comes from our own YAML).
    con.execute(f"COMMENT ON TABLE {_q(t.name)} IS {_literal(t.comment)}")
    for c in t.frame.columns:
        text = t.column_comments.get(c)
        if text:
            con.execute(f"COMMENT ON COLUMN {_q(t.name)}.{_q(c)} IS {_literal(' '.join(text.split()))}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_tables(con: duckdb.DuckDBPyConnection, tables: list[TableOut],
                 views: dict[str, tuple[str, str]] | None = None) -> None:
    """Create (or replace) `tables` and `views` ({name: (sql, comment)}) on a connection."""
    for t in sorted(tables, key=lambda t: t.name):
        _write_table(con, t)
    for name, (sql, comment) in sorted((views or {}).items()):
        con.execute(f"CREATE OR REPLACE VIEW {_q(name)} AS {sql}")
        con.execute(f"COMMENT ON VIEW {_q(name)} IS {_literal(comment)}")


def build_database(path: Path, tables: list[TableOut], views: dict[str, tuple[str, str]] | None = None) -> None:
    """Create a fresh DuckDB file at `path` holding `tables` and `views`."""
    path = Path(path)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        write_tables(con, tables, views)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def publish_to_connection(con: duckdb.DuckDBPyConnection, tables: list[TableOut], views=None) -> None:
    """Publish into a shared database (e.g. MotherDuck) in one transaction: readers see the
    old tables until COMMIT and the new ones after, never a mix."""
    con.execute("BEGIN TRANSACTION")
    try:
        write_tables(con, tables, views)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def publish_warehouse(location: str, tables: list[TableOut], views=None) -> str:
    """Publish to a DuckDB file (staging file + atomic rename) or, for an `md:` DSN, to a
    MotherDuck database in one transaction. The location comes from configuration."""
    if str(location).startswith("md:"):
        con = duckdb.connect(str(location))
        try:
            publish_to_connection(con, tables, views)
        finally:
            con.close()
        return str(location)
    return str(publish_database(Path(location), tables, views))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_file(staging: Path, target: Path) -> None:
    """Atomically put `staging` at `target` (same directory, so one rename)."""
    _fsync(staging)
    os.replace(staging, target)
    _fsync(target.parent)


def staging_path(target: Path, suffix: str = "") -> Path:
    """A fresh staging file beside `target`, named for this process so a later run can tell
    leftovers of a killed run from a run still in progress."""
    return target.with_name(f".staging-{os.getpid()}-{uuid.uuid4().hex}{suffix or target.suffix}")


def remove_stale_staging(directory: Path) -> list[Path]:
    """Delete staging files left by processes that no longer run (e.g. a killed build)."""
    removed = []
    for path in Path(directory).glob(".staging-*"):
        try:
            pid = int(path.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not _alive(pid):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def publish_database(target: Path, tables: list[TableOut], views=None) -> Path:
    """Build the warehouse beside `target` and swap it in. Returns the published path."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(target.parent)
    staging = staging_path(target)
    try:
        build_database(staging, tables, views)
        publish_file(staging, target)
    finally:
        staging.unlink(missing_ok=True)
        staging.with_name(staging.name + ".wal").unlink(missing_ok=True)
    return target


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet would run as a formula get a leading apostrophe."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype) in ("string", "str"):
            s = out[c].astype("string")
            risky = s.str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
            if risky.any():
                out[c] = s.where(~risky, "'" + s)
    return out


def export_tables(directory: Path, tables: list[TableOut]) -> list[Path]:
    """Parquet and CSV copies of each exported table, each file swapped in atomically."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(directory)
    written = []
    con = duckdb.connect()
    try:
        for t in sorted(tables, key=lambda t: t.name):
            if not t.export:
                continue
            for ext in ("parquet", "csv"):
                target = directory / f"{t.name}.{ext}"
                staging = staging_path(target, f".{ext}")
                frame = t.frame if ext == "parquet" else neutralize_formulas(t.frame)
                con.register("_out", frame)
                try:
                    fmt = "(FORMAT parquet)" if ext == "parquet" else "(FORMAT csv, HEADER true)"
                    con.execute(f"COPY (SELECT * FROM _out) TO {_literal(str(staging))} {fmt}")
                finally:
                    con.unregister("_out")
                publish_file(staging, target)
                written.append(target)
    finally:
        con.close()
    return written
