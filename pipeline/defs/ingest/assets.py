"""Raw assets: one per raw file of the contract, each read, validated and split."""


import dagster as dg

from pipeline.contract import load_contract
from pipeline.defs.ingest.checks import check_results, check_specs
from pipeline.defs.metadata import preview, schema
from pipeline.defs.resources import ProjectPaths
from pipeline.ingest import IngestResult, InputFileError
from pipeline.staging import RAW_TABLES, ingest_raw, ingest_scorecards


def _ingest(context: dg.AssetExecutionContext, paths: ProjectPaths, name: str,
            felony_classes: IngestResult | None = None):
    try:
        result = ingest_raw(paths.raw_path, name, felony_classes)
    except InputFileError as e:
        raise dg.Failure(
            description=str(e),
            metadata={"file": e.path, "problem": e.problem, "how to fix": e.fix},
            allow_retries=False,
        ) from None
    context.log.info(
        f"{result.file}: {result.rows_read} rows read, {len(result.accepted)} accepted, "
        f"{result.rows_rejected} rejected"
    )
    for message in result.rejected["message"].head(20):
        context.log.warning(message)
    yield dg.Output(
        result,
        metadata={
            "dagster/row_count": len(result.accepted),
            "rows_read": result.rows_read,
            "rows_rejected": result.rows_rejected,
            "dagster/column_schema": schema(result.accepted).schema,
            "preview": preview(result.accepted.drop(columns=["source_file"])),
            "rejections": preview(result.rejected[["line", "column", "rule", "message"]], rows=20),
        },
    )
    yield from check_results(name, result)


def raw_asset(name: str) -> dg.AssetsDefinition:
    table = load_contract().tables[name]
    ins = {"felony_classes": dg.AssetIn("raw_felony_classes")} if table.reads_felony_classes else {}

    @dg.asset(
        name=f"raw_{name}",
        group_name="raw",
        kinds={"csv", "pandas"},
        tags={"stage": "raw"},
        ins=ins,
        check_specs=check_specs(name),
        description=f"data/raw/{table.path}, validated. Grain: {table.grain}. "
        "Good rows are typed; bad rows go to rejected_rows with their reasons.",
    )
    def _asset(context: dg.AssetExecutionContext, paths: ProjectPaths, **upstream):
        yield from _ingest(context, paths, name, upstream.get("felony_classes"))

    return _asset


raw_assets = [raw_asset(name) for name in RAW_TABLES]


@dg.asset(
    group_name="raw",
    kinds={"yaml"},
    tags={"stage": "raw"},
    check_specs=check_specs("scorecards"),
    description="data/raw/scorecards/*.yaml, loaded safely and validated, rules compiled. Grain: one "
    "methodology per file. A file with any problem stops the run with every problem listed (file, line, "
    "place), so a typo never silently drops a methodology from the published warehouse.",
)
def raw_scorecards(context: dg.AssetExecutionContext, paths: ProjectPaths):
    cards = ingest_scorecards(paths.raw_path)
    result = cards.ingest
    if len(result.rejected):
        files = sorted(set(result.rejected["file"]))
        raise dg.Failure(
            description=f"{', '.join(files)}: the methodology has problems; fix them and run again:\n"
            + "\n".join(result.rejected["message"]),
            metadata={"problems": preview(result.rejected[["file", "line", "column", "message"]], rows=50)},
            allow_retries=False,
        )
    context.log.info(
        f"{result.file}: {result.rows_read} methodology files, {len(cards.methodologies)} loaded "
        f"({', '.join(m.id for m in cards.methodologies) or 'none'}), {result.rows_rejected} rejected"
    )
    for message in result.rejected["message"].head(20):
        context.log.warning(message)
    yield dg.Output(cards, metadata={
        "dagster/row_count": len(cards.methodologies),
        "files_read": result.rows_read,
        "files_rejected": result.rows_rejected,
        "methodologies": dg.MetadataValue.md(
            "\n".join(f"- **{m.id}** v{m.version}: {m.title} ({m.max_score:g} points, "
                      f"{len(m.criteria)} criteria)" for m in cards.methodologies) or "_none_"),
        "rejections": preview(result.rejected[["line", "column", "message"]], rows=20),
    })
    yield from check_results("scorecards", result)
