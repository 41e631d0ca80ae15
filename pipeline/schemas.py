"""Pandera schemas for the raw files, built from the contract.

The schemas validate the file as read (every cell a trimmed string or missing), so one lazy
pass reports every problem: types, allowed values, ranges, blanks, dates, row rules and the
rules that need other rows (duplicates, overlapping versions, classes that resolve).
Each check is named after its rule in contract.yaml, so a failure maps to a fix-it message.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipeline.contract import Column, Table
from pipeline.jurisdictions import USPS_CODES

_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_NUMBER_RE = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"
_INTEGER_RE = r"^[+-]?\d+$"
_URL_RE = r"^https?://[^\s/$.?#][^\s]*$"
BOOL_VALUES = {"true": True, "false": False}
OPEN_END = pd.Timestamp("9999-12-31")


# --- parsing helpers shared with ingest's casting: one definition of each type ---------------

def parse_dates(s: pd.Series) -> pd.Series:
    """ISO dates that exist on the calendar; anything else becomes NaT. Already-typed dates
    (staged frames) pass through. Second resolution, so 9999-12-31 fits."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.astype("datetime64[s]")
    text = s.where(s.astype("string").str.fullmatch(_DATE_RE).fillna(False).astype(bool))
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").astype("datetime64[s]")


def parse_numbers(s: pd.Series) -> pd.Series:
    text = s.where(s.astype("string").str.fullmatch(_NUMBER_RE).fillna(False).astype(bool))
    return pd.to_numeric(text, errors="coerce").astype("float64")


def parse_bools(s: pd.Series) -> pd.Series:
    return s.astype("string").str.lower().map(BOOL_VALUES).astype("boolean")


def _check(fn, name: str) -> pa.Check:
    """A named check that also sees missing cells (pandera skips them by default)."""
    return pa.Check(fn, name=name, ignore_na=False)


def _ok(s: pd.Series, valid: pd.Series) -> pd.Series:
    """Missing cells pass type checks (blank-ness is the `required` rule's job)."""
    return s.isna() | valid.fillna(False).astype(bool)


# --- column checks ---------------------------------------------------------------------------

def _type_check(col: Column) -> pa.Check | None:
    t = col.type
    if t == "state":
        return _check(lambda s: _ok(s, s.isin(USPS_CODES)), name="state")
    if t == "date":
        return _check(lambda s: _ok(s, parse_dates(s).notna()), name="date")
    if t == "number":
        return _check(lambda s: _ok(s, parse_numbers(s).notna()), name="number")
    if t == "integer":
        return _check(
            lambda s: _ok(s, s.astype("string").str.fullmatch(_INTEGER_RE)), name="integer"
        )
    if t == "bool":
        return _check(
            lambda s: _ok(s, s.astype("string").str.lower().isin(list(BOOL_VALUES))), name="bool"
        )
    if t == "enum":
        allowed = list(col.allowed)
        return _check(lambda s: _ok(s, s.isin(allowed)), name="enum")
    if t == "url":
        return _check(lambda s: _ok(s, s.astype("string").str.fullmatch(_URL_RE)), name="url")
    return None


def _column_checks(col: Column) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.required:
        checks.append(_check(lambda s: s.notna(), name="required"))
    type_check = _type_check(col)
    if type_check is not None:
        checks.append(type_check)
    if col.type in ("number", "integer"):
        if col.min is not None:
            lo = float(col.min)
            checks.append(_check(lambda s: ~(parse_numbers(s) < lo).fillna(False), name="min"))
        if col.max is not None:
            hi = float(col.max)
            checks.append(_check(lambda s: ~(parse_numbers(s) > hi).fillna(False), name="max"))
    if col.max_length is not None:
        n = col.max_length
        checks.append(_check(lambda s: _ok(s, s.astype("string").str.len() <= n), name="max_length"))
    if col.type in ("text", "url"):
        checks.append(
            _check(lambda s: ~s.astype("string").str.startswith("=").fillna(False), name="formula")
        )
    return checks


# --- row rules: (primary column, vectorized predicate over the frame) ------------------------

