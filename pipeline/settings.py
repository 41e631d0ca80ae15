"""Where the pipeline reads and writes. Environment variables override the defaults, so the
same code runs on a laptop, in CI or against a shared warehouse without changes.

| variable | default |
| --- | --- |
| CSEC_RAW_DIR | data/raw |
| CSEC_WAREHOUSE | data/processed/csec_law.duckdb (a DuckDB path; `md:` DSNs are passed through) |
| CSEC_EXPORT_DIR | data/processed/exports |
| CSEC_REPORTS_DIR | reports |
| CSEC_WORK_DIR | data/processed/work (per-state intermediate results between runs) |
| CSEC_README | README.md (its generated coverage block is refreshed by each build) |

Relative paths are taken from the project root (the folder holding pyproject.toml).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

DEFAULTS = {
    "CSEC_RAW_DIR": "data/raw",
    "CSEC_WAREHOUSE": "data/processed/csec_law.duckdb",
    "CSEC_EXPORT_DIR": "data/processed/exports",
    "CSEC_REPORTS_DIR": "reports",
    "CSEC_README": "README.md",
    "CSEC_WORK_DIR": "data/processed/work",
}


def setting(name: str) -> str:
    """A location from the environment or its default; relative paths resolve from the root."""
    value = os.environ.get(name) or DEFAULTS[name]
    if value.startswith("md:"):
        return value
    path = Path(value)
    return str(path if path.is_absolute() else PROJECT_ROOT / path)
