"""The monthly charge run: start a pass, bill its chunks set-based and idempotently, finish it.

Each chunk bills its meters (`billing.run.plan`, pure) from the chunk's inputs (`billing.run.selectors`),
writes them (`billing.run.writes`) and issues the supplier's invoices of its accounts
(`billing.invoices.services`) in one transaction. Tasks (`billing.tasks`) call these services; the services
queue tasks by name after the commit, so neither imports the other.
"""

import logging
import queue
import threading
from datetime import date, datetime, timedelta

from celery import signature
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Sum, Value
from django.db.models.functions import Concat
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.batch_sql import batch_transaction
from accounts.enqueue import enqueue, enqueue_after_commit
from accounts.models import PersonalAccount
from billing.invoices.services import after_issue, auto_invoices_issue
from billing.models import BillingChunk, BillingRun, RunStatus
from billing.run.plan import PASS_FINAL, plan_meter
from billing.run.selectors import billing_rules, meter_inputs, norm_versions, pending_chunk_ids, tariff_versions
from billing.run.writes import insert_charges, pass_statistics_refresh, upsert_states
from portal.collector import collector_paused
from readings.models import ClosedMonth
from readings.services import month_close

logger = logging.getLogger(__name__)


class RunRefused(Exception):
    """A pass that must not start now; the message says why in the staff member's language."""


class MonthClosed(RunRefused):
    """The month's final pass has closed it: no pass bills it again (DESIGN.md "Charges" 4)."""


class PassAlreadyDone(RunRefused):
    """This pass of this month completed before: there is nothing to do (a beat entry firing twice)."""


