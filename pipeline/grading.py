"""Facts → graded: score every state × year under every methodology, in set-based SQL.

Each criterion's rule compiles to a SQL expression with bound parameters (pipeline.rules).
One statement per methodology scores all states, years and criteria at once; letters,
ranks and year-over-year changes come from window functions over the scores.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from pipeline.rules import SqlBuilder, load_facts
from pipeline.scorecards import Methodology

def status_sql(credit: str) -> str:
    """A criterion's status from its credit column."""
    return (f"CASE WHEN {credit} IS NULL THEN 'not_coded' WHEN {credit} >= 1 THEN 'met' "
            f"WHEN {credit} > 0 THEN 'partial' ELSE 'unmet' END")


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def criterion_sql(m: Methodology, facts_table: str = "state_year_facts") -> tuple[str, list]:
    """One statement giving the credit (0–1, NULL = not coded) of every state × year ×
    criterion of `m`: a UNION ALL of one compiled expression per criterion."""
    b = SqlBuilder()
    assessment = b.param(m.assessment_date, "text")
    first_year = b.param(float(m.first_year), "number")
    selects = []
    for i, c in enumerate(m.criteria):
        credit = b.tiers([(t.tree, t.credit) for t in c.tiers])
        selects.append(
            f"SELECT f.state, f.year, CAST({i} AS SMALLINT) AS criterion_index, {credit} AS credit "
            f"FROM {_q(facts_table)} f WHERE f.assessment_date = {assessment} AND f.year >= {first_year}"
        )
    return "\nUNION ALL\n".join(selects), b.params


def credits_into(con: duckdb.DuckDBPyConnection, m: Methodology, facts_table: str, target: str) -> None:
    """Append `m`'s credits to table `target` (methodology, state, year, criterion_index, credit),
    creating it if needed. The narrow table keeps millions of evaluations cheap."""
    con.execute(f"CREATE TABLE IF NOT EXISTS {_q(target)} (methodology VARCHAR, state VARCHAR, "
                "year INTEGER, criterion_index SMALLINT, credit DOUBLE)")
    sql, params = criterion_sql(m, facts_table)
    con.execute(f"INSERT INTO {_q(target)} SELECT ${len(params) + 1}, state, year, criterion_index, credit "
                f"FROM ({sql})", params + [m.id])


def graded_sql(m: Methodology, facts_table: str = "state_year_facts") -> tuple[str, list]:
    """state_grades for `m` in one statement straight from the facts, without storing a row
    per criterion: each distinct combination of the facts the criteria read computes every
    criterion's credit side by side and sums them (a projection, no 18M-row aggregation), and
    each state-year takes its combination's totals. Needs `methodologies` and `scales`."""
    b = SqlBuilder()
    assessment = b.param(m.assessment_date, "text")
    first_year = b.param(float(m.first_year), "number")
    credits = [b.tiers([(t.tree, t.credit) for t in c.tiers]) for c in m.criteria]
    cols = ", ".join(f"{expr} AS c{i}" for i, expr in enumerate(credits)) or "NULL AS c0"
    points = [float(c.points) for c in m.criteria]
    p = [b.param(x, "number") for x in points]
    score = " + ".join(f"COALESCE(c{i}, 0) * {p[i]}" for i in range(len(p))) or "0"
    coded = " + ".join(f"CASE WHEN c{i} IS NULL THEN 0 ELSE {p[i]} END" for i in range(len(p))) or "0"
    reach = " + ".join(f"CASE WHEN c{i} < 1 THEN {p[i]} * (1 - c{i}) ELSE 0 END" for i in range(len(p))) or "0"
    mid, version = b.param(m.id, "text"), b.param(m.version, "text")
    # Credits depend only on the facts the criteria read, and most state-years repeat another's
    # (the law rarely changes): grade each distinct combination once, then give every row the
    # totals of its combination. Materializing stops the three sums from being expanded into
    # copies of every criterion's expression.
    used = sorted({name for c in m.criteria for name in c.facts})
    keys = ", ".join(f"f.{_q(name)}" for name in used) or "TRUE AS _all"
    match = " AND ".join(f"r.{_q(name)} IS NOT DISTINCT FROM t.{_q(name)}" for name in used) or "TRUE"
    columns = ", ".join(["f.state", "f.year"] + [f"f.{_q(name)}" for name in used])
    totals = (f"WITH graded_rows AS (SELECT {columns} FROM {_q(facts_table)} f "
              f"WHERE f.assessment_date = {assessment} AND f.year >= {first_year}), "
              f"combos AS MATERIALIZED (SELECT DISTINCT {keys} FROM graded_rows f), "
              f"credits AS MATERIALIZED (SELECT f.*, {cols} FROM combos f), "
              f"combo_totals AS (SELECT *, {score} AS score, {coded} AS coded_max, "
              f"{reach} AS points_within_reach FROM credits) "
              f"SELECT {mid} AS methodology, {version} AS version, r.state, r.year, t.score, "
              f"CAST({b.param(sum(points), 'number')} AS DOUBLE) AS max_score, t.coded_max, t.points_within_reach "
              f"FROM graded_rows r JOIN combo_totals t ON {match}")
    return grades_sql(totals), b.params


