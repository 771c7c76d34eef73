"""The monthly charge run: start a pass, bill its chunks set-based and idempotently, finish it."""

import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Concat
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.enqueue import enqueue_after_commit
from accounts.models import PersonalAccount
from accounts.windows import add_months
from billing.estimates import Snapshot, months_before
from billing.invoicing import after_issue, auto_invoices_issue
from billing.models import (
    ESTIMATE_BASES,
    BillingChunk,
    BillingRun,
    Charge,
    MeterBillingState,
    Norm,
    RunStatus,
    Tariff,
)
from billing.plan import PASS_ACTUAL, PASS_FINAL, MeterInput, OpenEstimate, Rules, plan_meter
from billing.tariffs import TariffVersion
from billing.writes import insert_charges, upsert_states
from readings.models import ClosedMonth, Meter, Reading, ReadingStatus
from readings.services import month_close
from readings.zones import ALL_ZONES, zones_of

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


def billing_rules() -> Rules:
    return Rules(
        cap=settings.ESTIMATE_AVERAGE_MAX_MONTHS,
        lookback_months=settings.ESTIMATE_LOOKBACK_MONTHS,
        min_history_days=settings.ESTIMATE_MIN_HISTORY_DAYS,
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
    return run


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


def run_fail(*, chunk_id: int, error: str, now: datetime) -> None:
    """A chunk hit an error that a retry will not cure (a bug, bad data): the run stops as failed with the
    error for staff; charges of the chunks done stay (a new start bills the rest, never twice)."""
    run_id = BillingChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).first()
    BillingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, finished_at=now, errors=Concat(F("errors"), Value(error[:2000] + "\n"))
    )
    logger.error("run %s failed: %s", run_id, error)


def run_finish_if_complete(*, chunk_id: int, now: datetime) -> None:
    """After a chunk: the worker whose chunk was the last one finishes the run (no chord, no results)."""
    run_id = BillingChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).first()
    if run_id and not BillingChunk.objects.filter(run_id=run_id, done=False).exists():
        run_finish(run=BillingRun.objects.get(pk=run_id), now=now)


def pending_chunk_ids(run: BillingRun) -> list[int]:
    return list(run.chunks.filter(done=False).order_by("index").values_list("pk", flat=True))


def _tariff_versions() -> dict[str, list[TariffVersion]]:
    prices: dict[tuple[str, date], dict[str, Decimal]] = defaultdict(dict)
    for category, effective_from, zone, price in Tariff.objects.values_list(
        "category", "effective_from", "zone", "price"
    ):
        prices[(category, effective_from)][zone] = price
    versions: dict[str, list[TariffVersion]] = defaultdict(list)
    for (category, effective_from), by_zone in sorted(prices.items()):
        versions[category].append(TariffVersion(effective_from, by_zone))
    return versions


def _norm_versions() -> dict[str, list[tuple[date, Decimal]]]:
    norms: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for category, effective_from, kwh in Norm.objects.order_by("effective_from").values_list(
        "category", "effective_from", "kwh_per_resident"
    ):
        norms[category].append((effective_from, kwh))
    return norms


def _values(row, zones, prefix: str = "") -> dict[str, int]:
    return {zone: getattr(row, f"{prefix}{zone}") for zone in zones}


