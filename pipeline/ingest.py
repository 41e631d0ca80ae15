"""Read a raw CSV file, validate it against the contract, split good rows from bad.

File-level problems (unreadable, not UTF-8, wrong delimiter, missing or unknown columns)
raise InputFileError with one clear message. Row-level problems never stop good rows: each
becomes a rejected_rows record naming file, line, column, value, rule and how to fix it.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from pipeline.contract import Contract, Table, load_contract
from pipeline.jurisdictions import USPS_CODES
from pipeline.schemas import (
    RULE_COLUMNS,
    build_schema,
    overlapping_pairs,
    parse_bools,
    parse_dates,
    parse_numbers,
)

REJECTED_COLUMNS = ["file", "line", "column", "value", "rule", "message", "record"]
MAX_FILE_BYTES = 512 * 1024 * 1024
_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "pipes"}
csv.field_size_limit(16 * 1024 * 1024)


class InputFileError(Exception):
    """A whole file cannot be read as the contract says; nothing of it is ingested."""

    def __init__(self, path: str, problem: str, fix: str):
        self.path, self.problem, self.fix = path, problem, fix
        super().__init__(f"{path}: {problem}. {fix}")


@dataclass
class IngestResult:
    table: str
    file: str
    rows_read: int
    accepted: pd.DataFrame
    rejected: pd.DataFrame

    @property
    def rows_rejected(self) -> int:
        """Input units rejected: rows of a CSV (one per line), whole files of a folder."""
        if not len(self.rejected):
            return 0
        return int(self.rejected[["file", "line"] if self.file.endswith(".csv") else ["file"]]
                   .drop_duplicates().shape[0])


# --- reading ---------------------------------------------------------------------------------

def _decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputFileError(
            shown,
            f"line {line} is not UTF-8 text (byte 0x{data[e.start]:02X})",
            "Save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8').",
        ) from None


def _check_header(header: list[str], table: Table, shown: str) -> list[str]:
    names = [h.strip() for h in header]
    if len(names) == 1:
        for sep, word in _DELIMITERS.items():
            if sep in names[0]:
                raise InputFileError(
                    shown,
                    f"the header is one column separated by {word}",
                    "Separate columns with commas (save as 'CSV', comma-delimited).",
                )
    known = table.column_names
    unknown = [n for n in names if n not in known]
    if unknown:
        hints = []
        for n in unknown:
            close = difflib.get_close_matches(n.lower(), known, n=1)
            hints.append(f"'{n}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise InputFileError(
            shown,
            "unknown column " + ", ".join(hints),
            f"The columns are: {', '.join(known)}. See data/raw/CODEBOOK.md.",
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputFileError(shown, f"column {', '.join(repeated)} appears twice", "Keep one.")
    missing = [c.name for c in table.columns if c.required and c.name not in names]
    if missing:
        raise InputFileError(
            shown,
            f"missing required column {', '.join(missing)}",
            "Add the column to the header row (see data/raw/CODEBOOK.md).",
        )
    return names


def read_rows(path: Path, table: Table, shown: str) -> tuple[pd.DataFrame, list[dict]]:
    """The file's data rows as trimmed strings (blank → missing) with their line numbers,
    plus rejections for rows whose field count does not match the header."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputFileError(shown, f"the file is {size} bytes", "Split it; the limit is 512 MiB.")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(shown, "the file does not exist", "Create it (see data/raw/CODEBOOK.md).") from None
    except OSError as e:
        raise InputFileError(shown, f"the file cannot be read ({e.strerror})", "Check its permissions.") from None
    text = _decode(data, shown)
    if not text.strip():
        raise InputFileError(shown, "the file is empty", "It needs at least the header row.")
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    header = _check_header(next(reader), table, shown)
    rows, lines, bad = [], [], []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise InputFileError(shown, f"line {start} cannot be parsed as CSV ({e})", "Check its quotes.") from None
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            end = reader.line_num
            span = f"; it runs from line {start} to {end}: check for an unclosed quote" if end > start else ""
            bad.append(
                _rejection(
                    shown, start, None, f"{len(cells)} fields", "field_count",
                    f"{shown}:{start}: row: the row has {len(cells)} fields but the header has {len(header)}; "
                    f"quote values that contain commas{span}",
                    dict(zip(header, cells)) | ({"_extra": cells[len(header):]} if len(cells) > len(header) else {}),
                )
            )
            continue
        rows.append(cells)
        lines.append(start)
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    for c in table.column_names:
        if c not in frame.columns:
            frame[c] = None
    frame = frame[table.column_names]
    frame = frame.apply(lambda s: s.str.strip().replace("", None) if len(s) else s)
    frame = frame.astype(object).where(frame.notna(), None)
    frame.index = pd.Index(lines, name="line")
    return frame, bad


# --- validating ------------------------------------------------------------------------------

