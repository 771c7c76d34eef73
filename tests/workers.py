"""Real Celery worker processes on the database the caller is using (tests and benchmarks)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.db import connection

from tests.clock import child_environment

BASE_DIR = Path(__file__).resolve().parent.parent


def start_worker(
    name: str,
    log: Path | None = None,
    queues: str = "celery",
    pool: str = "solo",
    redis_url: str | None = None,
) -> subprocess.Popen:
    """`celery worker` in its own process group, with the current (test) database and the test broker.

    `queues`: the default queue only unless asked (`celery,documents` also renders invoice PDFs).
    `pool`: solo (the task runs in the worker process) or prefork (one pool child that can be killed).
    `redis_url`: a Redis the test started itself (tests/servers.py), instead of the shared one."""
    db = connection.settings_dict
    clock = child_environment()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        **clock,
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
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
            pool,
            "--concurrency",
            "1",
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


def pool_children(worker: subprocess.Popen) -> list[int]:
    """The pids of a prefork worker's pool processes (what the OOM killer picks: the one doing the work)."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def stop_worker(worker: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        worker.wait(timeout=60)
