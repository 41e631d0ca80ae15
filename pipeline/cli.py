"""`csec-grades`: build, check or locate the warehouse from a terminal.

    csec-grades build        ingest, grade and publish everything (a Dagster run)
    csec-grades validate     check data/raw only and list every rejected row
    csec-grades paths        show where the pipeline reads and writes
"""

import argparse
import os
import sys
from pathlib import Path

from pipeline.jurisdictions import USPS_CODES
from pipeline.settings import DEFAULTS, PROJECT_ROOT, setting


def _apply_overrides(args: argparse.Namespace) -> None:
    for flag, var in (("raw_dir", "CSEC_RAW_DIR"), ("warehouse", "CSEC_WAREHOUSE"),
                      ("export_dir", "CSEC_EXPORT_DIR"), ("reports_dir", "CSEC_REPORTS_DIR")):
        value = getattr(args, flag, None)
        if value:
            os.environ[var] = str(Path(value).resolve()) if not value.startswith("md:") else value
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT))


def _build(args: argparse.Namespace) -> int:
    from pipeline.definitions import build_definitions, execute_build

    home = Path(os.environ["DAGSTER_HOME"])
    if not (home / "dagster.yaml").exists():
        print(f"DAGSTER_HOME={home} has no dagster.yaml. Set DAGSTER_HOME to the repository root.",
              file=sys.stderr)
        return 2
    state = args.state.upper() if args.state else None
    if state and state not in USPS_CODES:
        print(f"--state {args.state!r} is not a USPS code of the 50 states or DC (e.g. TX).", file=sys.stderr)
        return 2
    scope = f"state {state} (plus the national tables)" if state else "all 51 jurisdictions"
    print(f"Building {scope} from {setting('CSEC_RAW_DIR')} ...", file=sys.stderr)
    result = execute_build(build_definitions(), state=state, reports=not args.no_reports)
    if not result.success:
        print("\nThe build failed; the previously published warehouse is unchanged.", file=sys.stderr)
        for event in result.all_events:
            if event.is_step_failure:
                error = event.step_failure_data.user_failure_data
                text = error.description if error else event.step_failure_data.error.message
                print(f"  {event.step_key}: {text.strip()}", file=sys.stderr)
        return 1
    print("\nDone.")
    print(f"  warehouse: {setting('CSEC_WAREHOUSE')}")
    print(f"  exports:   {setting('CSEC_EXPORT_DIR')}")
    if not args.no_reports:
        print(f"  reports:   {setting('CSEC_REPORTS_DIR')}/index.html")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from pipeline.staging import RAW_TABLES, ingest_all

    errors: dict = {}
    results = ingest_all(Path(setting("CSEC_RAW_DIR")), file_errors=errors)
    status = 1 if errors else 0
    for name in RAW_TABLES:
        if name in errors:
            print(f"ERROR {errors[name]}", file=sys.stderr)
            continue
        r = results[name]
        print(f"{r.file}: {r.rows_read} read, {len(r.accepted)} accepted, {r.rows_rejected} rejected")
        for message in r.rejected["message"]:
            print(f"  {message}")
        if r.rows_rejected:
            status = max(status, 1 if args.strict else 0)
    return status


def _paths(args: argparse.Namespace) -> int:
    for var in DEFAULTS:
        print(f"{var}={setting(var)}")
    print(f"DAGSTER_HOME={os.environ['DAGSTER_HOME']}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="csec-grades",
        description="Grade U.S. state laws against child sex trafficking from coded, cited statutes.",
        epilog="Locations default to the CSEC_* environment variables, then to the repository's "
        "data/ and reports/ folders. Run `csec-grades paths` to see them.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def locations(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--raw-dir", help="folder of raw inputs (default: data/raw)")
        sp.add_argument("--warehouse", help="DuckDB file to publish (default: data/processed/csec_law.duckdb)")
        sp.add_argument("--export-dir", help="folder for Parquet/CSV exports (default: data/processed/exports)")
        sp.add_argument("--reports-dir", help="folder for report cards and charts (default: reports)")

    b = sub.add_parser("build", help="ingest, grade and publish everything (a Dagster run)")
    locations(b)
    b.add_argument("--no-reports", action="store_true",
                   help="publish the warehouse and exports but do not render report cards")
    b.add_argument("--state", metavar="XX", help="rebuild one state's partition (e.g. TX) plus the national "
                   "tables, reusing the other states' last results")
    b.set_defaults(func=_build)
    v = sub.add_parser("validate", help="check the raw files and list every rejected row")
    locations(v)
    v.add_argument("--strict", action="store_true", help="exit 1 when any row is rejected")
    v.set_defaults(func=_validate)
    s = sub.add_parser("paths", help="show where the pipeline reads and writes")
    locations(s)
    s.set_defaults(func=_paths)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not getattr(args, "func", None):
        parser().print_help()
        return 2
    _apply_overrides(args)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