def _evidence_sql(suffix: str) -> str:
    """The citations (URLs, verified flags) of the evidence groups a criterion uses; column
    names come from the fact registry's groups, never from input text."""
    groups = sorted({f.evidence for f in load_facts().values()})
    if suffix == "verified":
        return " AND ".join(f"(NOT c.{_q('uses_' + g)} OR COALESCE(f.{_q(g + '_verified')}, TRUE))" for g in groups)
    parts = ", ".join(f"CASE WHEN c.{_q('uses_' + g)} THEN f.{_q(g + '_' + suffix)} END" for g in groups)
    return f"NULLIF(concat_ws('; ', {parts}), '')"


def evidence_groups(criterion) -> list[str]:
    """The evidence groups (see fact_evidence) of the facts a criterion's rule reads."""
    facts = load_facts()
    return sorted({facts[name].evidence for name in criterion.facts})


CRITERIA_COLUMNS = ["methodology", "version", "criterion_index", "section_id", "section_title", "criterion_id",
                    "title", "rationale", "points", "rule", "facts", "evidence_groups"]


def criteria_frame(methodologies: list[Methodology], evidence_flags: bool = False) -> pd.DataFrame:
    """One row per methodology × criterion: what each is worth and why it exists (plus, for
    grading, which evidence groups its facts draw on)."""
    facts = load_facts()
    groups = sorted({f.evidence for f in facts.values()})
    rows = []
    for m in methodologies:
        for i, c in enumerate(m.criteria):
            row = {"methodology": m.id, "version": m.version, "criterion_index": i, "section_id": c.section_id,
                   "section_title": c.section_title, "criterion_id": c.id, "title": c.title,
                   "rationale": c.rationale, "points": c.points, "rule": c.rule_text, "facts": ", ".join(c.facts)}
            used = evidence_groups(c)
            row["evidence_groups"] = ", ".join(used)
            if evidence_flags:
                row |= {f"uses_{g}": g in used for g in groups}
            rows.append(row)
    columns = CRITERIA_COLUMNS + ([f"uses_{g}" for g in groups] if evidence_flags else [])
    return pd.DataFrame(rows, columns=columns)


def methodologies_frame(methodologies: list[Methodology]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"methodology": m.id, "version": m.version, "title": m.title, "description": m.description,
             "assessment_date": m.assessment_date, "first_year": m.first_year, "max_score": m.max_score,
             "min_coverage": m.min_coverage, "file": m.file,
             "compare_framework": (m.compare_with or {}).get("framework"),
             "compare_section": (m.compare_with or {}).get("section")}
            for m in methodologies
        ],
        columns=["methodology", "version", "title", "description", "assessment_date", "first_year",
                 "max_score", "min_coverage", "file", "compare_framework", "compare_section"],
    )


