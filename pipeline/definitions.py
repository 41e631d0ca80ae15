"""The Dagster code location: `dagster dev` / `dg dev` from the repository root loads `defs`."""

import dagster as dg

from pipeline.defs.automation import build_automation
from pipeline.defs.grading.assets import grading_assets
from pipeline.defs.ingest.assets import raw_assets, raw_scorecards
from pipeline.defs.grading.checks import grading_checks
from pipeline.defs.publish.assets import warehouse
from pipeline.defs.publish.docs import documentation
from pipeline.defs.publish.reports import report_cards, report_index
from pipeline.defs.io import StateParquetIOManager
from pipeline.defs.partitions import ALL_STATES_TAGS
from pipeline.defs.resources import ProjectPaths
from pipeline.settings import setting
from pipeline.progress import progress_logger

all_assets = [*raw_assets, raw_scorecards, *grading_assets, warehouse, documentation, report_cards, report_index]
all_checks = grading_checks  # the raw assets' checks run inside their own steps (check_specs)

build_everything = dg.define_asset_job(
    "build_everything", selection=dg.AssetSelection.all(), description="Ingest, grade and publish everything."
)
REPORT_ASSETS = dg.AssetSelection.assets("report_cards", "report_index")
build_tables = dg.define_asset_job(
    "build_tables", selection=dg.AssetSelection.all() - REPORT_ASSETS,
    description="Ingest, grade and publish the warehouse, without rendering report cards.",
)

raw_data_sensor, weekly_full_rebuild = build_automation(build_everything)


def build_definitions(paths: ProjectPaths | None = None) -> dg.Definitions:
    """Definitions with locations from the environment (or `paths`, for tests)."""
    return dg.Definitions(
        assets=all_assets,
        asset_checks=all_checks,
        jobs=[build_everything, build_tables],
        sensors=[raw_data_sensor],
        schedules=[weekly_full_rebuild],
        resources={"paths": paths or ProjectPaths.from_settings(),
                   "state_io": StateParquetIOManager(base_dir=(paths.work_dir if paths else setting("CSEC_WORK_DIR")))},
        loggers={"console": progress_logger},
    )


defs = build_definitions()


def execute_build(definitions: dg.Definitions, state: str | None = None,
                  reports: bool = True) -> dg.ExecuteInProcessResult:
    """Run `build_everything` (or `build_tables`, without report cards) in this process
    against the instance in $DAGSTER_HOME, for every state in one run (or for one state's
    partition, plus the national assets), printing compact progress lines instead of
    Dagster's step-by-step debug log."""
    job = definitions.resolve_job_def("build_everything" if reports else "build_tables")
    with dg.DagsterInstance.get() as instance:
        return job.execute_in_process(
            instance=instance, raise_on_error=False, run_config={"loggers": {"console": {}}},
            partition_key=state, tags=None if state else ALL_STATES_TAGS,
        )
