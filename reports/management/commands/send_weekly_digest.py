"""Send (or, with --dry-run, print) the weekly digest of one week: `send_weekly_digest --week 2026-11-23`."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reports.selectors.digest import last_week_start
from reports.services import weekly_digest_messages, weekly_digest_send


def monday(value):
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--week: {error}") from error
    if day.weekday() != 0:
        raise CommandError(f"--week {value} is not a Monday")
    return day


class Command(BaseCommand):
    help = "Send the weekly digest (the director, qualification leads, sales managers); idempotent per week."

    def add_arguments(self, parser):
        parser.add_argument("--week", type=monday, help="The week's Monday (YYYY-MM-DD); default: last week.")
        parser.add_argument("--dry-run", action="store_true", help="Print what would be sent, send nothing.")

    def handle(self, *args, week=None, dry_run=False, **options):
        week = week or last_week_start()
        if not dry_run:
            sent = weekly_digest_send(week_start=week)
            self.stdout.write(f"week {week}: sent to {len(sent)}: {', '.join(u.username for u in sent) or '-'}")
            return
        for message in weekly_digest_messages(week_start=week):
            user = message.recipient
            if message.already_sent:
                self.stdout.write(f"== {user.username}: already sent ({message.dedupe_key})")
                continue
            self.stdout.write(f"== {user.username} <{user.email or 'no e-mail'}>: {message.subject}")
            self.stdout.write(message.text)
        self.stdout.write(f"week {week}: dry run, nothing sent")
