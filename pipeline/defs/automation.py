"""Runs without a person: a sensor that rebuilds what changed in data/raw, and a weekly full
rebuild (off by default; switch it on in the UI under Automation).

The sensor keeps, as its cursor, a fingerprint of data/raw: for each statute file a hash of
each state's rows, for every other file a hash of the whole file. Rows of a few states
changed → one run per changed state partition (that state plus the national tables).
Published grades changed → only the comparison and the warehouse. Anything else (a
methodology, a file that cannot be split by state, or many states) → one full run.
"""

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipeline.contract import load_contract
from pipeline.defs.partitions import ALL_STATES_TAGS
from pipeline.defs.resources import ProjectPaths
from pipeline.jurisdictions import USPS_CODES

WHOLE_FILE = "*"
PER_STATE_FILES = tuple(load_contract().tables[name].path for name in load_contract().statute_tables)
PUBLISHED_FILES = ("reference/published_grades.csv",)
MAX_STATE_RUNS = 5
PUBLISHED_ASSETS = ["raw_published_grades", "published_comparison", "warehouse"]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def fingerprint(raw_dir: Path) -> dict[str, dict[str, str]]:
    """{relative path: {state or '*': hash}} for every file under raw_dir."""
    out: dict[str, dict[str, str]] = {}
    root = Path(raw_dir)
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rel = path.relative_to(root).as_posix()
        data = path.read_bytes()
        out[rel] = {WHOLE_FILE: _digest(data)}
        if rel in PER_STATE_FILES:
            by_state = _split_by_state(data)
            if by_state is not None:
                out[rel] = by_state
    return out


def _split_by_state(data: bytes) -> dict[str, str] | None:
    """Hash of each state's rows (header included), or None when the file cannot be split."""
    try:
        text = data.decode("utf-8-sig")
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader)
        col = [h.strip() for h in header].index("state")
        groups: dict[str, list[str]] = {}
        for row in reader:
            state = row[col].strip() if len(row) > col else ""
            groups.setdefault(state if state in USPS_CODES else "?", []).append(json.dumps(row))
    except (UnicodeDecodeError, StopIteration, ValueError, csv.Error):
        return None
    head = json.dumps(header)
    return {s: _digest("\n".join([head, *rows]).encode()) for s, rows in groups.items()}


@dataclass
class Plan:
    full: bool = False
    states: list[str] = field(default_factory=list)
    published_only: bool = False

    @property
    def empty(self) -> bool:
        return not (self.full or self.states or self.published_only)


def plan_runs(old: dict | None, new: dict) -> Plan:
    """What to rebuild when data/raw went from fingerprint `old` to `new`."""
    if old is None:
        return Plan(full=True)
    changed = sorted(set(old) | set(new))
    changed = [f for f in changed if old.get(f) != new.get(f)]
    if not changed:
        return Plan()
    states: set[str] = set()
    published = False
    for f in changed:
        if f in PUBLISHED_FILES:
            published = True
        elif f in PER_STATE_FILES and WHOLE_FILE not in old.get(f, {WHOLE_FILE: ""}) \
                and WHOLE_FILE not in new.get(f, {WHOLE_FILE: ""}):
            before, after = old[f], new[f]
            states |= {s for s in set(before) | set(after) if before.get(s) != after.get(s)}
        elif f.startswith("research_log/") or f.endswith(".md"):
            continue  # notes: nothing to grade
        else:
            return Plan(full=True)
    if "?" in states or len(states) > MAX_STATE_RUNS:
        return Plan(full=True)
    return Plan(states=sorted(states), published_only=published and not states)


def run_requests(plan: Plan, digest: str) -> list[dg.RunRequest]:
    if plan.full:
        return [dg.RunRequest(run_key=f"full-{digest}", tags=ALL_STATES_TAGS)]
    if plan.states:
        return [dg.RunRequest(run_key=f"{s}-{digest}", partition_key=s) for s in plan.states]
    if plan.published_only:
        return [dg.RunRequest(run_key=f"published-{digest}", asset_selection=[dg.AssetKey(a) for a in PUBLISHED_ASSETS])]
    return []


def build_automation(job):
    @dg.sensor(
        job=job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Watches data/raw (content hashes per file, per state for statute files) and "
        "requests a run for what changed: one state partition per changed state, or a full build.",
    )
    def raw_data_sensor(context: dg.SensorEvaluationContext, paths: ProjectPaths):
        new = fingerprint(paths.raw_path)
        old = json.loads(context.cursor) if context.cursor else None
        plan = plan_runs(old, new)
        cursor = json.dumps(new, sort_keys=True)
        context.update_cursor(cursor)
        if plan.empty:
            return dg.SkipReason("data/raw is unchanged")
        return run_requests(plan, _digest(cursor.encode()))

    @dg.schedule(
        job=job,
        cron_schedule="0 6 * * 1",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Full rebuild every Monday 06:00 (off by default; turn it on in the UI).",
    )
    def weekly_full_rebuild(context: dg.ScheduleEvaluationContext):
        return dg.RunRequest(run_key=None, tags=ALL_STATES_TAGS)

    return raw_data_sensor, weekly_full_rebuild
