"""Import marketing spend from a CSV or XLSX file, in the style of the lead importer
(leadflow.importing): every row validated, good rows saved through `spend_record`, and a report line
for every row, so nothing is silently dropped.

Each good row is its own transaction; a bad row writes nothing and never undoes a good one. The
natural key (source, utm_campaign, day or month) makes a second import of the same file change
nothing: its rows are reported as "unchanged" (or "updated" when the amount changed).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadflow.importing import ERROR, ImportFileError, ImportReport, RowResult, map_columns, read_table
from leadflow.models import Source

from .models import VAT_STANDARD_RATE, MarketingSpend
from .services import SPEND_CREATED, SPEND_UNCHANGED, SPEND_UPDATED, spend_record

COLUMN_ALIASES = {
    "date": "day",
    "day": "day",
    "дата": "day",
    "день": "day",
    "month": "month",
    "месяц": "month",
    "source": "source",
    "источник": "source",
    "utm_campaign": "utm_campaign",
    "campaign": "utm_campaign",
    "кампания": "utm_campaign",
    "amount": "amount",
    "spend": "amount",
    "cost": "amount",
    "сумма": "amount",
    "расход": "amount",
    "vat": "vat",
    "ндс": "vat",
    "vat_rate": "vat_rate",
    "ставка_ндс": "vat_rate",
    "note": "note",
    "comment": "note",
    "комментарий": "note",
}
REQUIRED_COLUMNS = ("source", "amount")

VAT_YES = {"да", "с ндс", "включая ндс", "в т.ч. ндс", "включён", "включен", "yes", "incl", "1", "true", "+"}
VAT_NO = {"нет", "без ндс", "не включён", "не включен", "no", "excl", "0", "false", "-"}


def _parse_day(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _parse_month(value):
    if isinstance(value, datetime | date):
        return date(value.year, value.month, 1)
    text = str(value).strip()
    for pattern in ("%m.%Y", "%Y-%m", "%m/%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            parsed = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return parsed.replace(day=1)
    return None


def parse_amount(value):
    """Roubles as people type them: «12 345,67», «12345.67», «12 345 ₽»; None when it is no number."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    text = re.sub(r"[\s\u00a0₽]|руб\.?|р\.", "", str(value).lower()).replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


class SpendRowForm(forms.Form):
    """One row of a spend file; the messages say what is wrong with the value as it was typed."""

    source = forms.CharField(error_messages={"required": gettext_lazy("No source.")})
    day = forms.CharField(required=False)
    month = forms.CharField(required=False)
    utm_campaign = forms.CharField(required=False, max_length=200)
    amount = forms.CharField(error_messages={"required": gettext_lazy("No amount.")})
    vat = forms.CharField(required=False)
    vat_rate = forms.CharField(required=False)
    note = forms.CharField(required=False, max_length=200)

    def __init__(self, data, *, raw=None, sources=None):
        super().__init__(data)
        self.raw = raw or {}
        self.sources = sources or {}

    def clean_source(self):
        value = self.cleaned_data["source"]
        source = self.sources.get(value.lower())
        if source is None:
            raise ValidationError(_("Unknown source “%(value)s”: give its code or name.") % {"value": value})
        return source

    def clean_amount(self):
        value = self.raw.get("amount", self.cleaned_data["amount"])
        amount = parse_amount(value)
        if amount is None:
            raise ValidationError(_("Not an amount: “%(value)s”.") % {"value": value})
        if amount < 0:
            raise ValidationError(_("The amount cannot be negative."))
        if amount != amount.quantize(Decimal("0.01")):
            raise ValidationError(_("At most two digits after the decimal point (kopecks)."))
        return amount

    def clean_vat(self):
        value = self.cleaned_data["vat"].strip().lower()
        if value == "":
            return True
        if value in VAT_YES:
            return True
        if value in VAT_NO:
            return False
        raise ValidationError(
            _("Say whether the amount includes VAT: “с НДС” or “без НДС”, not “%(value)s”.")
            % {"value": self.cleaned_data["vat"]}
        )

    def clean_vat_rate(self):
        value = self.cleaned_data["vat_rate"].strip().rstrip("%").strip()
        if value == "":
            return VAT_STANDARD_RATE
        rate = parse_amount(value)
        if rate is None or not (0 <= rate <= 100):
            raise ValidationError(
                _("The VAT rate is a percent from 0 to 100, not “%(value)s”.")
                % {"value": self.cleaned_data["vat_rate"]}
            )
        return rate

    def clean(self):
        cleaned = super().clean()
        day_raw, month_raw = self.raw.get("day", ""), self.raw.get("month", "")
        if _blank(day_raw) and _blank(month_raw):
            raise ValidationError(_("Give the date (a day) or the month of the spend."))
        if not _blank(day_raw) and not _blank(month_raw):
            raise ValidationError(_("Give either the date or the month, not both."))
        if not _blank(day_raw):
            day = _parse_day(day_raw)
            if day is None:
                self.add_error("day", _("Not a date: “%(value)s” (expected 05.03.2025).") % {"value": day_raw})
            cleaned["granularity"], cleaned["date"] = MarketingSpend.Granularity.DAY, day
        else:
            month = _parse_month(month_raw)
            if month is None:
                self.add_error("month", _("Not a month: “%(value)s” (expected 03.2025).") % {"value": month_raw})
            cleaned["granularity"], cleaned["date"] = MarketingSpend.Granularity.MONTH, month
        return cleaned


