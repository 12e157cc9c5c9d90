from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from leadflow.models import LeadStatus
from leadflow.privacy.services import leads_anonymise


class Command(BaseCommand):
    help = (
        "152-ФЗ retention: anonymise disqualified and lost leads closed more than PERSONAL_DATA_RETENTION_DAYS "
        "ago (name, phone, e-mail, address, free texts; the report figures stay). The beat runs it daily; "
        "--dry-run only prints what would go."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count and print, change nothing")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"retention in days (default PERSONAL_DATA_RETENTION_DAYS = {settings.PERSONAL_DATA_RETENTION_DAYS})",
        )

    def handle(self, *args, dry_run, days, **options):
        days = settings.PERSONAL_DATA_RETENTION_DAYS if days is None else days
        before = timezone.now() - timedelta(days=days)
        report = leads_anonymise(before=before, dry_run=dry_run)
        when = "dry run: nothing changed" if dry_run else f"anonymised: {report.anonymised}"
        self.stdout.write(f"Leads closed before {timezone.localtime(before):%Y-%m-%d %H:%M} ({days} days), {when}")
        for status in (LeadStatus.DISQUALIFIED, LeadStatus.LOST):
            self.stdout.write(f"  {status.value}: {report.by_status.get(status.value, 0)}")
        self.stdout.write(f"  total: {report.total}")
        if report.total:
            self.stdout.write(
                f"  closed between {timezone.localtime(report.oldest_closed_at):%Y-%m-%d} "
                f"and {timezone.localtime(report.newest_closed_at):%Y-%m-%d}"
            )
