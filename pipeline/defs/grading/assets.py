"""Facts and graded assets: the law in force per state-year, then scores under every methodology."""

import dagster as dg
import duckdb
import pandas as pd

from pipeline import facts as facts_sql
from pipeline import grading
from pipeline.defs.metadata import markdown_table, preview, schema
from pipeline.ingest import IngestResult
from pipeline.staging import Scorecards


def _meta(frame: pd.DataFrame, **extra) -> dict:
    return {"dagster/row_count": len(frame), "dagster/column_schema": schema(frame).schema,
            "preview": preview(frame), **extra}


@dg.asset(
    group_name="facts",
    kinds={"duckdb", "pandas"},
    tags={"stage": "facts"},
    description="One row per state × year × assessment date: the law in force on each year's "
    "assessment date, felony classes resolved to prison terms and fines, with the citations behind "
    "each fact (pipeline/sql/state_year_facts.sql).",
)
def state_year_facts(raw_felony_classes: IngestResult, raw_buyer_offenses: IngestResult,
                     raw_mistake_of_age: IngestResult, raw_scorecards: Scorecards) -> dg.Output[pd.DataFrame]:
    staged = {"felony_classes": raw_felony_classes.accepted, "buyer_offenses": raw_buyer_offenses.accepted,
              "mistake_of_age": raw_mistake_of_age.accepted}
    facts = facts_sql.state_year_facts(staged, facts_sql.calendar_for(raw_scorecards.methodologies))
    coded = facts[["buyer_is_felony", "buyer_max_prison_years", "mistake_of_age_buyer"]].notna().mean()
    return dg.Output(facts, metadata=_meta(facts, **{f"coded share: {k}": float(v) for k, v in coded.items()}))


@dg.asset(
    group_name="facts",
    kinds={"duckdb", "pandas"},
    tags={"stage": "facts"},
    description="One row per state × topic × year: verified, coded or not_coded.",
)
def coverage(state_year_facts: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    cov = facts_sql.coverage(state_year_facts)
    latest = cov[cov["year"] == cov["year"].max()]
    summary = latest.pivot_table(index="topic", columns="status", values="state", aggfunc="count",
                                 fill_value=0).reset_index()
    return dg.Output(cov, metadata=_meta(cov, latest_year=dg.MetadataValue.md(markdown_table(summary))))


@dg.asset(
    group_name="graded",
    kinds={"duckdb", "pandas"},
    tags={"stage": "graded"},
    description="One row per methodology × state × year × criterion: status (met, partial, unmet, "
    "not_coded), points and the statutes behind them. Set-based SQL compiled from the rules.",
)
def criterion_scores(state_year_facts: pd.DataFrame, raw_scorecards: Scorecards) -> dg.Output[pd.DataFrame]:
    with duckdb.connect() as con:
        con.register("state_year_facts", state_year_facts)
        scores = grading.score_criteria(con, raw_scorecards.methodologies)
    return dg.Output(scores, metadata=_meta(scores, statuses=scores["status"].value_counts().to_dict()))


@dg.asset(
    group_name="graded",
    kinds={"duckdb", "pandas"},
    tags={"stage": "graded"},
    description="One row per methodology × state × year: score, percent, letter, rank, change.",
)
def state_grades(criterion_scores: pd.DataFrame, raw_scorecards: Scorecards) -> dg.Output[pd.DataFrame]:
    with duckdb.connect() as con:
        grades = grading.grade_states(con, criterion_scores, raw_scorecards.methodologies)
    latest = grades[grades["year"] == grades["year"].max()]
    return dg.Output(grades, metadata=_meta(
        grades, latest_letters=latest.groupby("methodology")["grade"].value_counts(dropna=False)
        .rename("n").reset_index().astype(str).to_dict("records")))


@dg.asset(
    group_name="graded",
    kinds={"duckdb", "pandas"},
    tags={"stage": "graded"},
    description="One row per methodology × graded state × year: share of 200 random ±25% "
    "re-weightings (fixed seed) that keep the letter grade.",
)
def grade_sensitivity(criterion_scores: pd.DataFrame, state_grades: pd.DataFrame,
                      raw_scorecards: Scorecards) -> dg.Output[pd.DataFrame]:
    with duckdb.connect() as con:
        frame = grading.grade_sensitivity(con, criterion_scores, state_grades, raw_scorecards.methodologies)
    return dg.Output(frame, metadata=_meta(frame))


@dg.asset(
    group_name="graded",
    kinds={"duckdb", "pandas"},
    tags={"stage": "graded"},
    description="Our grades beside published ones where framework, section and year compare.",
)
def published_comparison(state_grades: pd.DataFrame, raw_published_grades: IngestResult,
                         raw_scorecards: Scorecards) -> dg.Output[pd.DataFrame]:
    with duckdb.connect() as con:
        frame = grading.published_comparison(con, state_grades, raw_published_grades.accepted,
                                             raw_scorecards.methodologies)
    return dg.Output(frame, metadata=_meta(frame))


grading_assets = [state_year_facts, coverage, criterion_scores, state_grades,
                  grade_sensitivity, published_comparison]
