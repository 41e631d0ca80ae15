"""Benchmarks: the grading engine at scale against a pandas baseline, and the shipped build.

    python benchmarks/run.py --jurisdictions 3000 --years 30 --criteria 200 --json results.json

Part 1 generates J jurisdictions × Y years of random law histories (felony classes, buyer
offenses in age bands, mistake-of-age rules, each with dated versions), resolves them to
facts with the project's facts SQL, and grades them under a generated methodology of C
criteria using every rule kind the engine supports (comparisons, tiers with partial credit,
`in` lists, and/or/not). The same methodology is graded twice: (a) by the project's DuckDB
engine (in a child process, so its peak RSS is its own) and (b) by an idiomatic vectorized
pandas implementation (nullable dtypes for three-valued logic; one vectorized expression per
criterion, no row-wise apply). Both must give identical scores.

Part 2 (unless --skip-shipped) measures the shipped data: each stage called directly, the
same build as a Dagster run, and a one-state rebuild.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.contract import load_contract  # noqa: E402
from pipeline.facts import calendar  # noqa: E402
from pipeline.ingest import cast  # noqa: E402
from pipeline.grading import criteria_frame, graded_sql, methodologies_frame, scales_frame  # noqa: E402
from pipeline.rules import Compare, FactRef, InList, Literal, Logic, Not, load_facts  # noqa: E402
from pipeline.scorecards import Methodology, validate_methodology  # noqa: E402

ENGINE_MEMORY_LIMIT = os.environ.get("CSEC_BENCH_MEMORY_LIMIT", "1GB")
if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]?i?B", ENGINE_MEMORY_LIMIT):
    raise SystemExit(f"CSEC_BENCH_MEMORY_LIMIT={ENGINE_MEMORY_LIMIT!r} is not a size like 1GB or 512MB")
DEFENSES = ["prohibited", "limited", "allowed", "silent"]
SYSTEMS = load_contract().tables["sentencing_systems"]
OFFENSE_TYPES = ["trafficking", "csec", "solicitation_enhanced", "solicitation_general"]


# --- synthetic data ----------------------------------------------------------------------------

def synthetic_law(jurisdictions: int, years: int, seed: int = 7) -> tuple[dict[str, pd.DataFrame], list[str], int]:
    """Random law histories: each provision has one or two versions with an effective date."""
    rng = np.random.default_rng(seed)
    codes = [f"J{i:05d}" for i in range(jurisdictions)]
    first_year = 2025 - years + 1
    start = pd.Timestamp(f"{first_year - 5}-01-01")
    span_days = (years + 5) * 365

    def versions(n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each of n_rows provisions: two versions split at a random day (or one)."""
        split = rng.integers(365, span_days, n_rows)
        two = rng.random(n_rows) < 0.5
        return split, two, np.arange(n_rows)

    base = {"citation": "Synthetic § 1", "source_url": "https://example.org/s", "source_kind": "secondary",
            "verified": False, "excerpt": "synthetic", "effective_from_basis": "known_since", "note": None}

    def expand(rows: pd.DataFrame) -> pd.DataFrame:
        split, two, _ = versions(len(rows))
        first = rows.assign(effective_from=start, effective_to=pd.NaT)
        first.loc[two, "effective_to"] = start + pd.to_timedelta(split[two], "D")
        second = rows[two].assign(effective_from=start + pd.to_timedelta(split[two], "D"), effective_to=pd.NaT)
        out = pd.concat([first, second], ignore_index=True)
        # the later version draws new values for what changes
        return out

    classes = pd.DataFrame({
        "state": np.repeat(codes, 3), "classification": np.tile(["Class A felony", "Class B felony", "Class A misdemeanor"], jurisdictions),
        "level": np.tile(["felony", "felony", "misdemeanor"], jurisdictions),
    })
    classes = expand(classes)
    n = len(classes)
    classes["min_prison_years"] = np.nan
    classes["max_prison_years"] = np.where(classes["level"] == "felony", rng.integers(2, 41, n), 1).astype(float)
    classes["life_max"] = (classes["level"] == "felony") & (rng.random(n) < 0.1)
    classes["max_fine_usd"] = np.where(rng.random(n) < 0.8, rng.choice([5000, 10000, 25000, 50000, 100000], n), np.nan)
    classes = classes.assign(**base)

    bands = rng.random(jurisdictions) < 0.3
    rows = []
    for split_ages, group in ((False, np.array(codes)[~bands]), (True, np.array(codes)[bands])):
        if split_ages:
            rows.append(pd.DataFrame({"state": group, "victim_age_from": 0, "victim_age_under": 16}))
            rows.append(pd.DataFrame({"state": group, "victim_age_from": 16, "victim_age_under": 18}))
        else:
            rows.append(pd.DataFrame({"state": group, "victim_age_from": 0, "victim_age_under": 18}))
    offenses = pd.concat(rows, ignore_index=True)
    offenses["offense"] = "Buying sex with a minor"
    offenses = expand(offenses)
    m = len(offenses)
    offenses["offense_type"] = rng.choice(OFFENSE_TYPES, m)
    offenses["classification"] = rng.choice(["Class A felony", "Class B felony", "Class A misdemeanor"], m)
    offenses["level"] = np.where(offenses["classification"].str.endswith("misdemeanor"), "misdemeanor", "felony")
    explicit = rng.random(m) < 0.2
    offenses["min_prison_years"] = np.nan
    offenses["max_prison_years"] = np.where(explicit, rng.integers(1, 30, m), np.nan)
    offenses["life_max"] = pd.array(np.where(explicit, False, None), dtype="boolean")
    offenses["max_fine_usd"] = np.nan
    offenses["registration_required"] = pd.array(rng.choice([True, False, None], m), dtype="boolean")
    offenses = offenses.assign(**base)

    moa = pd.DataFrame({"state": codes, "scope": rng.choice(["buyer", "all"], jurisdictions)})
    moa = expand(moa)
    moa["defense"] = rng.choice(DEFENSES, len(moa))
    moa = moa.assign(**base)
    # gaps, as in real data: some jurisdictions have nothing coded on a topic
    uncoded_buyers = set(np.array(codes)[rng.random(jurisdictions) < 0.1])
    uncoded_moa = set(np.array(codes)[rng.random(jurisdictions) < 0.2])
    offenses = offenses[~offenses["state"].isin(uncoded_buyers)].reset_index(drop=True)
    moa = moa[~moa["state"].isin(uncoded_moa)].reset_index(drop=True)
    # every synthetic jurisdiction has a class table, so no sentencing_systems rows
    systems = cast(pd.DataFrame({c: pd.Series(dtype="string") for c in SYSTEMS.column_names}), SYSTEMS)
    return ({"felony_classes": classes, "sentencing_systems": systems, "buyer_offenses": offenses,
             "mistake_of_age": moa}, codes, first_year)


