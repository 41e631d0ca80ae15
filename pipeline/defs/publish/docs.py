"""Generated docs: data/raw/CODEBOOK.md and the README's coverage block."""

from pathlib import Path

import dagster as dg
import pandas as pd

from pipeline.defs.resources import ProjectPaths
from pipeline.docs import (coverage_summary, load_research_index, render_codebook, replace_block,
                           write_if_changed)


@dg.asset(
    group_name="published",
    kinds={"markdown"},
    tags={"stage": "published"},
    description="Grain: one codebook file and one README block. data/raw/CODEBOOK.md (from the contract, the facts and coverage) and the coverage "
    "summary block of the README, rewritten only when their content changes.",
)
def documentation(context: dg.AssetExecutionContext, paths: ProjectPaths,
                  coverage: pd.DataFrame) -> dg.MaterializeResult:
    codebook = render_codebook(coverage, load_research_index(paths.raw_path))
    changed = {"codebook": write_if_changed(paths.raw_path / "CODEBOOK.md", codebook)}
    readme = Path(paths.readme)
    summary = coverage_summary(coverage)
    if readme.exists():
        changed["readme"] = write_if_changed(readme, replace_block(readme.read_text(encoding="utf-8"), summary))
    context.log.info(f"documentation: {', '.join(k for k, v in changed.items() if v) or 'unchanged'}")
    return dg.MaterializeResult(metadata={"coverage": dg.MetadataValue.md(summary), **changed})
