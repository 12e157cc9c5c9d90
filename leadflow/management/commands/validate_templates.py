from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template import TemplateSyntaxError
from django.template.loader import get_template


class Command(BaseCommand):
    help = "Compile every project template; fail on a syntax error."

    def handle(self, *args, **options):
        errors, count = [], 0
        for folder in settings.TEMPLATES[0]["DIRS"]:
            for path in sorted(Path(folder).rglob("*.html")):
                name = str(path.relative_to(folder))
                count += 1
                try:
                    get_template(name)
                except TemplateSyntaxError as exc:
                    errors.append(f"{name}: {exc}")
        if errors:
            raise CommandError("\n".join(errors))
        self.stdout.write(f"{count} templates OK")
