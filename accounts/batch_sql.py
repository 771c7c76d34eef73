"""Planner settings for a transaction that reads and writes one batch of thousands of rows (a billing chunk,
a readings import), local to that transaction: nothing else on the connection changes.

- `jit = off`: the planner prices a statement over a whole chunk or file above `jit_above_cost`, and LLVM
  then spends more of the backend's CPU compiling it than the statement takes to run.
- `max_parallel_workers_per_gather = 0`: a chunk's statements each touch a few thousand rows by index; the
  planner still sends the readings of a chunk to two parallel workers with a hash of every billing state
  (bench/RESULTS.md, 12:40 UTC entry: 109 ms a chunk against 44 ms in the one backend). The run already
  keeps every core busy with its own lanes or workers; parallel workers only add processes and CPU.
"""

from django.db import connection

BATCH = {"jit": "off", "max_parallel_workers_per_gather": "0"}


def set_local(**settings: str) -> None:
    """SET LOCAL each of `settings` (PostgreSQL only; other databases have no such planner)."""
    if connection.vendor != "postgresql" or not settings:
        return
    with connection.cursor() as cursor:
        cursor.execute("; ".join(f"SET LOCAL {name} = {value}" for name, value in settings.items()))


def batch_transaction() -> None:
    """The batch settings for the rest of the current transaction."""
    set_local(**BATCH)