def _min_le_max_prison(df: pd.DataFrame) -> pd.Series:
    lo, hi = parse_numbers(df["min_prison_years"]), parse_numbers(df["max_prison_years"])
    return ~(lo > hi).fillna(False)


def _effective_to_after_from(df: pd.DataFrame) -> pd.Series:
    start, end = parse_dates(df["effective_from"]), parse_dates(df["effective_to"])
    return ~(end <= start).fillna(False)


def _age_band_order(df: pd.DataFrame) -> pd.Series:
    lo, hi = parse_numbers(df["victim_age_from"]), parse_numbers(df["victim_age_under"])
    return ~(lo >= hi).fillna(False)


def _penalty_stated(df: pd.DataFrame) -> pd.Series:
    return (
        parse_numbers(df["max_prison_years"]).notna()
        | parse_bools(df["life_max"]).fillna(False).astype(bool)
        | parse_numbers(df["max_fine_usd"]).notna()
    )


def _score_or_grade(df: pd.DataFrame) -> pd.Series:
    return df["score"].notna() | df["grade"].notna()


def _score_le_max(df: pd.DataFrame) -> pd.Series:
    return ~(parse_numbers(df["score"]) > parse_numbers(df["max_score"])).fillna(False)


ROW_RULES = {
    "min_le_max_prison": ("min_prison_years", _min_le_max_prison),
    "effective_to_after_from": ("effective_to", _effective_to_after_from),
    "age_band_order": ("victim_age_from", _age_band_order),
    "penalty_stated": ("max_prison_years", _penalty_stated),
    "score_or_grade": ("score", _score_or_grade),
    "score_le_max": ("score", _score_le_max),
}

# Rules that need other rows, and the column a failure is reported against.
RULE_COLUMNS = {name: column for name, (column, _) in ROW_RULES.items()} | {
    "duplicate": None,
    "overlap": "effective_from",
    "penalty_resolves": "classification",
    "classes_conflict": "system",
}


# --- rules across rows -----------------------------------------------------------------------