def _month_words(month: date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def _moment_words(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _start_guard(*, month: date, pass_name: str) -> None:
    """Refuse a pass that completed before, or any pass of a closed month (a crashed run of the same pass
    is resumed before this is asked)."""
    done = (
        BillingRun.objects.filter(month=month, pass_name=pass_name, status=RunStatus.DONE)
        .order_by("-finished_at")
        .first()
    )
    if done is not None:
        raise PassAlreadyDone(
            _("the %(pass)s pass of %(month)s already completed on %(finished)s (run %(run)s): nothing to do")
            % {
                "pass": pass_name,
                "month": _month_words(month),
                "finished": _moment_words(done.finished_at),
                "run": done.pk,
            }
        )
    closed = ClosedMonth.objects.filter(month=month).first()
    if closed is not None:
        raise MonthClosed(
            _(
                "%(month)s was closed by its final pass on %(closed)s; a closed month is never billed again "
                "(its late readings bill the next open month)"
            )
            % {"month": _month_words(month), "closed": _moment_words(closed.closed_at)}
        )


def run_start(
    *, month: date, pass_name: str, run_date: date, now: datetime, chunk_size: int | None = None, started_by=None
) -> BillingRun:
    """Create the run and its chunks, or take over a crashed run of the same pass (no heartbeat for a while).

    A run whose heartbeat is recent is still working: a second start is refused. So is a pass that completed
    before (`PassAlreadyDone`) and any new pass of a month its final pass closed (`MonthClosed`).
    """
    month = month.replace(day=1)
    chunk_size = chunk_size or settings.BILLING_CHUNK_SIZE
    with transaction.atomic():
        running = (
            BillingRun.objects.select_for_update()
            .filter(month=month, pass_name=pass_name, status=RunStatus.RUNNING)
            .first()
        )
        if running is not None:
            if now - running.heartbeat_at < timedelta(seconds=settings.BILLING_RUN_STALE_SECONDS):
                raise RunRefused(
                    _("the %(pass)s pass of %(month)s is running (run %(run)s)")
                    % {"pass": pass_name, "month": _month_words(month), "run": running.pk}
                )
            running.heartbeat_at = now
            running.save(update_fields=["heartbeat_at"])
            logger.warning("resuming run %s: its heartbeat had stopped", running.pk)
            return running
        _start_guard(month=month, pass_name=pass_name)
        try:
            run = BillingRun.objects.create(
                month=month,
                pass_name=pass_name,
                run_date=run_date,
                chunk_size=chunk_size,
                started_at=now,
                heartbeat_at=now,
                started_by=started_by,
            )
        except IntegrityError as error:
            raise RunRefused(
                _("the %(pass)s pass of %(month)s is running") % {"pass": pass_name, "month": _month_words(month)}
            ) from error
        ids = list(PersonalAccount.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
        chunks = [
            BillingChunk(
                run=run,
                index=index,
                first_account_id=ids[start],
                last_account_id=ids[min(start + chunk_size, len(ids)) - 1],
            )
            for index, start in enumerate(range(0, len(ids), chunk_size))
        ]
        BillingChunk.objects.bulk_create(chunks)
        run.chunks_total, run.accounts_total = len(chunks), len(ids)
        run.save(update_fields=["chunks_total", "accounts_total"])
    pass_statistics_refresh()
    return run


def run_queue(run: BillingRun) -> int:
    """Fan the pending chunks out to the workers now (fire-and-forget: the last chunk finishes the run), by
    task name, so this module never imports the tasks. Not after a commit: `run_start` committed the run and
    its chunks before. Returns how many were queued; fewer than pending when the broker is unreachable (the
    beat's `billing_runs_resume` queues the rest)."""
    chunk_ids = pending_chunk_ids(run)
    if not chunk_ids:
        enqueue(signature("billing.tasks.billing_run_finish"), run.pk)
        return 0
    queued = 0
    for chunk_id in chunk_ids:
        if not enqueue(signature("billing.tasks.billing_chunk"), chunk_id):
            break
        queued += 1
    return queued


def runs_resume_stale(*, now: datetime) -> list[BillingRun]:
    """Take over every running run whose heartbeat stopped BILLING_RUN_STALE_SECONDS ago (its heartbeat is
    moved to now, so a second resumer skips it); the caller queues their pending chunks."""
    stale_before = now - timedelta(seconds=settings.BILLING_RUN_STALE_SECONDS)
    with transaction.atomic():
        runs = list(
            BillingRun.objects.select_for_update(skip_locked=True).filter(
                status=RunStatus.RUNNING, heartbeat_at__lt=stale_before
            )
        )
        for run in runs:
            run.heartbeat_at = now
            run.save(update_fields=["heartbeat_at"])
            logger.warning("resuming run %s: no progress since %s", run.pk, stale_before)
    return runs


def run_fail(*, chunk_id: int, error: BaseException, now: datetime) -> None:
    """A chunk hit an error that nothing will retry (a bug, bad data; in a worker not a lost database, which
    the task waits out): the run stops as failed with the error for staff; charges of the chunks done stay
    (a new start bills the rest, never twice). The one rule for a worker's chunk and a chunk billed in the
    command's process."""
    text = f"chunk {chunk_id}: {type(error).__name__}: {error}"
    run_id = BillingChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).first()
    BillingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, finished_at=now, errors=Concat(F("errors"), Value(text[:2000] + "\n"))
    )
    logger.error("run %s failed: %s", run_id, text)


class RunFailed(Exception):
    """A chunk billed in this process (`run_in_process`) raised; the original error is the `__cause__`.

    `str()` speaks the active language when it is called, so the command can show it in its console's
    language while the run's texts for staff were written in theirs."""

    def __init__(self, *, chunk_id: int, run_id: int, error: BaseException, marked: bool):
        super().__init__(chunk_id, run_id, error, marked)
        self.chunk_id, self.run_id, self.error, self.marked = chunk_id, run_id, error, marked

    def __str__(self) -> str:
        words = {
            "run": self.run_id,
            "chunk": self.chunk_id,
            "error": f"{type(self.error).__name__}: {self.error}",
            "seconds": settings.BILLING_RUN_STALE_SECONDS,
        }
        if self.marked:
            return (
                _(
                    "run %(run)s failed in chunk %(chunk)s (%(error)s); the chunks billed before stay, "
                    "and starting the pass again bills the rest"
                )
                % words
            )
        return (
            _(
                "run %(run)s stopped in chunk %(chunk)s (%(error)s) and could not be marked failed, so it still "
                "shows as running; starting the pass again resumes it once it has made no progress for "
                "%(seconds)s seconds"
            )
            % words
        )


def run_finish_if_complete(*, chunk_id: int, now: datetime) -> None:
    """After a chunk: the worker whose chunk was the last one finishes the run (no chord, no results)."""
    run_id = BillingChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).first()
    if run_id and not BillingChunk.objects.filter(run_id=run_id, done=False).exists():
        run_finish(run=BillingRun.objects.get(pk=run_id), now=now)


