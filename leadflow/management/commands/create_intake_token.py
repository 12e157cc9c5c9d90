from django.core.management.base import BaseCommand, CommandError

from leadflow.models import IntakeToken, Source


class Command(BaseCommand):
    help = "Create an API token for a lead source and print its key (Authorization: Token <key>)."

    def add_arguments(self, parser):
        parser.add_argument("source", help="source code, e.g. website, avito, call_tracking")
        parser.add_argument("--name", default="", help="what the token is for, e.g. 'Tilda site form'")

    def handle(self, *args, source, name, **options):
        found = Source.objects.filter(code=source).first()
        if found is None:
            codes = ", ".join(Source.objects.order_by("code").values_list("code", flat=True)) or "—"
            raise CommandError(f"Unknown source {source!r}. Known sources: {codes}")
        if not found.is_active:
            raise CommandError(f"Source {source!r} is inactive: activate it in the admin first.")
        token = IntakeToken.objects.create(source=found, name=name)
        self.stderr.write(f"Token for {found.name} ({found.code}){f' · {name}' if name else ''}:")
        self.stdout.write(token.key)
