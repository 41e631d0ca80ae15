"""Checks on the raw assets: every row read is accounted for; excerpts support the coding.

They run inside each raw asset's own step (declared as its check specs), so twenty-odd checks
add no steps of their own to a run; each still shows in the UI under its asset.
"""


import dagster as dg

from pipeline.contract import load_contract
from pipeline.defs.metadata import preview
from pipeline.excerpts import check_excerpts
from pipeline.ingest import IngestResult
from pipeline.schemas import overlapping_pairs
from pipeline.staging import STATUTE_TABLES

DESCRIPTIONS = {
    "rows_accounted_for": "Every row read is either accepted or in rejected_rows: accepted + rejected = read.",
    "no_rejected_rows": "Warns when rows were rejected; lists them with line, column, value and rule.",
    "excerpts_agree": "Each row's excerpt supports its coded class, prison terms, fine and defense; rows whose "
                      "coded values contradict their excerpt are listed (warning).",
    "no_overlapping_versions": "No two accepted versions of one provision are in force at once (overlapping rows "
                               "are rejected at ingest; this confirms none reached the staged table).",
}
BLOCKING = {"rows_accounted_for", "no_overlapping_versions"}


def check_names(name: str) -> list[str]:
    """The checks of raw_<name>: accounting for every file, coding checks for statute tables."""
    extra = ["excerpts_agree", "no_overlapping_versions"] if name in STATUTE_TABLES else []
    return ["rows_accounted_for", "no_rejected_rows", *extra]


def check_specs(name: str) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(check, asset=f"raw_{name}", description=DESCRIPTIONS[check], blocking=check in BLOCKING)
            for check in check_names(name)]


def _accounting(result: IngestResult) -> dg.AssetCheckResult:
    accepted, rejected = len(result.accepted), result.rows_rejected
    return dg.AssetCheckResult(
        check_name="rows_accounted_for", passed=accepted + rejected == result.rows_read,
        metadata={"read": result.rows_read, "accepted": accepted, "rejected": rejected},
    )


def _rejections(result: IngestResult) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name="no_rejected_rows", passed=result.rows_rejected == 0, severity=dg.AssetCheckSeverity.WARN,
        metadata={"rows_rejected": result.rows_rejected,
                  "failing_values": preview(result.rejected[["line", "column", "value", "rule", "message"]], rows=50)},
    )


def _excerpts(name: str, result: IngestResult) -> dg.AssetCheckResult:
    flags = check_excerpts(result.accepted, name)
    return dg.AssetCheckResult(
        check_name="excerpts_agree", passed=flags.empty, severity=dg.AssetCheckSeverity.WARN,
        metadata={"rows_checked": len(result.accepted), "contradictions": len(flags),
                  "failing_values": preview(flags, rows=50)},
    )


def _overlaps(name: str, result: IngestResult) -> dg.AssetCheckResult:
    key = list(load_contract().tables[name].key)
    pairs = overlapping_pairs(result.accepted.reset_index(drop=True), key)
    rejected = result.rejected[result.rejected["rule"] == "overlap"]
    return dg.AssetCheckResult(
        check_name="no_overlapping_versions", passed=pairs.empty,
        metadata={"overlapping_accepted_rows": len(pairs), "rejected_for_overlap": len(rejected),
                  "failing_values": preview(rejected[["line", "message"]], rows=50)},
    )


def check_results(name: str, result: IngestResult) -> list[dg.AssetCheckResult]:
    """The results of every check of raw_<name> on this ingest result."""
    make = {"rows_accounted_for": lambda: _accounting(result), "no_rejected_rows": lambda: _rejections(result),
            "excerpts_agree": lambda: _excerpts(name, result), "no_overlapping_versions": lambda: _overlaps(name, result)}
    return [make[check]() for check in check_names(name)]
