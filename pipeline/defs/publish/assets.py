"""The published warehouse: one DuckDB file, swapped in atomically, plus exports."""

from pathlib import Path

import dagster as dg
import pandas as pd

from pipeline.defs.resources import ProjectPaths
from pipeline.facts import fact_column_comments
from pipeline.grading import criteria_frame, methodologies_frame, published_agreement
from pipeline.staging import RAW_TABLES, Scorecards, staged_outputs
from pipeline.warehouse import catalog_table, export_tables, publish_warehouse

GRADED = ("state_year_facts", "fact_evidence", "coverage", "criterion_scores", "state_grades", "grade_sensitivity",
          "published_comparison")


@dg.asset(
    group_name="published",
    kinds={"duckdb", "parquet", "csv"},
    tags={"stage": "published"},
    ins={f"raw_{name}": dg.AssetIn(f"raw_{name}") for name in (*RAW_TABLES, "scorecards")}
    | {name: dg.AssetIn(name) for name in GRADED},
    description="Grain: one DuckDB file (and one Parquet + one CSV export per table). The warehouse: staged tables (one row per state × provision × effective "
    "interval), rejected_rows, ingest_summary, facts, coverage, methodologies, criteria and every "
    "graded table, built in a staging file and published by atomic rename; Parquet and CSV "
    "exports beside it.",
)
def warehouse(context: dg.AssetExecutionContext, paths: ProjectPaths, **inputs) -> dg.MaterializeResult:
    cards: Scorecards = inputs.pop("raw_scorecards")
    results = {name.removeprefix("raw_"): inputs.pop(f"raw_{name}") for name in RAW_TABLES}
    results["scorecards"] = cards.ingest
    tables = staged_outputs(results)
    graded: dict[str, pd.DataFrame] = {name: inputs[name] for name in GRADED}
    graded["published_agreement"] = published_agreement(graded["published_comparison"])
    graded["methodologies"] = methodologies_frame(cards.methodologies)
    graded["criteria"] = criteria_frame(cards.methodologies)
    tables += [catalog_table(name, frame, fact_column_comments() if name == "state_year_facts" else None)
               for name, frame in graded.items()]
    target = publish_warehouse(paths.warehouse, tables)
    exports = export_tables(Path(paths.export_dir), tables)
    context.log.info(f"published {target} ({len(tables)} tables) and {len(exports)} export files")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "tables": {t.name: len(t.frame) for t in tables},
            "rejected_rows": sum(r.rows_rejected for r in results.values()),
        }
    )
