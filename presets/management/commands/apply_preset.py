"""manage.py apply_preset NAME: make this installation a kitchen maker, a clinic, a new-build sales
office or a B2B service company (presets/data/NAME.json); idempotent, never deletes history."""

from django.core.management.base import BaseCommand, CommandError

from presets import schema
from presets.services import preset_apply


class Command(BaseCommand):
    help = (
        "Apply a business preset: checklist version, call script, reasons, visit name and form, SLA, hours, "
        "bonus plans."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help=f"one of: {', '.join(schema.names())}")

    def handle(self, *args, name, **options):
        try:
            summary = preset_apply(name=name)
        except schema.PresetError as error:
            raise CommandError(str(error)) from None
        if not summary.changed:
            self.stdout.write(self.style.SUCCESS(f"{summary.title}: already applied, nothing changed."))
            return
        self.stdout.write(self.style.MIGRATE_HEADING(f"{summary.title}: {len(summary.changes)} changes"))
        for change in summary.changes:
            self.stdout.write(f"  {change}")
        self.stdout.write(self.style.SUCCESS("Applied."))
