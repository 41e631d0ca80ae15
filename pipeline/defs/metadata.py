"""Materialization metadata the Dagster UI shows: row counts, schema, previews."""

from __future__ import annotations

import dagster as dg
import pandas as pd


def markdown_table(frame: pd.DataFrame, rows: int = 10) -> str:
    if frame.empty:
        return "_no rows_"
    shown = frame.head(rows).astype("string").fillna("")
    shown = shown.apply(lambda s: s.str.replace("|", "\\|", regex=False).str.slice(0, 120))
    head = "| " + " | ".join(map(str, shown.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in shown.columns) + " |"
    body = ["| " + " | ".join(row) + " |" for row in shown.itertuples(index=False, name=None)]
    return "\n".join([head, rule, *body])


def preview(frame: pd.DataFrame, rows: int = 10) -> dg.MarkdownMetadataValue:
    return dg.MetadataValue.md(markdown_table(frame, rows))


def schema(frame: pd.DataFrame) -> dg.TableSchemaMetadataValue:
    return dg.MetadataValue.table_schema(
        dg.TableSchema(columns=[dg.TableColumn(name=str(c), type=str(t)) for c, t in frame.dtypes.items()])
    )
