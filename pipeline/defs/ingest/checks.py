"""Checks on the raw assets: every row read is accounted for; excerpts support the coding."""


import dagster as dg

from pipeline.defs.metadata import preview
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