def _rejection(file, line, column, value, rule, message, record) -> dict:
    return {
        "file": file,
        "line": int(line),
        "column": column,
        "value": None if value is None else str(value),
        "rule": rule,
        "message": message,
        "record": json.dumps(record, ensure_ascii=False, default=str),
    }


def _describe(value) -> str:
    if value is None:
        return "(blank)"
    text = str(value)
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _failures(err: pa.errors.SchemaErrors) -> pd.DataFrame:
    fc = err.failure_cases
    fc = fc[fc["index"].notna()].copy()
    # Row rules are reported once per column by pandera: keep one, on the rule's own column.
    frame_level = fc["schema_context"] == "DataFrameSchema"
    fc.loc[frame_level, "column"] = fc.loc[frame_level, "check"].map(RULE_COLUMNS)
    fc = fc.drop_duplicates(subset=["index", "check", "column"])
    fc["check"] = fc["check"].astype(str).str.replace(r"^not_nullable$", "required", regex=True)
    return fc


def validate(frame: pd.DataFrame, table: Table, shown: str, contract: Contract,
             classes: pd.DataFrame | None = None) -> tuple[pd.Index, list[dict]]:
    """Lines that pass every rule, and one rejection per (line, rule, column) that fails."""
    positional = frame.reset_index(drop=True)
    lines = frame.index.to_numpy()
    schema = build_schema(table, classes)
    try:
        schema.validate(positional, lazy=True)
        return frame.index, []
    except pa.errors.SchemaErrors as err:
        fc = _failures(err)
    partners: dict[int, list[int]] = {}
    if "overlap" in set(fc["check"]):
        pairs = overlapping_pairs(positional, list(table.key))
        partners = pairs.groupby("_row")["_row_o"].apply(list).to_dict()
    firsts: dict[int, int] = {}
    if "duplicate" in set(fc["check"]):
        seen: dict[tuple, int] = {}
        for pos, row in enumerate(positional.itertuples(index=False, name=None)):
            firsts[pos] = seen.setdefault(row, pos)
    out = []
    for pos, column, rule in zip(fc["index"].astype(int), fc["column"], fc["check"]):
        record = {k: v for k, v in positional.iloc[pos].items()}
        value = record.get(column) if isinstance(column, str) else None
        text = contract.rule_text(rule)
        if rule == "overlap":
            others = ", ".join(str(lines[o]) for o in partners.get(pos, []))
            text = f"overlaps line {others} ({', '.join(table.key)} the same). {text}"
        elif rule == "duplicate":
            text = f"repeats line {lines[firsts.get(pos, pos)]}. {text}"
        elif rule == "enum":
            text = f"{text} Allowed: {', '.join(table.column(column).allowed)}."
        elif rule == "state" and value and value.strip().upper() in USPS_CODES:
            text = f"{text} Write it in capitals: {value.strip().upper()}."
        where = f"column {column} = {_describe(value)}" if isinstance(column, str) else "row"
        out.append(_rejection(shown, lines[pos], column if isinstance(column, str) else None,
                              value, rule, f"{shown}:{lines[pos]}: {where}: {text}", record))
    bad_lines = {r["line"] for r in out}
    return frame.index[~frame.index.isin(list(bad_lines))], out


# --- casting good rows -----------------------------------------------------------------------

def cast(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Typed columns for rows that passed validation."""
    out = pd.DataFrame(index=frame.index)
    for c in table.columns:
        s = frame[c.name]
        if c.type == "date":
            out[c.name] = parse_dates(s)
        elif c.type == "number":
            out[c.name] = parse_numbers(s)
        elif c.type == "integer":
            out[c.name] = parse_numbers(s).round().astype("Int64")
        elif c.type == "bool":
            out[c.name] = parse_bools(s)
        else:
            out[c.name] = s.astype("string")
    return out


def empty_rejected() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "line" else "string") for c in REJECTED_COLUMNS})


def ingest_table(raw_dir: Path, table_name: str, classes: pd.DataFrame | None = None,
                 contract: Contract | None = None) -> IngestResult:
    """Read, validate and split one raw file. Raises InputFileError for file-level problems."""
    contract = contract or load_contract()
    table = contract.tables[table_name]
    shown = f"data/raw/{table.path}"
    frame, bad_shape = read_rows(Path(raw_dir) / table.path, table, shown)
    good, rejections = validate(frame, table, shown, contract, classes)
    rejections = bad_shape + rejections
    accepted = cast(frame.loc[good], table)
    accepted.insert(0, "source_line", accepted.index.astype("int64"))
    accepted.insert(0, "source_file", shown)
    accepted = accepted.reset_index(drop=True)
    rejected = pd.DataFrame(rejections, columns=REJECTED_COLUMNS) if rejections else empty_rejected()
    if len(rejected):
        rejected["line"] = rejected["line"].astype("Int64")
        rejected = rejected.sort_values(["line", "column", "rule"], na_position="first", kind="stable")
        rejected = rejected.reset_index(drop=True)
    rows_read = len(frame) + len(bad_shape)
    return IngestResult(table_name, shown, rows_read, accepted, rejected)
