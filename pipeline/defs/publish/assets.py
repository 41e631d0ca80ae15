"""The published warehouse: one DuckDB file, swapped in atomically, plus exports."""


from pathlib import Path

import dagster as dg

from pipeline.defs.resources import ProjectPaths
from pipeline.ingest import IngestResult
from pipeline.staging import RAW_TABLES, staged_outputs
from pipeline.warehouse import export_tables, publish_database


@dg.asset(
    group_name="published",
    kinds={"duckdb", "parquet", "csv"},
    tags={"stage": "published"},
    ins={f"raw_{name}": dg.AssetIn(f"raw_{name}") for name in RAW_TABLES},
    description="The DuckDB warehouse: staged tables (one row per state × provision × effective "
    "interval), rejected_rows and ingest_summary, built in a staging file and published by "
    "atomic rename; Parquet and CSV exports beside it.",
)
def warehouse(context: dg.AssetExecutionContext, paths: ProjectPaths, **raw: IngestResult) -> dg.MaterializeResult:
    results = {name.removeprefix("raw_"): r for name, r in raw.items()}
    tables = staged_outputs(results)
    target = publish_database(Path(paths.warehouse), tables)
    exports = export_tables(Path(paths.export_dir), tables)
    context.log.info(f"published {target} ({len(tables)} tables) and {len(exports)} export files")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "tables": {t.name: len(t.frame) for t in tables},
            "rejected_rows": sum(r.rows_rejected for r in results.values()),
        }
    )
