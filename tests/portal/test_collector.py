"""`portal.collector.collector_paused`: Python's cycle collector off while a batch holds its rows, back on as
it was when the last overlapping batch ends, and a full collection every few batches while lanes keep it
off (so cycles a run makes are still freed)."""

import gc
import threading

import pytest

from portal import collector
from portal.collector import FULL_COLLECTION_EVERY, collector_paused


@pytest.fixture(autouse=True)
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def cycles(count: int) -> None:
    """`count` unreachable reference cycles: only the cycle collector frees them."""
    for _ in range(count):
        node: dict = {}
        node["self"] = node


def test_off_inside_and_back_on_after_even_on_an_error():
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("the chunk failed")
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_overlapping_batches_keep_it_off_until_the_last_one_ends():
    first_inside, second_done = threading.Event(), threading.Event()
    seen = []

    def other_lane():
        with collector_paused():
            first_inside.set()
            second_done.wait(timeout=10)
            seen.append(gc.isenabled())

    lane = threading.Thread(target=other_lane)
    lane.start()
    assert first_inside.wait(timeout=10)
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled(), "the other lane's chunk is still running"
    second_done.set()
    lane.join(timeout=10)
    assert seen == [False] and gc.isenabled()


def test_while_lanes_keep_it_off_every_few_batches_collect_the_cycles_in_full():
    full_collections = []

    def noted(phase, info):
        if phase == "stop" and info["generation"] == 2:
            full_collections.append(info["collected"])

    gc.collect()
    gc.callbacks.append(noted)
    try:
        with collector_paused():  # a lane in the middle of a long chunk: the collector stays off throughout
            for _ in range(FULL_COLLECTION_EVERY - 1):
                with collector_paused():
                    cycles(100)
            assert full_collections == [] and not gc.isenabled()
            with collector_paused():
                cycles(100)
            assert len(full_collections) == 1 and full_collections[0] >= 100 * FULL_COLLECTION_EVERY
            assert not gc.isenabled()
        assert gc.isenabled() and collector._state["holders"] == 0
    finally:
        gc.callbacks.remove(noted)
