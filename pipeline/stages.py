"""The whole pipeline as plain function calls, without Dagster: raw → staged → facts → graded.

Tests and benchmarks use it to run the same stage functions the assets wrap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.facts import calendar_for, fact_evidence, state_year_facts
from pipeline.grading import (grade_sensitivity, grade_states, published_comparison,
                              score_criteria)
from pipeline.ingest import IngestResult
from pipeline.reports import Tables
from pipeline.scorecards import Methodology
from pipeline.staging import STATUTE_TABLES, ingest_all, ingest_scorecards


@dataclass
class Graded:
    results: dict[str, IngestResult]
    methodologies: list[Methodology]
    facts: pd.DataFrame
    scores: pd.DataFrame
    grades: pd.DataFrame
    sensitivity: pd.DataFrame
    comparison: pd.DataFrame
    evidence: pd.DataFrame

    @property
    def staged(self) -> dict[str, pd.DataFrame]:
        return {k: self.results[k].accepted for k in STATUTE_TABLES}

    def tables(self) -> Tables:
        """What the report cards are built from."""
        return Tables(self.methodologies, self.grades, self.scores,
                      self.sensitivity, self.comparison, self.results["published_grades"].accepted, self.staged,
                      self.evidence)


def run_stages(raw_dir: Path, last_year: int | None = None) -> Graded:
    """Ingest `raw_dir` and grade every state and year (file-level errors raise)."""
    results = ingest_all(raw_dir)
    methodologies = ingest_scorecards(raw_dir).methodologies
    staged = {k: results[k].accepted for k in STATUTE_TABLES}
    cal = calendar_for(methodologies, last_year=last_year)
    facts = state_year_facts(staged, cal)
    with duckdb.connect() as con:
        con.register("state_year_facts", facts)
        scores = score_criteria(con, methodologies)
        grades = grade_states(con, scores, methodologies)
        sensitivity = grade_sensitivity(con, scores, grades, methodologies)
        comparison = published_comparison(con, grades, results["published_grades"].accepted, methodologies)
    return Graded(results, methodologies, facts, scores, grades, sensitivity, comparison,
                  fact_evidence(staged, cal))