def chunk_bill(*, chunk_id: int, now: datetime, queue_documents: bool = True) -> int:
    """Bill and invoice one chunk in one transaction. A chunk already done, or taken by another worker, is
    skipped. The invoices' PDFs are rendered by tasks queued when the chunk commits.

    Python's cycle collector waits while the chunk holds its rows (`portal.collector`): its full collections
    walked them again and again, a quarter of a chunk's Python CPU."""
    with collector_paused(), transaction.atomic():
        # Lock the chunk row only (of=self): locking the joined run row too would make every other worker
        # skip its own chunk while this one runs.
        chunk = (
            BillingChunk.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=chunk_id, done=False)
            .select_related("run")
            .first()
        )
        if chunk is None:
            return 0
        batch_transaction()
        run = chunk.run
        tariffs, norms, rules = tariff_versions(), norm_versions(), billing_rules()
        charges, states, errors = [], [], []
        for meter in meter_inputs(chunk, run):
            try:
                plan = plan_meter(
                    meter,
                    month=run.month,
                    pass_name=run.pass_name,
                    tariffs=tariffs.get(meter.category, []),
                    norms=norms.get(meter.category, []),
                    rules=rules,
                )
            except LookupError as error:
                errors.append(f"meter {meter.meter_id}: {error}")
                continue
            charges += plan.lines
            if plan.state:
                states.append(plan.state)
        # The unique constraints make a duplicate impossible; a second worker's rows are dropped, not doubled.
        insert_charges(charges, run=run, now=now)
        upsert_states(states)
        # The supplier's invoices of this chunk, in the same transaction as its charges: all or nothing.
        issued = auto_invoices_issue(
            first_account_id=chunk.first_account_id, last_account_id=chunk.last_account_id, run=run, now=now
        )
        # An invoice the QR standard refuses (an amount over its maximum) goes out without a QR; staff read why.
        errors += issued.problems
        if queue_documents:
            after_issue(issued.ids)
        # `now` is when the chunk started (its rows' timestamps); the chunk's end and the run's heartbeat are
        # the clock's now, so a long chunk does not leave a heartbeat as old as its start.
        finished = timezone.now()
        chunk.done, chunk.charges_created, chunk.finished_at = True, len(charges), finished
        chunk.save(update_fields=["done", "charges_created", "finished_at"])
        BillingRun.objects.filter(pk=run.pk).update(chunks_done=F("chunks_done") + 1, heartbeat_at=finished)
        if errors:
            BillingRun.objects.filter(pk=run.pk).update(errors=Concat(F("errors"), Value("\n".join(errors) + "\n")))
    return len(charges)


def run_finish(*, run: BillingRun, now: datetime, queue_documents: bool = True) -> BillingRun:
    """When every chunk is done: count charges by basis, mark the run done; the final pass closes the month."""
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run.pk)
        if run.status != RunStatus.RUNNING or run.chunks.filter(done=False).exists():
            return run
        run.counts = {
            row["basis"]: {"charges": row["n"], "kwh": row["kwh"]}
            for row in run.charges.values("basis").annotate(n=Count("id"), kwh=Sum("volume_kwh"))
        }
        run.status, run.finished_at = RunStatus.DONE, now
        run.save(update_fields=["counts", "status", "finished_at"])
        if run.pass_name == PASS_FINAL:
            month_close(month=run.month, now=now)
        if queue_documents:
            _queue_print_batches(run)
            if run.pass_name == PASS_FINAL:
                _queue_estimate_notices(run)
    return run


def _queue_estimate_notices(run: BillingRun) -> None:
    """Customers whose months were estimated hear of it by email (billing/notices.py) once the pass commits."""
    enqueue_after_commit(signature("billing.tasks.estimate_notices_start"), run.pk)


def _queue_print_batches(run: BillingRun) -> None:
    enqueue_after_commit(signature("billing.tasks.print_batches_build"), run.pk)


def run_lanes(lanes: int | None = None) -> int:
    """How many chunks `run_in_process` bills at once: `lanes` (default BILLING_RUN_LANES), or one where
    lanes cannot help or cannot see the data.

    A lane is a thread with its own database connection, so lanes need a server that serves connections at
    once (PostgreSQL; SQLite, the `make run` default, bills in order). A caller inside a transaction (a
    test, a loader wrapping its work in one) bills in its own connection too: another connection would not
    see the rows that transaction has not committed.
    """
    lanes = settings.BILLING_RUN_LANES if lanes is None else lanes
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, lanes)


