"""The one way the portal queues a Celery task: after the commit, never failing the caller.

Every write that hands work to a worker (send an email, render a PDF, fan out notices, build print
batches) records the work in a row first; the task only does what the row says. So when the broker is
unreachable the write is still done: this module logs the error and returns, and a periodic sweeper
(`accounts.tasks.email_requeue_overdue`, `billing.tasks.invoices_render_missing`,
`billing.tasks.estimate_notices_missing`, `billing.tasks.print_batches_waiting`,
`readings.tasks.reading_decision_notices_missing`) finds the rows whose work is due and queues them again.

Tasks queued here are fire-and-forget: no result is stored or subscribed to (with the Redis result
backend every `.delay()` otherwise opens a subscription nobody reads, and hangs when Redis is down).
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)

# One quick retry, then give up: the sweeper is the retry. A page must not wait seconds for a dead broker.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def enqueue(task, *args, **kwargs) -> bool:
    """Publish `task(*args, **kwargs)` now. False (and a log line) when the broker is unreachable."""
    try:
        task.apply_async(args=args, kwargs=kwargs, ignore_result=True, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception as error:  # noqa: BLE001 - kombu/redis raise many types; any of them means "not queued"
        logger.error(
            "broker unreachable, %s%r not queued (a sweeper will queue it): %s: %s",
            task.name,
            args,
            type(error).__name__,
            error,
        )
        return False
    return True


def enqueue_later(seconds: int, task, *args) -> bool:
    """`enqueue` with a countdown (a retry after its backoff); the sweeper covers a failed publish too."""
    try:
        task.apply_async(
            args=args, countdown=seconds, ignore_result=True, retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
    except Exception as error:  # noqa: BLE001 - as in enqueue
        logger.error("broker unreachable, %s%r not queued (a sweeper will queue it): %s", task.name, args, error)
        return False
    return True


def enqueue_after_commit(task, *args, **kwargs) -> None:
    """Publish `task(*args, **kwargs)` once the current transaction commits (at once outside one).

    A worker must never look for a row that is not committed yet (Saleor PR #5457); and a broker error
    after the commit is logged, not raised: the caller's work is done and the sweeper queues the task.
    """
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))


def enqueue_many_after_commit(task, arguments: list[tuple]) -> None:
    """One after-commit callback for many publications (a chunk's emails); stops at the first broker
    error, since the rest would fail the same way and wait as long."""

    def publish():
        for args in arguments:
            if not enqueue(task, *args):
                return

    if arguments:
        transaction.on_commit(publish)
