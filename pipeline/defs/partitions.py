"""State partitions: one key per jurisdiction (the 50 states and DC, from the `us` package)."""

import dagster as dg

from pipeline.jurisdictions import USPS_CODES

state_partitions = dg.StaticPartitionsDefinition(list(USPS_CODES))

# Tags that make one run cover every state partition (with single-run backfill policies).
ALL_STATES_TAGS = {
    "dagster/asset_partition_range_start": USPS_CODES[0],
    "dagster/asset_partition_range_end": USPS_CODES[-1],
}