def scales_frame(methodologies: list[Methodology]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"methodology": m.id, "grade": g, "min_percent": p} for m in methodologies for g, p in m.scale],
        columns=["methodology", "grade", "min_percent"],
    )


SCORE_COLUMNS = """
    methodology VARCHAR, version VARCHAR, state VARCHAR, year INTEGER, section_id VARCHAR,
    criterion_id VARCHAR, status VARCHAR, credit DOUBLE, points_awarded DOUBLE, points_possible DOUBLE,
    citation VARCHAR, source_url VARCHAR, verified BOOLEAN"""


def score_criteria_into(con: duckdb.DuckDBPyConnection, methodologies: list[Methodology],
                        facts_table: str = "state_year_facts", target: str = "criterion_scores") -> None:
    """Create table `target`: one row per methodology × state × year × criterion with its
    status, points and the statutes behind it. Stays in DuckDB (no pandas)."""
    con.execute("DROP TABLE IF EXISTS _credits")
    for m in methodologies:
        credits_into(con, m, facts_table, "_credits")
    con.register("criteria", criteria_frame(methodologies, evidence_flags=True))
    con.register("methodology_dates", methodologies_frame(methodologies)[["methodology", "assessment_date"]])
    try:
        con.execute(f"CREATE OR REPLACE TABLE {_q(target)} ({SCORE_COLUMNS})")
        if methodologies:
            con.execute(f"""
                INSERT INTO {_q(target)}
                SELECT c.methodology, c.version, r.state, r.year, c.section_id, c.criterion_id,
                       {status_sql('r.credit')}, r.credit, COALESCE(r.credit, 0) * c.points, c.points,
                       {_evidence_sql('citation')}, {_evidence_sql('source_url')}, {_evidence_sql('verified')}
                FROM _credits r
                JOIN criteria c ON c.methodology = r.methodology AND c.criterion_index = r.criterion_index
                JOIN methodology_dates d ON d.methodology = r.methodology
                JOIN {_q(facts_table)} f ON f.state = r.state AND f.year = r.year AND f.assessment_date = d.assessment_date
                ORDER BY c.methodology, r.state, r.year, c.criterion_index
            """)
    finally:
        con.unregister("criteria")
        con.unregister("methodology_dates")
        con.execute("DROP TABLE IF EXISTS _credits")


def score_criteria(con: duckdb.DuckDBPyConnection, methodologies: list[Methodology],
                   facts_table: str = "state_year_facts") -> pd.DataFrame:
    """criterion_scores as a DataFrame: one row per methodology × state × year × criterion."""
    score_criteria_into(con, methodologies, facts_table, "_criterion_scores")
    try:
        return con.execute("SELECT * FROM _criterion_scores").df()
    finally:
        con.execute("DROP TABLE _criterion_scores")


TOTALS_FROM_SCORES = """
    SELECT s.methodology, s.version, s.state, s.year,
           sum(COALESCE(s.credit, 0) * s.points_possible) AS score,
           sum(s.points_possible) AS max_score,
           COALESCE(sum(s.points_possible) FILTER (s.credit IS NOT NULL), 0) AS coded_max,
           COALESCE(sum(s.points_possible * (1 - s.credit)) FILTER (s.credit < 1), 0) AS points_within_reach
    FROM {scores} s
    GROUP BY ALL"""

LETTERS = "CASE {col} WHEN 'A' THEN 5 WHEN 'B' THEN 4 WHEN 'C' THEN 3 WHEN 'D' THEN 2 WHEN 'F' THEN 1 END"


