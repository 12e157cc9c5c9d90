"""manage.py seed_demo [--preset NAME] [--leads N] [--seed S] [--if-empty] [--no-analyze]: the demo company
(a kitchen maker by default; a clinic, a new-build sales office or a B2B service with --preset), idempotent."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from demo.people import DEMO_PASSWORD, role_label
from demo.seed import DEFAULT_LEADS, DEFAULT_PRESET, DEFAULT_SEED, PEOPLE, seed_demo
from leadflow.models import LeadStatus
from presets import schema


class Command(BaseCommand):
    help = (
        "Seed the demo company: teams, one user per role, and three months of leads through the funnel. "
        "Idempotent: a second run with the same --leads changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--leads", type=int, default=DEFAULT_LEADS, help="number of demo leads (default %(default)s)"
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
        parser.add_argument(
            "--preset",
            default=DEFAULT_PRESET,
            choices=schema.names(),
            help="the business (default %(default)s): applied first, then its demo leads",
        )
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the database has any lead")
        parser.add_argument(
            "--no-analyze",
            action="store_true",
            help="leave the planner's statistics as the bulk load left them (benches measure that state)",
        )

    def handle(self, *args, leads, seed, if_empty, no_analyze=False, preset=DEFAULT_PRESET, **options):
        if leads < 0:
            self.stderr.write("--leads must be 0 or more")
            return
        verbose = options["verbosity"] > 0
        result = seed_demo(
            leads=leads,
            seed=seed,
            if_empty=if_empty,
            preset=preset,
            analyze=not no_analyze,
            log=self.stdout.write if verbose else None,
        )
        if result.leads_created:  # the dashboards read long periods from the rollup
            call_command("rebuild_report_rollup", verbosity=options["verbosity"])
        if result.skipped:
            self.stdout.write(f"seed_demo: skipped, {result.skipped} ({result.leads_before}).")
            return
        if not verbose:
            return
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Demo users"))
        for person in PEOPLE:
            password = DEMO_PASSWORD if person.username in result.created_users else "(existing user, unchanged)"
            name = f"{person.first_name} {person.last_name}".strip()
            self.stdout.write(f"  {person.username:<14} {password:<28} {role_label(person):<20} {name}")
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Leads by status"))
        total = sum(result.status_counts.values())
        for status in LeadStatus:
            count = result.status_counts.get(status.value, 0)
            share = 100 * count / total if total else 0
            self.stdout.write(f"  {status.label:<14} {count:>9}  {share:5.1f} %")
        self.stdout.write(f"  {'total':<14} {total:>9}")
        self.stdout.write("")
        if result.leads_created:
            rate = result.leads_created / result.seconds if result.seconds else 0
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {result.leads_created} demo leads in {result.seconds:.1f} s ({rate:,.0f} leads/s)."
                )
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Nothing to add: {result.leads_before} demo leads already there."))
