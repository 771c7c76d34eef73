"""Moved to `billing.run` (services, selectors, interim).

These names stay importable from here for callers written before the move (and work in flight);
new code imports from the new place."""

from billing.run.interim import interim_bill
from billing.run.selectors import billing_rules, pending_chunk_ids
from billing.run.services import (
    MonthClosed,
    PassAlreadyDone,
    RunRefused,
    chunk_bill,
    run_fail,
    run_finish,
    run_finish_if_complete,
    run_in_process,
    run_start,
    runs_resume_stale,
)

__all__ = [
    "MonthClosed",
    "PassAlreadyDone",
    "RunRefused",
    "billing_rules",
    "chunk_bill",
    "interim_bill",
    "pending_chunk_ids",
    "run_fail",
    "run_finish",
    "run_finish_if_complete",
    "run_in_process",
    "run_start",
    "runs_resume_stale",
]
