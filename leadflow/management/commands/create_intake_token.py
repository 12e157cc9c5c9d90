from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from leadflow.models import ApiToken, Source
from leadflow.services import api_token_issue


def _expiry(days):
    return timezone.now() + timedelta(days=days) if days else None


class Command(BaseCommand):
    help = (
        "Create an API token and print its key (Authorization: Token <key>): for lead intake of one "
        "source (POST /api/v1/leads/), or with --telephony for the PBX webhook (POST /api/v1/calls/)."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", help="source code, e.g. website, avito, call_tracking")
        parser.add_argument("--telephony", action="store_true", help="a telephony token (no source)")
        parser.add_argument("--name", default="", help="what the token is for, e.g. 'Tilda site form'")
        parser.add_argument("--expires-days", type=int, default=None, help="the key stops working after N days")

    def handle(self, *args, source, telephony, name, expires_days, **options):
        if telephony:
            if source:
                raise CommandError("A telephony token belongs to no source: drop the source argument.")
            token = api_token_issue(kind=ApiToken.Kind.TELEPHONY, name=name, expires_at=_expiry(expires_days))
            self.stderr.write(f"Telephony token{f' · {name}' if name else ''} (POST /api/v1/calls/), shown only now:")
            self.stdout.write(token.key)
            return
        if not source:
            raise CommandError("Name the lead source (e.g. website), or pass --telephony.")
        found = Source.objects.filter(code=source).first()
        if found is None:
            codes = ", ".join(Source.objects.order_by("code").values_list("code", flat=True)) or "—"
            raise CommandError(f"Unknown source {source!r}. Known sources: {codes}")
        if not found.is_active:
            raise CommandError(f"Source {source!r} is inactive: activate it in the admin first.")
        token = api_token_issue(source=found, name=name, expires_at=_expiry(expires_days))
        self.stderr.write(f"Token for {found.name} ({found.code}){f' · {name}' if name else ''}, shown only now:")
        self.stdout.write(token.key)