def grades_sql(totals: str) -> str:
    """state_grades from a totals query (methodology, version, state, year, score, max_score,
    coded_max, points_within_reach): percent, letter on the methodology's scale (needs the
    `methodologies` and `scales` relations), rank, and change from the prior year. Letters
    count A = 5 … F = 1, so grade_change is +1 for one letter better."""
    return f"""
WITH totals AS ({totals}),
pct AS (
    SELECT t.*,
           CASE WHEN t.coded_max > 0 THEN round(100 * t.score / t.coded_max, 6) END AS percent,
           round(t.coded_max / t.max_score, 6) AS coverage,
           m.min_coverage
    FROM totals t JOIN methodologies m USING (methodology)
),
lettered AS (
    SELECT p.*,
           CASE WHEN p.percent IS NULL OR p.coverage < p.min_coverage THEN NULL
                ELSE COALESCE((SELECT s.grade FROM scales s
                               WHERE s.methodology = p.methodology AND p.percent >= s.min_percent
                               ORDER BY s.min_percent DESC LIMIT 1), 'F')
           END AS grade
    FROM pct p
),
ranked AS (
    SELECT l.*,
           CASE WHEN grade IS NOT NULL THEN
               rank() OVER (PARTITION BY methodology, year, grade IS NOT NULL ORDER BY percent DESC)
           END AS rank,
           lag(score) OVER w AS prior_score,
           lag(grade) OVER w AS prior_grade
    FROM lettered l
    WINDOW w AS (PARTITION BY methodology, state ORDER BY year)
)
SELECT methodology, version, state, year::INTEGER AS year, score, max_score, coded_max, percent, grade,
       rank::INTEGER AS rank,
       score - prior_score AS score_change,
       ({LETTERS.format(col='grade')}) - ({LETTERS.format(col='prior_grade')}) AS grade_change,
       prior_grade, coverage, points_within_reach
FROM ranked
ORDER BY methodology, year, state
"""


def grade_states_sql(scores_table: str = "criterion_scores") -> str:
    """state_grades summed from a criterion scores table."""
    return grades_sql(TOTALS_FROM_SCORES.format(scores=_q(scores_table)))


def grade_states(con: duckdb.DuckDBPyConnection, criterion_scores: pd.DataFrame | str,
                 methodologies: list[Methodology]) -> pd.DataFrame:
    """state_grades: one row per methodology × state × year, from a frame or a table name."""
    registered = ["methodologies", "scales"]
    con.register("methodologies", methodologies_frame(methodologies))
    con.register("scales", scales_frame(methodologies))
    table = criterion_scores if isinstance(criterion_scores, str) else "criterion_scores"
    if not isinstance(criterion_scores, str):
        con.register("criterion_scores", criterion_scores)
        registered.append("criterion_scores")
    try:
        return con.execute(grade_states_sql(table)).df()
    finally:
        for name in registered:
            con.unregister(name)


def sensitivity_weights(criteria: pd.DataFrame, draws: int = 200, spread: float = 0.25,
                        seed: int = 20111201) -> pd.DataFrame:
    """`draws` random multipliers in [1 - spread, 1 + spread] per criterion (fixed seed)."""
    rng = np.random.default_rng(seed)
    n = len(criteria)
    mult = rng.uniform(1 - spread, 1 + spread, size=(draws, n))
    return pd.DataFrame({
        "methodology": np.tile(criteria["methodology"].to_numpy(), draws),
        "criterion_id": np.tile(criteria["criterion_id"].to_numpy(), draws),
        "draw": np.repeat(np.arange(draws), n),
        "multiplier": mult.reshape(-1),
    })