def _meter_inputs(chunk: BillingChunk, run: BillingRun) -> list[MeterInput]:
    """Everything the plan needs for every meter of the chunk, in four queries, as plain values (named
    tuples: a dict per row was a tenth of a chunk's Python time)."""
    month = run.month
    install_fields = [f"install_{zone}" for zone in ALL_ZONES]
    chunk_meters = Meter.objects.filter(
        account_id__gte=chunk.first_account_id, account_id__lte=chunk.last_account_id, account__is_active=True
    )
    # Meters this month is already billed for (the final pass after the actual pass) have nothing to do.
    # So have meters billed past it (a resumed run of an old month): plan_meter refuses them too.
    chunk_meters = chunk_meters.exclude(billing_state__last_billed_month__gte=month).exclude(billing_state__closed=True)
    meters = list(
        chunk_meters.values_list(
            "pk",
            "account_id",
            "zone_set",
            "register_digits",
            "multiplier",
            "installed_on",
            "removed_on",
            "account__category",
            "account__residents",
            *install_fields,
            named=True,
        )
    )
    ids = [meter.pk for meter in meters]
    # Filter the other tables by the chunk's account range (an index range scan) rather than by a list of
    # thousands of meter ids.
    in_chunk = {"meter__account_id__gte": chunk.first_account_id, "meter__account_id__lte": chunk.last_account_id}
    states = {
        row.meter_id: row
        for row in MeterBillingState.objects.filter(**in_chunk).values_list(
            "meter_id",
            "last_reading_id",
            "last_date",
            "estimated_months",
            "last_billed_month",
            "closed",
            *[f"last_reading__{zone}" for zone in ALL_ZONES],
            named=True,
        )
    }
    # Readings submitted up to the end of the run date (portal time zone) count; later ones wait.
    submitted_until = timezone.make_aware(datetime.combine(run.run_date + timedelta(days=1), time.min))
    counted = Reading.objects.filter(
        **in_chunk, status=ReadingStatus.ACCEPTED, superseded_at__isnull=True, submitted_at__lt=submitted_until
    )
    # R candidates: newer than each meter's own L (a join on its billing state), belonging to M or earlier.
    newest: dict[int, tuple] = {}
    for row in (
        counted.filter(billing_month__lte=month)
        .filter(Q(meter__billing_state__isnull=True) | Q(reading_date__gt=F("meter__billing_state__last_date")))
        .order_by("meter_id", "reading_date", "submitted_at")
        .values_list("pk", "meter_id", "reading_date", *ALL_ZONES, named=True)
    ):
        newest[row.meter_id] = row  # ordered: the last one wins
    open_estimates: dict[int, list[OpenEstimate]] = defaultdict(list)
    for pk, meter_id, zone, volume, price, amount in Charge.objects.filter(
        **in_chunk, basis__in=ESTIMATE_BASES, reversed_by__isnull=True
    ).values_list("pk", "meter_id", "zone", "volume_kwh", "price", "amount"):
        open_estimates[meter_id].append(OpenEstimate(pk, zone, volume, price, amount))

    lasts = {}
    for meter in meters:
        zones, state = zones_of(meter.zone_set), states.get(meter.pk)
        if state and state.last_reading_id:
            lasts[meter.pk] = Snapshot(_values(state, zones, "last_reading__"), state.last_date)
        else:
            lasts[meter.pk] = Snapshot(
                _values(meter, zones, "install_"), state.last_date if state else meter.installed_on
            )
    history_starts = _history_starts(counted, run, [pk for pk in ids if pk not in newest], lasts)

    inputs = []
    for meter in meters:
        zones, state, new_row = zones_of(meter.zone_set), states.get(meter.pk), newest.get(meter.pk)
        inputs.append(
            MeterInput(
                meter_id=meter.pk,
                account_id=meter.account_id,
                zones=zones,
                register_digits=meter.register_digits,
                multiplier=meter.multiplier,
                installed_on=meter.installed_on,
                removed_on=meter.removed_on,
                category=meter.account__category,
                residents=meter.account__residents,
                last=lasts[meter.pk],
                last_reading_id=state.last_reading_id if state else None,
                estimated_months=state.estimated_months if state else 0,
                last_billed_month=state.last_billed_month if state else None,
                closed=state.closed if state else False,
                new_reading_id=new_row.pk if new_row else None,
                new_reading=Snapshot(_values(new_row, zones), new_row.reading_date) if new_row else None,
                open_estimates=tuple(open_estimates.get(meter.pk, ())),
                history_start=history_starts.get(meter.pk),
                installation=Snapshot(_values(meter, zones, "install_"), meter.installed_on),
            )
        )
    return inputs


