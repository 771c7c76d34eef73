"""`run_billing --month YYYY-MM --pass actual|final [--date YYYY-MM-DD] [--queue | --lanes N]`: the monthly run.

By default the chunks are billed in this process (no broker needed), `--lanes` of them at once on
PostgreSQL (threads with a connection each; one at a time on SQLite); with --queue they go to the Celery
workers and the command waits, showing progress, until the run is done or failed or `--timeout` passes.
Either way it prints the counts by basis when done.
"""

import time
from datetime import date, datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone, translation

from accounts.tasks import DATABASE_LOST
from billing.models import BillingRun, Pass, RunStatus
from billing.run.selectors import pending_chunk_ids
from billing.run.services import PassAlreadyDone, RunFailed, RunRefused, run_in_process, run_queue, run_start


class Command(BaseCommand):
    help = "Run a billing pass for a month (chunked, idempotent, resumable)."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM, the month to bill")
        parser.add_argument("--pass", dest="pass_name", required=True, choices=Pass.values)
        parser.add_argument("--date", help="the run date, YYYY-MM-DD (default: today); later readings are not billed")
        parser.add_argument("--queue", action="store_true", help="hand the chunks to Celery workers and wait")
        parser.add_argument("--chunk-size", type=int, help="accounts per chunk (default: BILLING_CHUNK_SIZE)")
        parser.add_argument(
            "--lanes",
            type=int,
            help=(
                "without --queue: chunks billed at once in this process, each on its own database connection, "
                "so one chunk's Python overlaps another's SQL (default: BILLING_RUN_LANES, 2; PostgreSQL only, "
                "SQLite bills one chunk at a time)"
            ),
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=6 * 3600,
            help="with --queue: stop waiting after this many seconds (the workers go on); default 6 hours",
        )

    def handle(self, *args, **options):
        if options["lanes"] is not None and (options["queue"] or options["lanes"] < 1):
            raise CommandError("--lanes takes a number from 1, for a run in this process (not with --queue)")
        try:
            month = datetime.strptime(options["month"], "%Y-%m").date()
            run_date = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as error:
            raise CommandError(f"--month must be YYYY-MM and --date YYYY-MM-DD: {error}") from error
        try:
            # The operator's console speaks English, as the command's other output does.
            with translation.override("en"):
                run = run_start(
                    month=month,
                    pass_name=options["pass_name"],
                    run_date=run_date,
                    now=timezone.now(),
                    chunk_size=options["chunk_size"],
                )
        except PassAlreadyDone as done:
            # A beat entry or an operator starting a completed pass again is not an alarm: exit 0, bill nothing.
            self.stdout.write(f"Nothing to do: {done}.")
            return
        except RunRefused as refused:
            raise CommandError(f"Refused: {refused}.") from refused
        self.stdout.write(
            f"Run {run.pk}: {run.month:%Y-%m} pass {run.pass_name}, "
            f"{run.accounts_total} accounts in {run.chunks_total} chunks."
        )
        started = time.monotonic()
        if options["queue"]:
            pending = len(pending_chunk_ids(run))
            if run_queue(run) < pending:
                raise CommandError(
                    f"Run {run.pk}: the broker is unreachable, not every chunk is queued. The beat resumes the run "
                    f"after BILLING_RUN_STALE_SECONDS; or run this command again without --queue."
                )
            run = self._wait(run, timeout=options["timeout"])
        else:
            try:
                run = run_in_process(run=run, progress=self._progress, lanes=options["lanes"])
            except RunFailed as failed:
                # The run is marked failed for staff; the chunk's traceback shows with --traceback.
                self.stdout.write("")  # end the progress line
                with translation.override("en"):
                    raise CommandError(f"Failed: {failed}.") from failed
        self.stdout.write("")
        if run.status == RunStatus.RUNNING:
            # Chunks skipped because another session holds them: a live worker's, or a killed worker's whose
            # database session PostgreSQL has not ended yet. Neither is an error of this run.
            left = run.chunks_total - run.chunks_done
            raise CommandError(
                f"Run {run.pk}: {run.chunks_done} of {run.chunks_total} chunks billed; the other {left} are held by "
                "another worker, or by a stopped worker's session that the database has not closed yet. Run this "
                "command again in a minute, or let the beat resume the run."
            )
        if run.status != RunStatus.DONE:
            raise CommandError(f"Run {run.pk} ended as {run.status}: {run.errors}")
        counts = ", ".join(
            f"{basis}: {value['charges']} charges, {value['kwh']} kWh" for basis, value in sorted(run.counts.items())
        )
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s. {counts or 'nothing to charge'}.")
        if run.errors:
            self.stdout.write(self.style.WARNING(f"Meters skipped:\n{run.errors}"))

    def _progress(self, done, total):
        self.stdout.write(f"\r  chunks {done}/{total}", ending="")
        self.stdout.flush()

    def _wait(self, run: BillingRun, *, timeout: int) -> BillingRun:
        """Progress until the run is done or failed; a run the workers stopped moving is said so (the beat
        resumes it) and, after `timeout`, the command gives up waiting (the workers do not).

        A database that goes away meanwhile (a restart, a failover) is waited out as the workers wait it out:
        the lost connection is closed, so the next look connects anew. `make drill` restarts PostgreSQL while
        this waits; before, the command ended there with a traceback while the workers finished the run."""
        deadline = time.monotonic() + timeout
        warned_stale = warned_lost = False
        while True:
            try:
                run.refresh_from_db()
            except DATABASE_LOST as error:
                connection.close()
                if not warned_lost:
                    warned_lost = True
                    why = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                    message = f"\n  database unreachable ({why}): waiting; so do the workers"
                    self.stdout.write(self.style.WARNING(message))
                self._give_up_after(deadline, run, timeout)
                time.sleep(2)
                continue
            self._progress(run.chunks_done, run.chunks_total)
            if run.status != RunStatus.RUNNING:
                return run
            quiet = (timezone.now() - run.heartbeat_at).total_seconds()
            if quiet > settings.BILLING_RUN_STALE_SECONDS and not warned_stale:
                warned_stale = True
                self.stdout.write(
                    self.style.WARNING(f"\n  no progress for {quiet:.0f} s: are workers running? beat resumes the run")
                )
            self._give_up_after(deadline, run, timeout)
            time.sleep(0.5)

    @staticmethod
    def _give_up_after(deadline: float, run: BillingRun, timeout: int) -> None:
        if time.monotonic() >= deadline:
            raise CommandError(
                f"Run {run.pk} still running after {timeout} s ({run.chunks_done}/{run.chunks_total} chunks); "
                "the workers go on, and the beat resumes the run if they stop."
            )
