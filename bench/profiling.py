"""What a benchmark costs, not only how long it took: CPU-seconds per item and a profile's top costs.

Every bench prints CPU-seconds next to wall time because the machine it runs on is often shared: wall time
then measures the run queue, CPU-seconds measure the work. The two helpers:

    from bench.profiling import cpu_meter, profiled

    with cpu_meter() as cpu:             # this process and the children it has waited for (a pool, COPY)
        run_the_thing()
    print(cpu.summary(100_000, "account"))   # "12.34 s wall, 5.67 CPU-s, 0.057 ms CPU/account"

    with profiled(args.profile):         # --profile: cProfile, then the top five costs printed
        run_one_chunk()

`cpu_meter(pids=[server.pid])` also counts other process trees (gunicorn, a Celery worker: the process
and its children alive at the end); `backend_cpu_seconds()` is the CPU of this connection's PostgreSQL
backend (same machine only), for benches whose work is mostly SQL.
`add_profile_argument(parser)` adds the shared `--profile` flag.
"""

import cProfile
import io
import os
import pstats
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds() -> float:
    """User + system CPU of this process and of the children it has waited for."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def pid_cpu_seconds(pid: int) -> float:
    """User + system CPU of one process from /proc/<pid>/stat (fields 14 and 15); 0 once it has ended."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_cpu_seconds() -> float:
    """Busy CPU-seconds of the whole machine so far, every core and process (/proc/stat: all but idle and
    iowait): what a bench's own processes do not account for is the rest of the machine's work (PostgreSQL's
    autovacuum and WAL writer, Redis, the bench's own sampling)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICKS


def processes_cpu_seconds() -> dict[int, tuple[str, float]]:
    """Every process alive now: pid -> (what it is, CPU-seconds so far). PostgreSQL's processes are named by
    their title ("postgres: autovacuum worker", "postgres: walwriter"; a backend by its user and database)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, rest = stat.read_text().split("(", 1)[1].rsplit(")", 1)
            title = stat.with_name("cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: "):
            name = " ".join(title.split()[:3]) if "autovacuum" in title else " ".join(title.split()[:2])
        fields = rest.split()
        found[int(stat.parent.name)] = (name, (int(fields[11]) + int(fields[12])) / TICKS)
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and of every descendant alive now (gunicorn's workers, a Celery pool)."""
    total, queue = 0.0, [pid]
    while queue:
        current = queue.pop()
        total += pid_cpu_seconds(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                queue += [int(child) for child in task.read_text().split()]
            except OSError:
                pass
    return total


def backend_cpu_seconds(connection=None) -> float:
    """CPU so far of the PostgreSQL backend serving `connection` (Django's default one when omitted)."""
    if connection is None:
        from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return pid_cpu_seconds(cursor.fetchone()[0])


@dataclass
class CpuMeter:
    """Wall and CPU seconds of a block; filled in when the `with` ends."""

    pids: tuple[int, ...] = ()
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    _start: tuple[float, float] = field(default=(0.0, 0.0), repr=False)

    def per_item_ms(self, items: int) -> float:
        return self.cpu_seconds / max(items, 1) * 1000

    def summary(self, items: int, unit: str = "item") -> str:
        return (
            f"{self.wall_seconds:.2f} s wall, {self.cpu_seconds:.2f} CPU-s, {self.per_item_ms(items):.3f} ms CPU/{unit}"
        )

    def _now(self) -> float:
        return process_cpu_seconds() + sum(tree_cpu_seconds(pid) for pid in self.pids)


@contextmanager
def cpu_meter(pids=()):
    """Measure the wall time and CPU-seconds of the block (see the module's docstring for what is counted)."""
    meter = CpuMeter(pids=tuple(pids))
    start_cpu, start_wall = meter._now(), time.perf_counter()
    try:
        yield meter
    finally:
        meter.wall_seconds = time.perf_counter() - start_wall
        meter.cpu_seconds = meter._now() - start_cpu


def profile_summary(stats: pstats.Stats, top: int = 5) -> list[str]:
    """The top costs of a profile, by own time and by cumulative time, as printable lines."""
    lines = []
    total = stats.total_tt or 1e-9
    for key, title in (("tottime", "own time"), ("cumtime", "cumulative")):
        rows = []
        for func, (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():
            filename, line, name = func
            where = name if filename == "~" else f"{_short(filename)}:{line}({name})"
            rows.append((tottime if key == "tottime" else cumtime, calls, where))
        rows = [row for row in rows if "profiling.py" not in row[2] and "disable' of" not in row[2]]
        if key == "cumtime":
            # The calls that wrap the whole block (the bench's loop, the task) say nothing: leave them out.
            rows = [row for row in rows if row[0] < 0.95 * total]
        rows.sort(reverse=True)
        wrappers = " (calls wrapping over 95 % left out)" if key == "cumtime" else ""
        lines.append(f"profile: top {top} by {title} (of {total:.2f} s profiled){wrappers}")
        lines += [
            f"  {seconds:8.3f} s {seconds / total:6.1%} {calls:>9,} calls  {where}"
            for seconds, calls, where in rows[:top]
        ]
    return lines


def _short(filename: str) -> str:
    project = str(Path(__file__).resolve().parent.parent) + "/"
    if filename.startswith(project) and "site-packages/" not in filename:
        return filename[len(project) :]
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1]
    return re.sub(r"^.*/lib/python3\.\d+/", "", filename)


@contextmanager
def profiled(enabled: bool = True, top: int = 5, label: str = "", clock: str = "cpu"):
    """cProfile the block when `enabled` and print its top costs; yields a holder whose `.lines` keep them.

    `clock="cpu"` (default) times this process's CPU, so a loaded machine's run queue and the waits on
    PostgreSQL do not count (measure those with `backend_cpu_seconds`); `clock="thread"` this thread's CPU
    only (a profiled thread beside others); `clock="wall"` times everything."""
    holder = _Profile()
    if not enabled:
        yield holder
        return
    timers = {"cpu": time.process_time, "thread": time.thread_time}
    profiler = cProfile.Profile(timers[clock]) if clock in timers else cProfile.Profile()
    profiler.enable()
    try:
        yield holder
    finally:
        profiler.disable()
        holder.stats = pstats.Stats(profiler, stream=io.StringIO())
        holder.lines = profile_summary(holder.stats, top)
        print((f"{label}: " if label else "") + "\n".join(holder.lines), flush=True)


@dataclass
class _Profile:
    stats: pstats.Stats | None = None
    lines: list[str] = field(default_factory=list)


def add_profile_argument(parser) -> None:
    parser.add_argument("--profile", action="store_true", help="cProfile the measured work and print its top 5 costs")
