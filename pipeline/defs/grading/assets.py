"""Facts and graded assets: the law in force per state-year, then scores under every methodology."""

import dagster as dg
import duckdb
import pandas as pd

from pipeline import facts as facts_sql
from pipeline import grading
from pipeline.defs.metadata import markdown_table, preview, schema
from pipeline.defs.partitions import state_partitions
from pipeline.ingest import IngestResult
from pipeline.warehouse import catalog_description
from pipeline.staging import STATUTE_TABLES, Scorecards

# Every coded-law table, as the inputs raw_<table> of the assets that read them all.
STATUTE_INS = {f"raw_{name}": dg.AssetIn() for name in STATUTE_TABLES}


def staged_inputs(raw: dict[str, IngestResult]) -> dict[str, pd.DataFrame]:
    """The accepted rows of each statute table, from the STATUTE_INS inputs."""
    return {name: raw[f"raw_{name}"].accepted for name in STATUTE_TABLES}


def _meta(frame: pd.DataFrame, **extra) -> dict:
    return {"dagster/row_count": len(frame), "dagster/column_schema": schema(frame).schema,
            "preview": preview(frame), **extra}


# Group, kinds and tags of the assets of one pipeline stage.
STAGE = {stage: dict(group_name=stage, kinds={"duckdb", "pandas"}, tags={"stage": stage}) for stage in ("facts", "graded")}
PER_STATE = dict(partitions_def=state_partitions, backfill_policy=dg.BackfillPolicy.single_run(),
                 io_manager_key="state_io")


@dg.asset(
    **STAGE["facts"],
    description=catalog_description("state_year_facts", "Partitioned by state; computed by pipeline/sql/state_year_facts.sql."),
    ins=STATUTE_INS,
    **PER_STATE,
)
def state_year_facts(context: dg.AssetExecutionContext, raw_scorecards: Scorecards,
                     **raw: IngestResult) -> dg.Output[pd.DataFrame]:
    staged = staged_inputs(raw)
    cal = facts_sql.calendar_for(raw_scorecards.methodologies, states=context.partition_keys)
    facts = facts_sql.state_year_facts(staged, cal)
    coded = facts[["buyer_is_felony", "buyer_max_prison_years", "mistake_of_age_buyer"]].notna().mean()
    return dg.Output(facts, metadata=_meta(facts, **{f"coded share: {k}": float(v) for k, v in coded.items()}))


@dg.asset(
    **STAGE["facts"],
    description=catalog_description("fact_evidence", "Computed by pipeline/sql/fact_evidence.sql."),
    ins=STATUTE_INS,
)
def fact_evidence(raw_scorecards: Scorecards, **raw: IngestResult) -> dg.Output[pd.DataFrame]:
    staged = staged_inputs(raw)
    evidence = facts_sql.fact_evidence(staged, facts_sql.calendar_for(raw_scorecards.methodologies))
    return dg.Output(evidence, metadata=_meta(evidence, rows_by_group=evidence["evidence_group"].value_counts().to_dict()))


@dg.asset(
    **STAGE["facts"],
    description=catalog_description("coverage"),
)
def coverage(state_year_facts: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    cov = facts_sql.coverage(state_year_facts)
    latest = cov[cov["year"] == cov["year"].max()]
    summary = latest.pivot_table(index="topic", columns="status", values="state", aggfunc="count",
                                 fill_value=0).reset_index()
    return dg.Output(cov, metadata=_meta(cov, latest_year=dg.MetadataValue.md(markdown_table(summary))))


@dg.asset(
    **STAGE["graded"],
    description=catalog_description("criterion_scores", "Set-based SQL compiled from the rules; partitioned by state."),
    **PER_STATE,
)
def criterion_scores(state_year_facts: pd.DataFrame, raw_scorecards: Scorecards) -> dg.Output[pd.DataFrame]:
    with duckdb.connect() as con:
        con.register("state_year_facts", state_year_facts)
        scores = grading.score_criteria(con, raw_scorecards.methodologies)
    return dg.Output(scores, metadata=_meta(scores, statuses=scores["status"].value_counts().to_dict()))


@dg.asset(
    **STAGE["graded"],
    description=catalog_description("state_grades"),
)
def state_grades(criterion_scores: pd.DataFrame, raw_scorecards: Scorecards) -> dg.Output[pd.DataFrame]:
    with duckdb.connect() as con:
        grades = grading.grade_states(con, criterion_scores, raw_scorecards.methodologies)
    latest = grades[grades["year"] == grades["year"].max()]
    return dg.Output(grades, metadata=_meta(
        grades, latest_letters=latest.groupby("methodology")["grade"].value_counts(dropna=False)
        .rename("n").reset_index().astype(str).to_dict("records")))


@dg.asset(
    **STAGE["graded"],
    description=catalog_description("grade_sensitivity"),
)
def grade_sensitivity(criterion_scores: pd.DataFrame, state_grades: pd.DataFrame,
                      raw_scorecards: Scorecards) -> dg.Output[pd.DataFrame]:
    with duckdb.connect() as con:
        frame = grading.grade_sensitivity(con, criterion_scores, state_grades, raw_scorecards.methodologies)
    return dg.Output(frame, metadata=_meta(frame))


@dg.asset(
    **STAGE["graded"],
    description=catalog_description("published_comparison"),
)
def published_comparison(state_grades: pd.DataFrame, raw_published_grades: IngestResult,
                         raw_scorecards: Scorecards) -> dg.Output[pd.DataFrame]:
    with duckdb.connect() as con:
        frame = grading.published_comparison(con, state_grades, raw_published_grades.accepted,
                                             raw_scorecards.methodologies)
    return dg.Output(frame, metadata=_meta(frame))


grading_assets = [state_year_facts, fact_evidence, coverage, criterion_scores, state_grades,
                  grade_sensitivity, published_comparison]
