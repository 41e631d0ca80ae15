"""A Dagster logger that prints what happened, not Dagster's step bookkeeping.

It passes on the assets' own messages (row counts, rejections, where files went) and step
failures, one line each, so a long run shows steady progress in a terminal.
"""

import logging
import sys

import dagster as dg


class _ProgressFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        if event is None:
            record.msg = f"[{step}] {meta.get('orig_message', record.getMessage())}" if step else record.getMessage()
            record.args = ()
            return record.levelno >= logging.INFO
        kind = getattr(event, "event_type_value", "")
        if kind == "STEP_FAILURE":
            record.msg = f"[{step}] FAILED: {meta.get('orig_message', '')}"
            record.args = ()
            return True
        if kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            evaluation = getattr(data, "evaluation", None) or data
            if getattr(evaluation, "passed", True):
                return False
            record.msg = f"[{step}] check failed: {getattr(evaluation, 'check_name', '')}"
            record.args = ()
            return True
        return False


@dg.logger(description="Compact progress lines on stderr: the assets' messages and failures.")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("csec_progress")
    log.setLevel(logging.INFO)
    log.propagate = False
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
        handler.addFilter(_ProgressFilter())
        log.addHandler(handler)
    return log
