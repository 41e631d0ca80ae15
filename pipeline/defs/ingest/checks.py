"""Checks on the raw assets: every row read is accounted for."""


import dagster as dg

from pipeline.staging import RAW_TABLES, Scorecards


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
