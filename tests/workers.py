"""Real Celery worker processes on the database the caller is using (tests and benchmarks)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.db import connection

from tests.clock import child_environment

BASE_DIR = Path(__file__).resolve().parent.parent


def start_worker(name: str, log: Path | None = None, queues: str = "celery") -> subprocess.Popen:
    """`celery worker` in its own process group, with the current (test) database and the test broker.

    `queues`: the default queue only unless asked (`celery,documents` also renders invoice PDFs)."""
    db = connection.settings_dict
    clock = child_environment()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        **clock,
    }
    # On a pinned test clock (PORTAL_TEST_TODAY) the worker continues this process's clock.
    runner = ["tests.pinned_process", "celery"] if clock else ["celery"]
    if log:
        log.parent.mkdir(parents=True, exist_ok=True)
    output = log.open("w") if log else subprocess.DEVNULL
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            *runner,
            "-A",
            "portal",
            "worker",
            "--pool",
            "solo",
            "-n",
            f"{name}@%h",
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queues,
        ],
        cwd=BASE_DIR,
        env=env,
        start_new_session=True,
        stdout=output,
        stderr=subprocess.STDOUT,
    )


def stop_worker(worker: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        worker.wait(timeout=60)