def synthetic_methodology(criteria: int, first_year: int, seed: int = 11) -> Methodology:
    """C criteria cycling through every rule kind, with random thresholds and points."""
    rng = np.random.default_rng(seed)
    items = []
    for i in range(criteria):
        kind = i % 6
        t = int(rng.integers(1, 30))
        if kind == 0:
            rule = {"rule": "buyer_is_felony"}
        elif kind == 1:
            rule = {"tiers": [{"when": f"buyer_max_prison_years >= {t + 10}", "credit": 1},
                              {"when": f"buyer_max_prison_years >= {t}", "credit": 0.5}]}
        elif kind == 2:
            rule = {"tiers": [{"when": "mistake_of_age_buyer == prohibited", "credit": 1},
                              {"when": "mistake_of_age_buyer in [limited, silent]", "credit": 0.25}]}
        elif kind == 3:
            rule = {"rule": f"buyer_max_fine_usd > {t * 1000} and not (buyer_registration_required == false)"}
        elif kind == 4:
            rule = {"rule": "buyer_distinct_offense or buyer_trafficking_law_applies"}
        else:
            rule = {"rule": f"buyer_offense_count >= {1 + t % 3} and buyer_max_prison_years < {t + 25}"}
        items.append({"id": f"c{i:04d}", "title": f"Criterion {i}", "rationale": "Synthetic.",
                      "points": float(rng.integers(1, 6)), **rule})
    doc = {"id": "synthetic", "title": "Synthetic", "version": "1", "assessment_date": "08-01",
           "first_year": first_year, "sections": [{"id": "all", "title": "All", "criteria": items}]}
    return validate_methodology(doc, "benchmarks/synthetic.yaml")


