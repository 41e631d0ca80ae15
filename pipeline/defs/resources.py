"""Where the assets read and write, from settings (environment variables) by default."""


from pathlib import Path

import dagster as dg

from pipeline.settings import setting


class ProjectPaths(dg.ConfigurableResource):
    """Folders and files the pipeline uses. Defaults come from CSEC_* environment variables."""

    raw_dir: str
    warehouse: str
    export_dir: str
    reports_dir: str
    readme: str
    work_dir: str

    @classmethod
    def from_settings(cls) -> "ProjectPaths":
        return cls(
            raw_dir=setting("CSEC_RAW_DIR"),
            warehouse=setting("CSEC_WAREHOUSE"),
            export_dir=setting("CSEC_EXPORT_DIR"),
            reports_dir=setting("CSEC_REPORTS_DIR"),
            readme=setting("CSEC_README"),
            work_dir=setting("CSEC_WORK_DIR"),
        )

    @property
    def raw_path(self) -> Path:
        return Path(self.raw_dir)