def _history_starts(counted, run: BillingRun, meter_ids: list[int], lasts: dict[int, Snapshot]) -> dict[int, Snapshot]:
    """For meters that may be estimated: the earliest reading at most 6 calendar months before their L."""
    if run.pass_name != PASS_FINAL or not meter_ids:
        return {}
    lookback = settings.ESTIMATE_LOOKBACK_MONTHS
    since = months_before(min(lasts[pk].on for pk in meter_ids), lookback)
    starts: dict[int, Snapshot] = {}
    for row in (
        counted.filter(meter_id__in=meter_ids, reading_date__gte=since)
        .order_by("meter_id", "reading_date")
        .values("meter_id", "reading_date", *ALL_ZONES)
    ):
        last = lasts[row["meter_id"]]
        if row["meter_id"] not in starts and months_before(last.on, lookback) <= row["reading_date"] < last.on:
            starts[row["meter_id"]] = Snapshot({zone: row[zone] for zone in last.values}, row["reading_date"])
    return starts


def chunk_bill(*, chunk_id: int, now: datetime, queue_documents: bool = True) -> int:
    """Bill and invoice one chunk in one transaction. A chunk already done, or taken by another worker, is
    skipped. The invoices' PDFs are rendered by tasks queued when the chunk commits."""
    with transaction.atomic():
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
        run = chunk.run
        tariffs, norms, rules = _tariff_versions(), _norm_versions(), billing_rules()
        charges, states, errors = [], [], []
        for meter in _meter_inputs(chunk, run):
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
        chunk.done, chunk.charges_created, chunk.finished_at = True, len(charges), now
        chunk.save(update_fields=["done", "charges_created", "finished_at"])
        BillingRun.objects.filter(pk=run.pk).update(chunks_done=F("chunks_done") + 1, heartbeat_at=now)
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
    from billing.tasks import estimate_notices_start

    enqueue_after_commit(estimate_notices_start, run.pk)


def _queue_print_batches(run: BillingRun) -> None:
    from billing.tasks import print_batches_build

    enqueue_after_commit(print_batches_build, run.pk)


def interim_bill(*, account: PersonalAccount, today: date, now: datetime) -> int:
    """Bill any accepted reading newer than each meter's L as an interim actual charge (DESIGN.md
    "Charges" 3): what a self-generated invoice does first. The reading's month then counts as actual."""
    # A reading submitted in the window at the end of a month may belong to the next one.
    horizon = add_months(today, 1)
    chunk = SimpleNamespace(first_account_id=account.pk, last_account_id=account.pk)
    probe = SimpleNamespace(month=horizon, run_date=today, pass_name=PASS_ACTUAL, pk=None)
    inputs = [meter for meter in _meter_inputs(chunk, probe) if meter.new_reading_id]
    if not inputs:
        return 0
    months = dict(
        Reading.objects.filter(pk__in=[meter.new_reading_id for meter in inputs]).values_list("pk", "billing_month")
    )
    tariffs, rules = _tariff_versions(), billing_rules()
    lines_by_month: dict[date, list] = defaultdict(list)
    states = []
    for meter in inputs:
        month = months[meter.new_reading_id]
        plan = plan_meter(
            meter, month=month, pass_name=PASS_ACTUAL, tariffs=tariffs.get(meter.category, []), norms=[], rules=rules
        )
        lines_by_month[month] += plan.lines
        states += [plan.state] if plan.state else []
    for month, lines in lines_by_month.items():
        insert_charges(lines, run=SimpleNamespace(month=month, pk=None), now=now)
    upsert_states(states)
    return sum(len(lines) for lines in lines_by_month.values())


def run_in_process(*, run: BillingRun, progress=None, queue_documents: bool = True) -> BillingRun:
    """Bill every pending chunk here, in order (the command's default).

    `queue_documents=False` (the demo loader, which runs before any broker) leaves the invoices' PDFs to
    the periodic sweep or to the first person who opens them, and the print batches to the next pass.
    """
    pending = pending_chunk_ids(run)
    for done, chunk_id in enumerate(pending, start=1):
        chunk_bill(chunk_id=chunk_id, now=timezone.now(), queue_documents=queue_documents)
        if progress:
            progress(done, len(pending))
    return run_finish(run=run, now=timezone.now(), queue_documents=queue_documents)
