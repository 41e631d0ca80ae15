"""Dagster definitions, by concept: ingest (raw), publish (warehouse)."""
