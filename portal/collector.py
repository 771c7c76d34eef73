"""Python's cyclic garbage collector paused while a batch holds its rows (no Django: a process-wide switch).

A chunk of the monthly run keeps hundreds of thousands of small objects alive until it commits: meter
inputs, charge and invoice rows, each invoice's content. Every one that survives a young collection counts
toward the next full collection, which walks every object of the process, the chunk's included. Measured
(bench/RESULTS.md, session 9, 50,000 accounts in one process): pass actual ran 12 full collections, 1.05
CPU-s of the process's 3.99, and the young ones 0.30 more; with the collector paused the process spent 2.97.
Cycles are what the collector is for, and a chunk makes few: a full collection after a whole pass found
22,122 unreachable objects for 10 chunks (2,200 a chunk); reference counting frees everything else as
usual, collector or not.

The readings import pauses it the same way (a 100,000-row file: a million small tuples and dicts). So
while any batch is inside `collector_paused()` the collector is off; the last one to leave turns it
back on, as it was. Lanes (threads) overlap their chunks, so the collector might never be turned back on
during a run: every `FULL_COLLECTION_EVERY` exits that leave it off, the leaving batch collects in full
itself, which bounds the garbage to that many chunks' cycles.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

FULL_COLLECTION_EVERY = 8

_lock = threading.Lock()
_state = {"holders": 0, "was_enabled": True, "exits_while_paused": 0}


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off for the block (and for every overlapping one); restored when the last one ends."""
    with _lock:
        if _state["holders"] == 0:
            _state["was_enabled"] = gc.isenabled()
            gc.disable()
        _state["holders"] += 1
    try:
        yield
    finally:
        collect = False
        with _lock:
            _state["holders"] -= 1
            if _state["holders"] == 0:
                _state["exits_while_paused"] = 0
                if _state["was_enabled"]:
                    gc.enable()
            elif _state["was_enabled"]:
                _state["exits_while_paused"] += 1
                if _state["exits_while_paused"] >= FULL_COLLECTION_EVERY:
                    _state["exits_while_paused"], collect = 0, True
        if collect:
            gc.collect()
