"""Plain `pytest` (issue 19 item 6): pure tests run with no Redis at all, and a test that needs Redis gets
one from the `redis` fixture, which starts the embedded server and stops it after the run.

Each case runs pytest in a child process with REDIS_URL and DATABASE_URL unset and the embedded socket in
a folder of its own, so the Redis of this run (`make test`'s) is neither used nor disturbed."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def plain_pytest(tmp_path: Path, *tests: str) -> tuple[subprocess.CompletedProcess, Path]:
    socket = tmp_path / "redis" / "redis.sock"
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    env["EMBEDDED_REDIS_SOCKET"] = str(socket)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", *tests],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result, socket


def test_pure_tests_run_with_no_redis(tmp_path):
    result, socket = plain_pytest(
        tmp_path, "tests/readings/test_reminder_texts.py", "tests/readings/test_reminders_dates.py"
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout
    assert "embedded Redis" not in result.stdout and not socket.parent.exists()


def test_a_test_that_needs_redis_gets_it_from_the_fixture(tmp_path):
    result, socket = plain_pytest(tmp_path, "tests/accounts/test_link_services.py::test_failures_are_limited_per_user")
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"embedded Redis started on {socket}" in result.stdout
    assert "embedded Redis stopped" in result.stdout and not socket.exists()
