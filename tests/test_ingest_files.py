"""Reading raw files: line numbers as a person counts them, file-level errors, accounting."""

from __future__ import annotations

import pytest

from conftest import csv_text, read_fixture_rows, write_table
from pipeline.contract import load_contract
from pipeline.ingest import InputFileError, ingest_table
from pipeline.staging import ingest_all, ingest_summary

MOA = load_contract().tables["mistake_of_age"].path


def test_line_numbers_count_quoted_line_breaks_and_blank_lines(raw_dir):
    rows = read_fixture_rows("mistake_of_age")
    rows[0]["note"] = "first line\nsecond line\nthird line"
    rows[1]["state"] = "ZZ"
    text = csv_text("mistake_of_age", rows)
    header, rest = text.split("\n", 1)
    (raw_dir / MOA).write_text(header + "\n\n" + rest, encoding="utf-8")
    result = ingest_table(raw_dir, "mistake_of_age")
    # header (1), blank (2), row 1 spans lines 3-5, row 2 starts on line 6
    assert list(result.rejected["line"]) == [6]
    assert result.rejected["message"].iloc[0].startswith(f"data/raw/{MOA}:6: column state = 'ZZ'")
    assert 3 in result.accepted["source_line"].tolist()
    assert 6 not in result.accepted["source_line"].tolist()


def test_bom_crlf_and_padding_read_the_same_as_the_clean_file(raw_dir):
    clean = ingest_table(raw_dir, "mistake_of_age").accepted
    rows = read_fixture_rows("mistake_of_age")
    padded = [{k: f"  {v} " if v else v for k, v in r.items()} for r in rows]
    text = csv_text("mistake_of_age", padded).replace("\n", "\r\n")
    (raw_dir / MOA).write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    messy = ingest_table(raw_dir, "mistake_of_age").accepted
    assert messy.drop(columns="source_line").equals(clean.drop(columns="source_line"))


def test_a_row_with_too_many_fields_is_rejected_and_kept_whole(raw_dir):
    text = csv_text("mistake_of_age", read_fixture_rows("mistake_of_age"))
    (raw_dir / MOA).write_text(text + "TX,all,prohibited,extra,fields,x,y,z,q,r,s,t,u,v\n", encoding="utf-8")
    result = ingest_table(raw_dir, "mistake_of_age")
    assert list(result.rejected["rule"]) == ["field_count"]
    assert "14 fields but the header has 12" in result.rejected["message"].iloc[0]
    assert "extra" in result.rejected["record"].iloc[0]


@pytest.mark.parametrize(
    "content,expected",
    [
        (b"", "the file is empty"),
        (b"   \n\n", "the file is empty"),
        (b"state;scope;defense\nTX;all;prohibited\n", "separated by semicolons"),
        (b"state\tscope\tdefense\n", "separated by tabs"),
        (b"state,scope\nTX,all\n", "missing required column defense"),
        (b"state,scope,defence\n", "unknown column 'defence' (did you mean 'defense'?)"),
        (b"state,state,scope\n", "appears twice"),
        ("state,scope\nTX,caf\xe9\n".encode("latin-1"), "line 2 is not UTF-8 text (byte 0xE9)"),
    ],
)
def test_file_level_problems_raise_one_clear_error_naming_the_file(raw_dir, content, expected):
    (raw_dir / MOA).write_bytes(content)
    with pytest.raises(InputFileError) as err:
        ingest_table(raw_dir, "mistake_of_age")
    assert str(err.value).startswith(f"data/raw/{MOA}: ")
    assert expected in str(err.value)


def test_a_missing_file_is_a_file_level_error(raw_dir):
    (raw_dir / MOA).unlink()
    with pytest.raises(InputFileError, match="does not exist"):
        ingest_table(raw_dir, "mistake_of_age")


def test_header_only_file_reads_zero_rows(raw_dir):
    write_table(raw_dir, "mistake_of_age", [])
    result = ingest_table(raw_dir, "mistake_of_age")
    assert (result.rows_read, len(result.accepted), result.rows_rejected) == (0, 0, 0)


def test_optional_columns_may_be_left_out_of_the_header(raw_dir):
    rows = read_fixture_rows("mistake_of_age")
    cols = [c for c in rows[0] if c != "note"]
    lines = [",".join(cols)] + [",".join(f'"{r[c]}"' for c in cols) for r in rows]
    (raw_dir / MOA).write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest_table(raw_dir, "mistake_of_age")
    assert len(result.accepted) == len(rows)
    assert result.accepted["note"].isna().all()


def test_every_row_read_is_accepted_or_rejected(raw_dir):
    rows = read_fixture_rows("felony_classes")
    rows[0]["state"] = "XX"
    rows[2]["max_prison_years"] = "-3"
    rows[2]["level"] = "bad"
    write_table(raw_dir, "felony_classes", rows + [rows[3]])
    results = ingest_all(raw_dir)
    summary = ingest_summary(list(results.values()))
    assert (summary["rows_accepted"] + summary["rows_rejected"] == summary["rows_read"]).all()
    fc = summary.set_index("table_name").loc["staged_felony_classes"]
    assert (fc["rows_read"], fc["rows_rejected"]) == (len(rows) + 1, 3)
