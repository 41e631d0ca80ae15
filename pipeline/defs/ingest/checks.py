"""Checks on the raw assets: every row read is accounted for; excerpts support the coding."""


import dagster as dg

from pipeline.contract import load_contract
from pipeline.defs.metadata import preview
from pipeline.schemas import overlapping_pairs
from pipeline.excerpts import check_excerpts
from pipeline.staging import RAW_TABLES, STATUTE_TABLES, Scorecards


def accounting_check(name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=f"raw_{name}",
        name="rows_accounted_for",
        blocking=True,
        description="Every row read is either accepted or in rejected_rows: accepted + rejected = read.",
    )
    def _check(value) -> dg.AssetCheckResult:
        result = value.ingest if isinstance(value, Scorecards) else value
        accepted, rejected = len(result.accepted), result.rows_rejected
        return dg.AssetCheckResult(
            passed=accepted + rejected == result.rows_read,
            metadata={"read": result.rows_read, "accepted": accepted, "rejected": rejected},
        )

    return _check


accounting_checks = [accounting_check(name) for name in (*RAW_TABLES, "scorecards")]


def excerpt_check(name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=f"raw_{name}",
        name="excerpts_agree",
        description="Each row's excerpt supports its coded class, prison terms, fine and defense; "
        "rows whose coded values contradict their excerpt are listed (warning).",
    )
    def _check(result) -> dg.AssetCheckResult:
        flags = check_excerpts(result.accepted, name)
        return dg.AssetCheckResult(
            passed=flags.empty,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rows_checked": len(result.accepted), "contradictions": len(flags),
                      "failing_values": preview(flags, rows=50)},
        )

    return _check


excerpt_checks = [excerpt_check(name) for name in STATUTE_TABLES]


def overlap_check(name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=f"raw_{name}",
        name="no_overlapping_versions",
        blocking=True,
        description="No two accepted versions of one provision are in force at once (overlapping "
        "rows are rejected at ingest; this confirms none reached the staged table).",
    )
    def _check(result) -> dg.AssetCheckResult:
        key = list(load_contract().tables[name].key)
        pairs = overlapping_pairs(result.accepted.reset_index(drop=True), key)
        rejected = result.rejected[result.rejected["rule"] == "overlap"]
        return dg.AssetCheckResult(
            passed=pairs.empty,
            metadata={"overlapping_accepted_rows": len(pairs), "rejected_for_overlap": len(rejected),
                      "failing_values": preview(rejected[["line", "message"]], rows=50)},
        )

    return _check


def rejection_check(name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=f"raw_{name}",
        name="no_rejected_rows",
        description="Warns when rows were rejected; lists them with line, column, value and rule.",
    )
    def _check(value) -> dg.AssetCheckResult:
        result = value.ingest if isinstance(value, Scorecards) else value
        return dg.AssetCheckResult(
            passed=result.rows_rejected == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rows_rejected": result.rows_rejected,
                      "failing_values": preview(result.rejected[["line", "column", "value", "rule", "message"]], rows=50)},
        )

    return _check


overlap_checks = [overlap_check(name) for name in STATUTE_TABLES]
rejection_checks = [rejection_check(name) for name in (*RAW_TABLES, "scorecards")]