def _blank(value):
    return value is None or str(value).strip() == ""


FIELD_LABELS = {
    "source": gettext_lazy("source"),
    "day": gettext_lazy("date"),
    "month": gettext_lazy("month"),
    "utm_campaign": "utm_campaign",
    "amount": gettext_lazy("amount"),
    "vat": gettext_lazy("VAT"),
    "vat_rate": gettext_lazy("VAT rate"),
    "note": gettext_lazy("note"),
}


@dataclass
class SpendRowResult(RowResult):
    """A row's outcome: created, updated, unchanged or error (the messages name the column in Russian)."""

    spend_id: int | None = None

    @property
    def messages(self):
        return [
            f"{FIELD_LABELS.get(name, name)}: {message}" if name != "__all__" else message
            for name, msgs in self.errors.items()
            for message in msgs
        ]


class SpendImportReport(ImportReport):
    @property
    def summary(self):
        outcomes = (SPEND_CREATED, SPEND_UPDATED, SPEND_UNCHANGED, ERROR)
        return {"rows": len(self.rows), **{key: self.count(key) for key in outcomes}, "blank": self.blank_rows}


def import_spend(file, *, actor, filename=None):
    """Import every row of `file` (a binary file object, or bytes with `filename`) and report per row.
    Raises ImportFileError when the file cannot be read at all or lacks a required column."""
    content = file if isinstance(file, bytes) else file.read()
    filename = filename or getattr(file, "name", "") or "upload"
    header, rows = read_table(content, filename)
    columns, ignored = map_columns(header, COLUMN_ALIASES)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns.values()]
    if missing or not {"day", "month"} & set(columns.values()):
        raise ImportFileError(
            _(
                "The first row must name the columns: source, date or month, amount (and optionally "
                "utm_campaign, vat, vat_rate). Found: %(found)s"
            )
            % {"found": ", ".join(str(h) for h in header if h) or "—"}
        )
    sources = {}
    for source in Source.objects.filter(Q(is_active=True)):
        sources[source.code.lower()] = source
        sources.setdefault(source.name.lower(), source)
    report = SpendImportReport(filename=filename, ignored_columns=ignored)
    for number, values in rows:
        if all(_blank(value) for value in values):
            report.blank_rows += 1
            continue
        raw = {columns[i]: value for i, value in enumerate(values) if i in columns}
        report.rows.append(_import_row(number, raw, sources, actor, filename))
    return report


def _import_row(number, raw, sources, actor, filename):
    text = {name: "" if value is None else str(value).strip() for name, value in raw.items()}
    form = SpendRowForm(text, raw=raw, sources=sources)
    if not form.is_valid():
        return SpendRowResult(number, ERROR, errors={name: list(msgs) for name, msgs in form.errors.items()})
    data = form.cleaned_data
    try:
        spend, outcome = spend_record(
            source=data["source"],
            utm_campaign=data["utm_campaign"],
            granularity=data["granularity"],
            day=data["date"],
            amount=data["amount"],
            vat_included=data["vat"],
            vat_rate=data["vat_rate"],
            note=data["note"],
            actor=actor,
            imported_from=filename[:200],
        )
    except ValidationError as exc:
        return SpendRowResult(number, ERROR, errors={"__all__": list(exc.messages)})
    except DatabaseError as exc:  # the row's own transaction rolled back; the others are unaffected
        return SpendRowResult(number, ERROR, errors={"__all__": [_("Could not be saved: %(error)s") % {"error": exc}]})
    return SpendRowResult(number, outcome, spend_id=spend.pk)
