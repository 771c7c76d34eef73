"""Moved to `billing.run.plan`: these names stay importable from here for callers written before the move (and work
in flight); new code imports from the new place."""

from billing.run.plan import (
    ACTUAL,
    NORM,
    PASS_ACTUAL,
    PASS_FINAL,
    REVERSAL,
    ChargeLine,
    MeterInput,
    MeterPlan,
    NewState,
    OpenEstimate,
    Rules,
    history_start,
    plan_meter,
)

__all__ = [
    "ACTUAL",
    "NORM",
    "PASS_ACTUAL",
    "PASS_FINAL",
    "REVERSAL",
    "ChargeLine",
    "MeterInput",
    "MeterPlan",
    "NewState",
    "OpenEstimate",
    "Rules",
    "history_start",
    "plan_meter",
]
