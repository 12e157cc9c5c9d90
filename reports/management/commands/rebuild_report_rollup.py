"""Rebuild the dashboards' daily rollup: `rebuild_report_rollup [--days N]` (default: every day)."""

import time

from django.core.management.base import BaseCommand, CommandError

from reports.rollup import rollup_rebuild


class Command(BaseCommand):
    help = "Rebuild the daily rollup the dashboards read for long periods (every day, or the last N days)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="Only the last N days before today (default: all).")

    def handle(self, *args, days=None, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be 1 or more")
        started = time.perf_counter()
        state = rollup_rebuild(days=days)
        if options["verbosity"] > 0:
            self.stdout.write(
                f"rollup holds {state.covered_from:%Y-%m-%d} … {state.covered_until:%Y-%m-%d} (exclusive), "
                f"built in {time.perf_counter() - started:.1f} s"
            )