def run_in_process(
    *, run: BillingRun, progress=None, queue_documents: bool = True, lanes: int | None = None
) -> BillingRun:
    """Bill every pending chunk here (the command's default), `run_lanes(lanes)` chunks at a time.

    Each chunk is still `chunk_bill`: one transaction, claimed with a skip-locked lock, skipped when done.
    With one lane the chunks go in order. With more, each lane takes the next pending chunk, so while one
    lane's chunk waits for PostgreSQL (its statements, its commit) another's Python plans and builds rows:
    on two cores the run takes about the longer of the two instead of their sum. An exception in any chunk
    stops the run as it does with one lane: no lane starts another chunk, the chunks already committed
    stay, the run is marked failed with the error (`_chunk_bill_or_fail`), and `RunFailed` reaches the
    caller, from the error; starting the pass again bills the rest, never twice.

    `queue_documents=False` (the demo loader, which runs before any broker) leaves the invoices' PDFs to
    the periodic sweep or to the first person who opens them, and the print batches to the next pass.
    """
    pending = pending_chunk_ids(run)
    lanes = min(run_lanes(lanes), len(pending))
    if lanes > 1:
        _bill_in_lanes(pending, run_id=run.pk, lanes=lanes, progress=progress, queue_documents=queue_documents)
    else:
        for done, chunk_id in enumerate(pending, start=1):
            _chunk_bill_or_fail(chunk_id, run_id=run.pk, queue_documents=queue_documents)
            if progress:
                progress(done, len(pending))
    return run_finish(run=run, now=timezone.now(), queue_documents=queue_documents)


def _chunk_bill_or_fail(chunk_id: int, *, run_id: int, queue_documents: bool) -> int:
    """`chunk_bill`; on an error the run is marked failed (`run_fail`, as a worker's chunk marks it) and
    `RunFailed` is raised from the error.

    Every `Exception` fails the run here, a lost database (`accounts.tasks.DATABASE_LOST`) too: a worker
    retries that one for minutes, but in this process nothing retries or resumes the chunk, and a run left
    `running` would refuse the staff's next start until BILLING_RUN_STALE_SECONDS pass. A failed run is
    not resumed: the next start makes a new run whose chunks cover every account, and the chunks the failed
    run committed bill nothing again (the charges' unique constraints; no second auto invoice of a month).
    When the failure cannot be written either (the database is still gone), the run stays `running` and a
    start after the stale time resumes it, as before. An interrupt (Ctrl+C, not an `Exception`) leaves the
    run running too: the operator who stopped it may start it again after the stale time.
    """
    try:
        return chunk_bill(chunk_id=chunk_id, now=timezone.now(), queue_documents=queue_documents)
    except Exception as error:
        # The chunk's transaction rolled back; a connection lost with it was closed, so this reconnects.
        try:
            run_fail(chunk_id=chunk_id, error=error, now=timezone.now())
            marked = True
        except Exception:  # noqa: BLE001 - the chunk's error is the one to report; this one is logged
            logger.exception("run %s, chunk %s: the run could not be marked failed", run_id, chunk_id)
            marked = False
        raise RunFailed(chunk_id=chunk_id, run_id=run_id, error=error, marked=marked) from error


def _bill_in_lanes(chunk_ids: list[int], *, run_id: int, lanes: int, progress, queue_documents: bool) -> None:
    """Bill `chunk_ids` on `lanes` threads, each with its own connection (closed when the lane ends).

    Two lanes in one district meet at the district's invoice counter: the second waits there until the
    first commits (`billing.invoices.services._take_numbers`), so the numbers stay gap-free and in order of
    commit. Progress is reported from this thread, as chunks finish; the first error is raised here once
    every lane has stopped.
    """
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for chunk_id in chunk_ids:
        todo.put(chunk_id)
    finished: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()
    # The lanes speak the caller's language (the texts a chunk writes for staff: an invoice without a QR).
    language = translation.get_language()

    def lane() -> None:
        try:
            with translation.override(language):
                while not stop.is_set():
                    try:
                        chunk_id = todo.get_nowait()
                    except queue.Empty:
                        return
                    _chunk_bill_or_fail(chunk_id, run_id=run_id, queue_documents=queue_documents)
                    finished.put(None)
        except BaseException as error:  # noqa: BLE001 - any error stops every lane and reaches the caller
            stop.set()
            finished.put(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=lane, name=f"billing-lane-{n}", daemon=True) for n in range(lanes)]
    for thread in threads:
        thread.start()
    errors, done = [], 0
    try:
        while done < len(chunk_ids) and not errors:
            outcome = finished.get()
            if outcome is None:
                done += 1
                if progress:
                    progress(done, len(chunk_ids))
            else:
                errors.append(outcome)
    finally:
        stop.set()  # an interrupt here (Ctrl+C) lets each lane finish, and commit or roll back, its chunk
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