def grade_sensitivity(con: duckdb.DuckDBPyConnection, criterion_scores: pd.DataFrame,
                      state_grades: pd.DataFrame, methodologies: list[Methodology],
                      draws: int = 200, spread: float = 0.25) -> pd.DataFrame:
    """For each graded state-year: the share of random re-weightings (each criterion's points
    × U(1 ± spread), fixed seed) under which the letter grade stays the same."""
    weights = sensitivity_weights(criteria_frame(methodologies), draws, spread)
    for name, frame in (("criterion_scores", criterion_scores), ("state_grades", state_grades),
                        ("weights", weights), ("scales", scales_frame(methodologies))):
        con.register(name, frame)
    try:
        return con.execute(
            """
            WITH perturbed AS (
                SELECT s.methodology, s.state, s.year, w.draw,
                       sum(COALESCE(s.credit, 0) * s.points_possible * w.multiplier) AS score,
                       sum(s.points_possible * w.multiplier) FILTER (s.status <> 'not_coded') AS coded_max
                FROM criterion_scores s
                JOIN weights w USING (methodology, criterion_id)
                GROUP BY ALL
            ),
            lettered AS (
                SELECT p.*, COALESCE((SELECT sc.grade FROM scales sc
                                      WHERE sc.methodology = p.methodology
                                        AND 100 * p.score / p.coded_max >= sc.min_percent
                                      ORDER BY sc.min_percent DESC LIMIT 1), 'F') AS grade
                FROM perturbed p WHERE p.coded_max > 0
            )
            SELECT g.methodology, g.version, g.state, g.year, g.grade,
                   count(*)::INTEGER AS draws,
                   round(avg(CASE WHEN l.grade = g.grade THEN 1.0 ELSE 0.0 END), 4) AS share_same_grade,
                   min(l.grade) AS best_grade_seen,
                   max(l.grade) AS worst_grade_seen
            FROM state_grades g
            JOIN lettered l USING (methodology, state, year)
            WHERE g.grade IS NOT NULL
            GROUP BY ALL
            ORDER BY g.methodology, g.year, g.state
            """
        ).df()
    finally:
        for name in ("criterion_scores", "state_grades", "weights", "scales"):
            con.unregister(name)


def published_comparison(con: duckdb.DuckDBPyConnection, state_grades: pd.DataFrame,
                         published: pd.DataFrame, methodologies: list[Methodology]) -> pd.DataFrame:
    """Our grades beside published ones, where the methodology says which published framework
    and section it compares with and the years match. Never mixed into our grades."""
    con.register("state_grades", state_grades)
    con.register("published", published)
    con.register("methodologies", methodologies_frame(methodologies))
    try:
        return con.execute(
            """
            SELECT g.methodology, g.state, g.year, p.framework, p.section,
                   g.score AS our_score, g.coded_max AS our_coded_max, g.percent AS our_percent,
                   g.grade AS our_grade, g.coverage AS our_coverage,
                   p.score AS published_score, p.max_score AS published_max_score,
                   round(100 * p.score / p.max_score, 6) AS published_percent,
                   p.grade AS published_grade,
                   CASE WHEN g.grade IS NOT NULL AND p.grade IS NOT NULL THEN g.grade = p.grade END AS grade_agrees,
                   round(g.percent - 100 * p.score / p.max_score, 6) AS percent_difference,
                   p.source_url AS published_source_url
            FROM state_grades g
            JOIN methodologies m ON m.methodology = g.methodology
            JOIN published p ON p.framework = m.compare_framework AND p.section = m.compare_section
                            AND p.year = g.year AND p.state = g.state
            ORDER BY g.methodology, g.year, g.state, p.source_url
            """
        ).df()
    finally:
        for name in ("state_grades", "published", "methodologies"):
            con.unregister(name)


def published_agreement(comparison: pd.DataFrame) -> pd.DataFrame:
    """Per methodology × framework × section × year: how often our letters agree with the
    published ones, and how far the percents are apart."""
    con = duckdb.connect()
    try:
        con.register("c", comparison)
        return con.execute(
            """
            SELECT methodology, framework, section, year::INTEGER AS year,
                   count(*)::INTEGER AS comparisons,
                   count(grade_agrees)::INTEGER AS letter_comparisons,
                   round(avg(grade_agrees::INTEGER), 4) AS letter_agreement,
                   round(avg(abs(percent_difference)), 4) AS mean_abs_percent_difference,
                   CASE WHEN count(percent_difference) >= 3
                        THEN round(corr(our_percent, published_percent), 4) END AS percent_correlation
            FROM c
            GROUP BY ALL
            ORDER BY methodology, framework, section, year
            """
        ).df()
    finally:
        con.close()
