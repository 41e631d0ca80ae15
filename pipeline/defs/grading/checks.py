"""Checks next to the facts and graded assets. A failing check lists the failing values."""

import dagster as dg
import pandas as pd

from pipeline.defs.metadata import preview

COVERAGE_WARN_BELOW = 0.6  # share of state × topic cells coded in the latest year
DRIFT_WARN_ABOVE = 15.0  # mean absolute difference from published percents, in points


@dg.asset_check(asset="state_grades", blocking=True,
                description="0 ≤ score ≤ coded_max ≤ max_score, 0 ≤ percent ≤ 100, and a letter only when coded.")
def grade_bounds(state_grades: pd.DataFrame) -> dg.AssetCheckResult:
    g = state_grades
    bad = g[(g["score"] < 0) | (g["score"] > g["coded_max"] + 1e-9) | (g["coded_max"] > g["max_score"] + 1e-9)
            | (g["percent"] < 0) | (g["percent"] > 100 + 1e-9) | (g["grade"].notna() & (g["coded_max"] <= 0))]
    return dg.AssetCheckResult(passed=bad.empty, metadata={"rows_checked": len(g), "failing_rows": len(bad),
                                                           "failing_values": preview(bad, rows=50)})


@dg.asset_check(asset="coverage", description=f"Warns when less than {COVERAGE_WARN_BELOW:.0%} of state × topic "
                "cells are coded in the latest year; lists the jurisdictions not coded.")
def coverage_threshold(coverage: pd.DataFrame) -> dg.AssetCheckResult:
    latest = coverage[coverage["year"] == coverage["year"].max()]
    share = float((latest["status"] != "not_coded").mean()) if len(latest) else 0.0
    missing = latest[latest["status"] == "not_coded"].groupby("topic")["state"].apply(", ".join).reset_index()
    return dg.AssetCheckResult(passed=share >= COVERAGE_WARN_BELOW, severity=dg.AssetCheckSeverity.WARN,
                               metadata={"coded_share": share, "threshold": COVERAGE_WARN_BELOW,
                                         "not_coded": preview(missing)})


@dg.asset_check(asset="published_comparison", description="Warns when our percents drift more than "
                f"{DRIFT_WARN_ABOVE:g} points on average from the published ones they are compared with.")
def published_drift(published_comparison: pd.DataFrame) -> dg.AssetCheckResult:
    c = published_comparison.dropna(subset=["percent_difference"])
    drift = float(c["percent_difference"].abs().mean()) if len(c) else 0.0
    worst = c.reindex(c["percent_difference"].abs().sort_values(ascending=False).index).head(20)
    return dg.AssetCheckResult(passed=drift <= DRIFT_WARN_ABOVE, severity=dg.AssetCheckSeverity.WARN,
                               metadata={"comparisons": len(c), "mean_abs_difference": drift,
                                         "largest_differences": preview(worst[["methodology", "state", "year",
                                                                               "our_percent", "published_percent",
                                                                               "percent_difference"]])})


grading_checks = [grade_bounds, coverage_threshold, published_drift]
