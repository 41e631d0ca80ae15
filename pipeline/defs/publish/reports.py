"""Report cards (one partition per state) and the national pages, from the published tables."""

import base64
from pathlib import Path

import dagster as dg
import pandas as pd

from pipeline.defs.partitions import state_partitions
from pipeline.defs.resources import ProjectPaths
from pipeline.ingest import IngestResult
from pipeline.reports import EVIDENCE_COLUMNS, ChartCache, Lookup, Tables, national_pages, state_pages, write_pages
from pipeline.defs.grading.assets import STATUTE_INS, staged_inputs
from pipeline.staging import Scorecards


def _tables(cards: Scorecards, grades, scores, sensitivity, comparison, published: IngestResult,
            staged: dict[str, pd.DataFrame], evidence: pd.DataFrame | None = None) -> Tables:
    return Tables(cards.methodologies, grades, scores, sensitivity, comparison, published.accepted, staged,
                  evidence if evidence is not None else pd.DataFrame(columns=EVIDENCE_COLUMNS))


@dg.asset(
    group_name="published",
    kinds={"html", "svg"},
    tags={"stage": "published"},
    partitions_def=state_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    ins=STATUTE_INS,
    description="Grain: one report card per state × methodology × year (HTML) and one trend chart per "
    "state × methodology (SVG), under reports/<methodology>/<year>/<STATE>.html. Partitioned by state; "
    "files are rewritten only when their content changes.",
)
def report_cards(context: dg.AssetExecutionContext, paths: ProjectPaths, raw_scorecards: Scorecards,
                 state_grades: pd.DataFrame, criterion_scores: pd.DataFrame, grade_sensitivity: pd.DataFrame,
                 published_comparison: pd.DataFrame, raw_published_grades: IngestResult,
                 fact_evidence: pd.DataFrame, **raw: IngestResult) -> dg.MaterializeResult:
    t = _tables(raw_scorecards, state_grades, criterion_scores, grade_sensitivity, published_comparison,
                raw_published_grades, staged_inputs(raw), fact_evidence)
    states = context.partition_keys
    look = Lookup.build(t, states)
    cache = ChartCache(Path(paths.reports_dir), "cards")
    written = unchanged = 0
    for state in states:
        w, u = write_pages(Path(paths.reports_dir), state_pages(t, state, look, cache))
        written, unchanged = written + w, unchanged + u
    cache.save()
    unchanged += cache.skipped
    context.log.info(f"report cards for {len(states)} states: {written} files written, {unchanged} unchanged")
    return dg.MaterializeResult(metadata={"states": len(states), "files_written": written,
                                          "files_unchanged": unchanged,
                                          "example": dg.MetadataValue.path(str(Path(paths.reports_dir) / "index.html"))})


@dg.asset(
    group_name="published",
    kinds={"html", "svg"},
    tags={"stage": "published"},
    deps=[dg.AssetDep("report_cards", partition_mapping=dg.AllPartitionMapping())],
    description="Grain: one overview page per methodology × year plus reports/index.html, with the tile "
    "map, grade distribution, criteria heatmap and published comparison charts (SVG).",
)
def report_index(context: dg.AssetExecutionContext, paths: ProjectPaths, raw_scorecards: Scorecards,
                 state_grades: pd.DataFrame, criterion_scores: pd.DataFrame, grade_sensitivity: pd.DataFrame,
                 published_comparison: pd.DataFrame, raw_published_grades: IngestResult) -> dg.MaterializeResult:
    t = _tables(raw_scorecards, state_grades, criterion_scores, grade_sensitivity, published_comparison,
                raw_published_grades, {})
    cache = ChartCache(Path(paths.reports_dir))
    pages = national_pages(t, cache=cache)
    written, unchanged = write_pages(Path(paths.reports_dir), pages)
    cache.save()
    unchanged += cache.skipped
    context.log.info(f"national pages: {written} files written, {unchanged} unchanged; open "
                     f"{Path(paths.reports_dir) / 'index.html'}")
    maps = sorted(k for k in pages if "/charts/map-" in k)
    preview = ""
    if maps:
        data = base64.b64encode(pages[maps[-1]].encode()).decode()
        preview = f"![{maps[-1]}](data:image/svg+xml;base64,{data})"
    return dg.MaterializeResult(metadata={"pages": len(pages), "files_written": written, "files_unchanged": unchanged,
                                          "index": dg.MetadataValue.path(str(Path(paths.reports_dir) / "index.html")),
                                          "latest_map": dg.MetadataValue.md(preview or "_no map_")})
