"""`python -m tests.pinned_process celery ...`: run a command-line program on the test run's pinned clock.

tests/workers.py starts Celery workers through this when PORTAL_TEST_TODAY pins the clock, so a task
computes "today" as the test that queued it does.
"""

import datetime
import os
import runpy
import sys

import time_machine

from tests.clock import NOW_VARIABLE

if __name__ == "__main__":
    now = os.environ.get(NOW_VARIABLE)
    if now:
        time_machine.travel(datetime.datetime.fromisoformat(now), tick=True).start()
    module, sys.argv = sys.argv[1], sys.argv[1:]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