def _filled(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The columns as plain objects with missing cells marked, so any dtype compares."""
    part = df[columns].astype(object)
    return part.where(part.notna(), "\x00")


def duplicate_rows(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    """True for every row that is not an exact repeat of an earlier one."""
    return ~_filled(df, columns).duplicated(keep="first")


def intervals(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    start = parse_dates(df["effective_from"])
    end = parse_dates(df["effective_to"]).fillna(OPEN_END)
    return start, end


def overlapping_pairs(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Pairs of positional rows (`_row`, `_row_o`) whose intervals overlap under one key: each
    overlapping row is paired with the earlier-starting row it overlaps (and vice versa).

    Sort by key and start; a row overlaps an earlier one when it starts before the latest end
    seen so far in its key (O(n log n), so a million rows stay cheap). Rows with unparseable
    dates take no part (their own date rule rejects them), nor do exact repeats of an earlier
    row (the duplicate rule reports those).
    """
    start, end = intervals(df)
    frame = _filled(df, key).assign(_start=start.to_numpy(), _end=end.to_numpy(), _row=np.arange(len(df)))
    keep = start.notna().to_numpy() & duplicate_rows(df, list(df.columns)).to_numpy()
    frame = frame[keep].sort_values([*key, "_start", "_row"], kind="stable").reset_index(drop=True)
    if frame.empty:
        return pd.DataFrame({"_row": pd.Series(dtype="int64"), "_row_o": pd.Series(dtype="int64")})
    frame["_end_ns"] = frame["_end"].astype("int64")
    frame["_pos"] = np.arange(len(frame), dtype="float64")
    frame["_cummax"] = frame.groupby(key, sort=False)["_end_ns"].cummax()
    best_end = frame.groupby(key, sort=False)["_cummax"].shift(1)
    # the row holding the latest end so far, carried forward, then as seen by the next row
    frame["_holder"] = frame["_pos"].where(frame["_end_ns"] == frame["_cummax"])
    frame["_holder"] = frame.groupby(key, sort=False)["_holder"].ffill()
    holder_prev = frame.groupby(key, sort=False)["_holder"].shift(1)
    hit = best_end.notna() & (frame["_start"].astype("int64") < best_end)
    rows = frame.loc[hit, "_row"].to_numpy()
    partners = frame["_row"].to_numpy()[holder_prev[hit].astype("int64").to_numpy()] if hit.any() else np.array([], dtype="int64")
    pairs = pd.DataFrame({"_row": np.concatenate([rows, partners]), "_row_o": np.concatenate([partners, rows])})
    return pairs.drop_duplicates().reset_index(drop=True)


def non_overlapping(df: pd.DataFrame, key: list[str]) -> pd.Series:
    """False for every row whose interval overlaps another version of the same provision."""
    bad = np.zeros(len(df), dtype=bool)
    bad[overlapping_pairs(df, key)["_row"].to_numpy()] = True
    return pd.Series(~bad, index=df.index)


def _meets_classes(df: pd.DataFrame, classes: pd.DataFrame, on: list[str]) -> pd.Series:
    """True where some class row with the same `on` values is in force during the row's interval."""
    start, end = intervals(df)
    rows = df[on].assign(_start=start, _end=end, _row=np.arange(len(df))).dropna(subset=[*on, "_start"])
    cls = classes[[*on, "effective_from", "effective_to"]].copy()
    cls["_cstart"] = pd.to_datetime(cls["effective_from"])
    cls["_cend"] = pd.to_datetime(cls["effective_to"]).fillna(OPEN_END)
    hits = rows.merge(cls, on=on)
    hits = hits[(hits["_start"] < hits["_cend"]) & (hits["_cstart"] < hits["_end"])]
    found = np.zeros(len(df), dtype=bool)
    found[hits["_row"].unique()] = True
    return pd.Series(found, index=df.index)


def penalty_resolves(df: pd.DataFrame, classes: pd.DataFrame | None) -> pd.Series:
    """True where the row states its own penalty or its class exists in its interval."""
    explicit = parse_numbers(df["max_prison_years"]).notna() | parse_bools(df["life_max"]).fillna(
        False
    ).astype(bool)
    if classes is None or classes.empty:
        return explicit
    return explicit | _meets_classes(df, classes, ["state", "classification"])


def classes_conflict(df: pd.DataFrame, classes: pd.DataFrame | None) -> pd.Series:
    """False where an `offense_specific` row overlaps felony-level class rows of its state."""
    if classes is None or classes.empty:
        return pd.Series(True, index=df.index)
    felony_classes = classes[classes["level"] == "felony"]
    claims = df["system"] == "offense_specific"
    return ~(claims.fillna(False).astype(bool) & _meets_classes(df, felony_classes, ["state"]))


CLASS_CHECKS = {"penalty_resolves": penalty_resolves, "classes_conflict": classes_conflict}


def build_schema(table: Table, classes: pd.DataFrame | None = None) -> pa.DataFrameSchema:
    """The schema for one raw file, as read (string cells). `classes` are the accepted felony
    classes, needed by the rules that check rows against them (`penalty_resolves`,
    `classes_conflict`)."""
    unknown = set(table.row_rules) - set(ROW_RULES) - set(CLASS_CHECKS)
    if unknown:
        raise ValueError(f"contract.yaml names row rules with no check for {table.name}: "
                         f"{sorted(unknown)}; implement them in pipeline/schemas.py or remove them")
    columns = {
        c.name: pa.Column(checks=_column_checks(c), nullable=True, required=True)
        for c in table.columns
    }
    frame_checks = [
        _check(lambda d, fn=ROW_RULES[r][1]: fn(d), name=r) for r in table.row_rules if r in ROW_RULES
    ]
    frame_checks.append(
        _check(lambda d, cols=table.column_names: duplicate_rows(d, cols), name="duplicate")
    )
    if table.key and table.is_versioned:
        key = list(table.key)
        frame_checks.append(_check(lambda d: non_overlapping(d, key), name="overlap"))
    for rule, fn in CLASS_CHECKS.items():
        if rule in table.row_rules:
            frame_checks.append(_check(lambda d, fn=fn: fn(d, classes), name=rule))
    return pa.DataFrameSchema(columns=columns, checks=frame_checks, name=table.name)