# --- engine (a): DuckDB ---------------------------------------------------------------------------

def engine_grade(staged: dict[str, pd.DataFrame], cal: pd.DataFrame, m: Methodology) -> tuple[float, pd.DataFrame, int]:
    """Grade with the project's engine, end to end inside DuckDB: resolve the law in force
    (facts SQL), score every criterion (compiled rules), total and letter every state-year.
    Returns (seconds, scores per state-year, evaluations)."""
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET memory_limit = '{ENGINE_MEMORY_LIMIT}'")
    for name, frame in staged.items():
        con.register(f"{name}_df", frame)
        con.execute(f"CREATE TABLE staged_{name} AS SELECT * FROM {name}_df")
        con.unregister(f"{name}_df")
    con.register("cal_df", cal)
    con.execute("CREATE TABLE calendar AS SELECT * FROM cal_df")
    con.unregister("cal_df")
    con.register("criteria", criteria_frame([m]))
    con.register("methodologies", methodologies_frame([m]))
    con.register("scales", scales_frame([m]))
    facts_sql = (ROOT / "pipeline" / "sql" / "state_year_facts.sql").read_text()
    start = time.perf_counter()
    con.execute(f"CREATE TABLE state_year_facts AS {facts_sql}")
    sql, params = graded_sql(m, "state_year_facts")
    con.execute(f"CREATE TABLE state_grades AS {sql}", params)
    seconds = time.perf_counter() - start
    rows = con.execute("SELECT count(*) FROM state_year_facts").fetchone()[0]
    totals = con.execute("SELECT state, year, score FROM state_grades ORDER BY state, year").df()
    con.close()
    return seconds, totals, rows * len(m.criteria)


def _engine_child(staged, cal, m: Methodology, queue) -> None:
    seconds, totals, evaluations = engine_grade(staged, cal, m)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((seconds, totals, evaluations, peak_mb))


def engine_in_child(staged, cal, m: Methodology):
    """The engine in a fresh child process (spawned), so its peak RSS is its own."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_engine_child, args=(staged, cal, m, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


# --- engine (b): vectorized pandas -----------------------------------------------------------------

def _pandas_expr(node, f: pd.DataFrame) -> pd.Series:
    """Evaluate a rule tree over nullable columns (Kleene logic, like SQL)."""
    if isinstance(node, FactRef):
        return f[node.fact.name]
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Not):
        return ~_pandas_expr(node.operand, f)
    if isinstance(node, Logic):
        parts = [_pandas_expr(p, f) for p in node.parts]
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if node.op == "and" else (out | p)
        return out
    if isinstance(node, Compare):
        left, right = _pandas_expr(node.left, f), _pandas_expr(node.right, f)
        ops = {">=": "ge", "<=": "le", ">": "gt", "<": "lt", "==": "eq", "!=": "ne"}
        if isinstance(left, pd.Series):
            return getattr(left, ops[node.op])(right)
        flipped = {"ge": "le", "le": "ge", "gt": "lt", "lt": "gt", "eq": "eq", "ne": "ne"}
        return getattr(right, flipped[ops[node.op]])(left)
    if isinstance(node, InList):
        col = _pandas_expr(node.operand, f)
        return col.isin([v.value for v in node.values]).astype("boolean").mask(col.isna())
    raise TypeError(node)


def _in_force(frame: pd.DataFrame, cal: pd.DataFrame) -> pd.DataFrame:
    rows = cal.merge(frame, on="state")
    return rows[(rows["effective_from"] <= rows["as_of"])
                & (rows["effective_to"].isna() | (rows["as_of"] < rows["effective_to"]))]


def _agg_if_known(frame: pd.DataFrame, keys: list[str], column: str, how: str) -> pd.Series:
    """max/min of `column` per group, NaN where any value in the group is unknown (vectorized)."""
    grouped = frame.groupby(keys)[column]
    value = grouped.max() if how == "max" else grouped.min()
    return value.where(grouped.count() == grouped.size())


def pandas_facts(staged: dict[str, pd.DataFrame], cal: pd.DataFrame) -> pd.DataFrame:
    """The facts the synthetic methodology uses, resolved with merges and groupbys."""
    keys = ["state", "year"]
    classes = _in_force(staged["felony_classes"], cal)[keys + ["classification", "max_prison_years", "life_max",
                                                               "max_fine_usd"]]
    o = _in_force(staged["buyer_offenses"], cal)
    o = o.merge(classes, on=keys + ["classification"], how="left", suffixes=("", "_k"))
    explicit = o["max_prison_years"].notna() | o["life_max"].notna()
    own = np.where(o["life_max"].fillna(False).astype(bool), np.inf, o["max_prison_years"])
    klass = np.where(o["life_max_k"].fillna(False).astype(bool), np.inf, o["max_prison_years_k"])
    o["prison"] = np.where(explicit, own, klass)
    o["fine"] = o["max_fine_usd"].fillna(o["max_fine_usd_k"])
    o["felony"] = o["level"] == "felony"
    ages = pd.DataFrame({"age": np.arange(18)})
    a = o[keys + ["victim_age_from", "victim_age_under", "felony", "prison", "fine"]].merge(ages, how="cross")
    a = a[(a["age"] >= a["victim_age_from"]) & (a["age"] < a["victim_age_under"])]
    by_age = a.groupby(keys + ["age"]).agg(felony=("felony", "any"))
    by_age["prison"] = _agg_if_known(a, keys + ["age"], "prison", "max")
    by_age["fine"] = _agg_if_known(a, keys + ["age"], "fine", "max")
    by_age = by_age.reset_index()
    per = by_age.groupby(keys).agg(ages=("felony", "size"), all_felony=("felony", "all"))
    per["prison"] = _agg_if_known(by_age, keys, "prison", "min")
    per["fine"] = _agg_if_known(by_age, keys, "fine", "min")
    full = per["ages"] == 18
    o["reg_true"] = o["registration_required"].fillna(False).astype(bool)
    o["reg_false"] = o["registration_required"].notna() & ~o["registration_required"].fillna(True).astype(bool)
    o["trafficking"] = o["offense_type"] == "trafficking"
    o["distinct"] = o["offense_type"].isin(["csec", "solicitation_enhanced"])
    o["general"] = o["offense_type"] == "solicitation_general"
    b = o.groupby(keys).agg(count=("state", "size"), reg_true=("reg_true", "any"), reg_false=("reg_false", "all"),
                            trafficking=("trafficking", "any"), distinct=("distinct", "any"), general=("general", "all"))
    moa = _in_force(staged["mistake_of_age"], cal)
    moa = moa.pivot_table(index=keys, columns="scope", values="defense", aggfunc="first")
    f = cal[keys + ["assessment_date"]].set_index(keys)
    f["buyer_is_felony"] = per["all_felony"].where(full).astype("boolean")
    f["buyer_max_prison_years"] = per["prison"].where(full).astype("Float64")
    f["buyer_max_fine_usd"] = per["fine"].where(full).astype("Float64")
    reg = pd.Series(pd.NA, index=b.index, dtype="boolean")
    reg = reg.mask(b["reg_false"], False).mask(b["reg_true"], True)
    f["buyer_registration_required"] = reg
    f["buyer_trafficking_law_applies"] = pd.Series(pd.NA, index=b.index, dtype="boolean").mask(b["trafficking"], True)
    dist = pd.Series(pd.NA, index=b.index, dtype="boolean").mask(b["general"], False).mask(b["distinct"], True)
    f["buyer_distinct_offense"] = dist
    f["buyer_offense_count"] = b["count"].reindex(f.index).fillna(0).astype("Float64")
    buyer_scope = moa["buyer"] if "buyer" in moa else pd.Series(index=moa.index, dtype=object)
    all_scope = moa["all"] if "all" in moa else pd.Series(index=moa.index, dtype=object)
    f["mistake_of_age_buyer"] = buyer_scope.fillna(all_scope).astype("string")
    for name, fact in load_facts().items():
        if name not in f:
            f[name] = pd.Series(pd.NA, index=f.index, dtype={"number": "Float64", "bool": "boolean", "text": "string"}[fact.type])
    return f.reset_index()


def pandas_grade(staged: dict[str, pd.DataFrame], cal: pd.DataFrame, m: Methodology) -> tuple[float, pd.DataFrame]:
    """The same grading in idiomatic vectorized pandas: merges and groupbys for the facts,
    one vectorized expression per criterion, a long table of credits, a groupby for totals."""
    start = time.perf_counter()
    f = pandas_facts(staged, cal)
    f = f[(f["assessment_date"] == m.assessment_date) & (f["year"] >= m.first_year)].reset_index(drop=True)
    long = []
    for i, c in enumerate(m.criteria):
        credit = pd.Series(0.0, index=f.index, dtype="Float64")
        decided = pd.Series(False, index=f.index)
        unknown = pd.Series(False, index=f.index)
        for tier in c.tiers:
            cond = pd.array(_pandas_expr(tier.tree, f), dtype="boolean")
            is_na = pd.Series(cond.isna(), index=f.index)
            holds = pd.Series(cond.fillna(False).astype(bool), index=f.index)
            unknown |= ~decided & is_na
            take = ~decided & ~unknown & holds
            credit = credit.mask(take, tier.credit)
            decided |= take | unknown
        credit = credit.mask(unknown)
        long.append(pd.DataFrame({"state": f["state"], "year": f["year"], "criterion_index": i, "credit": credit}))
    # the same long table the engine builds (one row per state × year × criterion), then the totals
    credits = pd.concat(long, ignore_index=True)
    points = pd.Series([c.points for c in m.criteria])
    credits["points_awarded"] = credits["credit"].fillna(0).astype(float) * points.to_numpy()[credits["criterion_index"]]
    totals = credits.groupby(["state", "year"], as_index=False)["points_awarded"].sum().rename(
        columns={"points_awarded": "score"}).sort_values(["state", "year"])
    return time.perf_counter() - start, totals.reset_index(drop=True)


def synthetic_benchmark(jurisdictions: int, years: int, criteria: int) -> dict:
    t0 = time.perf_counter()
    staged, codes, first_year = synthetic_law(jurisdictions, years)
    m = synthetic_methodology(criteria, first_year)
    cal = calendar(first_year, 2025, [(8, 1)], tuple(codes))
    engine_seconds, engine_totals, evaluations, peak_mb = engine_in_child(staged, cal, m)
    pandas_seconds, pandas_totals = pandas_grade(staged, cal, m)
    a = engine_totals.astype({"year": "int64"}).reset_index(drop=True)
    b = pandas_totals.astype({"year": "int64"}).reset_index(drop=True)
    identical = a[["state", "year"]].equals(b[["state", "year"]]) and bool(np.allclose(a["score"], b["score"], atol=1e-9))
    return {
        "jurisdictions": jurisdictions, "years": years, "criteria": criteria, "evaluations": int(evaluations),
        "engine_seconds": round(engine_seconds, 3),
        "pandas_seconds": round(pandas_seconds, 3),
        "evaluations_per_second": round(evaluations / engine_seconds),
        "pandas_evaluations_per_second": round(evaluations / pandas_seconds),
        "speedup_vs_pandas": round(pandas_seconds / engine_seconds, 2),
        "peak_rss_mb": round(peak_mb, 1), "scores_identical": identical,
        "synthetic_wall_seconds": round(time.perf_counter() - t0, 2),
    }


# --- part 2: the shipped data --------------------------------------------------------------------

def shipped_benchmark() -> dict:
    from pipeline.definitions import build_definitions, execute_build
    from pipeline.defs.resources import ProjectPaths
    from pipeline.jurisdictions import USPS_CODES
    from pipeline.reports import Lookup, national_pages, state_pages, write_pages
    from pipeline.stages import run_stages
    from pipeline.staging import ingest_all, ingest_scorecards, staged_outputs
    from pipeline.warehouse import export_tables, publish_database

    raw = ROOT / "data" / "raw"
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        stages: dict[str, float] = {}
        t = time.perf_counter()
        results = ingest_all(raw)
        ingest_scorecards(raw)
        stages["ingest"] = time.perf_counter() - t
        t = time.perf_counter()
        graded = run_stages(raw)  # includes a second ingest: subtract it below
        stages["facts_and_grading"] = time.perf_counter() - t - stages["ingest"]
        t = time.perf_counter()
        publish_database(tmp / "direct.duckdb", staged_outputs(results))
        export_tables(tmp / "exports", staged_outputs(results))
        stages["publish"] = time.perf_counter() - t
        tables = graded.tables()
        t = time.perf_counter()
        write_pages(tmp / "reports", national_pages(tables))
        stages["charts_and_overviews"] = time.perf_counter() - t
        t = time.perf_counter()
        look = Lookup.build(tables)
        for state in USPS_CODES:
            write_pages(tmp / "reports", state_pages(tables, state, look))
        stages["report_cards"] = time.perf_counter() - t
        direct = sum(stages.values())
        out["stage_seconds"] = {k: round(v, 2) for k, v in stages.items()}
        out["direct_seconds"] = round(direct, 2)

        home = tmp / "home"
        home.mkdir()
        shutil.copy(ROOT / "dagster.yaml", home)
        os.environ["DAGSTER_HOME"] = str(home)
        (tmp / "README.md").write_text("# readme\n")
        paths = ProjectPaths(raw_dir=str(raw), warehouse=str(tmp / "w.duckdb"), export_dir=str(tmp / "dx"),
                             reports_dir=str(tmp / "dr"), readme=str(tmp / "README.md"), work_dir=str(tmp / "work"))
        defs = build_definitions(paths)
        t = time.perf_counter()
        assert execute_build(defs).success
        out["full_build_seconds"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        assert execute_build(defs, state="TX").success
        out["one_state_rebuild_seconds"] = round(time.perf_counter() - t, 2)
        out["dagster_overhead_ratio"] = round(out["full_build_seconds"] / direct, 2)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jurisdictions", type=int, default=3000, help="synthetic jurisdictions (default 3000)")
    p.add_argument("--years", type=int, default=30, help="years graded (default 30)")
    p.add_argument("--criteria", type=int, default=200, help="criteria in the synthetic methodology (default 200)")
    p.add_argument("--json", type=Path, help="write the results as JSON to this path")
    p.add_argument("--skip-shipped", action="store_true", help="skip part 2 (the shipped data and Dagster runs)")
    args = p.parse_args(argv)
    result = synthetic_benchmark(args.jurisdictions, args.years, args.criteria)
    print(json.dumps(result, indent=2), flush=True)
    if not args.skip_shipped:
        shipped = shipped_benchmark()
        print(json.dumps(shipped, indent=2))
        result.update(shipped)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["scores_identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
