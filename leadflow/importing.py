"""Import leads from a CSV or XLSX file: every row validated by the intake rules, good rows saved through
`lead_receive` (channel "import"), and a report line for every row, so nothing is silently dropped.

Each good row is its own transaction (a bad row never undoes or half-writes a good one); a row that
fails validation writes nothing. An import that wrote ANALYZE_AFTER_ROWS rows or more analyses the
tables it filled: a few thousand new leads change the queue's row counts long before autovacuum's
10 % threshold notices (docs/operations.md).
"""

import codecs
import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from . import db
from .forms import ImportRowForm
from .models import Inquiry, Lead, Source
from .services import lead_receive

log = logging.getLogger(__name__)

OK, ATTACHED, DUPLICATE, ERROR = "ok", "attached", "duplicate", "error"
ANALYZE_AFTER_ROWS = 200  # new or attached rows; fewer are noise to the planner, autovacuum handles them

# Column headings people actually use (lower-cased, spaces and dashes as underscores) → form fields.
COLUMN_ALIASES = {
    "name": "name",
    "full_name": "name",
    "client": "name",
    "имя": "name",
    "фио": "name",
    "клиент": "name",
    "phone": "phone",
    "telephone": "phone",
    "tel": "phone",
    "телефон": "phone",
    "email": "email",
    "e_mail": "email",
    "mail": "email",
    "почта": "email",
    "city": "city",
    "город": "city",
    "message": "message",
    "comment": "message",
    "сообщение": "message",
    "комментарий": "message",
    "product_interest": "product_interest",
    "product": "product_interest",
    "продукт": "product_interest",
    "language": "language",
    "lang": "language",
    "язык": "language",
    "язык_обслуживания": "language",
    "external_id": "external_id",
    "id": "external_id",
    "source": "source",
    "источник": "source",
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
}


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, no phone column); nothing was saved."""


@dataclass
class RowResult:
    row: int  # the row number a spreadsheet shows (the heading is row 1)
    outcome: str  # ok, attached, duplicate, error
    lead_id: int | None = None
    errors: dict = field(default_factory=dict)  # field → [messages]

    @property
    def messages(self):
        return [
            f"{name}: {message}" if name != "__all__" else message
            for name, msgs in self.errors.items()
            for message in msgs
        ]


@dataclass
class ImportReport:
    filename: str
    rows: list = field(default_factory=list)
    ignored_columns: list = field(default_factory=list)
    blank_rows: int = 0

    def count(self, outcome):
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def summary(self):
        return {
            "rows": len(self.rows),
            OK: self.count(OK),
            ATTACHED: self.count(ATTACHED),
            DUPLICATE: self.count(DUPLICATE),
            ERROR: self.count(ERROR),
            "blank": self.blank_rows,
        }

    @property
    def errors(self):
        return [row for row in self.rows if row.outcome == ERROR]


def import_leads(file, *, filename=None, default_source=None):
    """Import every row of `file` (a path, or a binary file object with `filename`) and report per row.

    `default_source` (a Source or its code) is used for rows without a `source` value.
    Raises ImportFileError when the file cannot be read at all.
    """
    if isinstance(file, str | Path):
        filename = filename or Path(file).name
        with open(file, "rb") as handle:
            content = handle.read()
    else:
        filename = filename or getattr(file, "name", "") or "upload"
        content = file.read()
    if isinstance(default_source, str):
        code = default_source
        default_source = Source.objects.filter(code=code, is_active=True).first()
        if default_source is None:
            raise ImportFileError(_("Unknown or inactive source “%(code)s”.") % {"code": code})

    header, rows = read_table(content, filename)
    columns, ignored = map_columns(header)
    if "phone" not in columns.values():
        raise ImportFileError(
            _("No phone column: the first row must name the columns (phone, name, email…). Found: %(found)s")
            % {"found": ", ".join(str(h) for h in header if h) or "—"}
        )
    report = ImportReport(filename=filename, ignored_columns=ignored)
    for number, values in rows:
        if all(_text(value) == "" for value in values):
            report.blank_rows += 1
            continue
        raw = {columns[i]: _text(value) for i, value in enumerate(values) if i in columns}
        report.rows.append(_import_row(number, raw, values, header, default_source))
    if report.count(OK) + report.count(ATTACHED) >= ANALYZE_AFTER_ROWS:
        db.analyze(Lead, Inquiry, StateLog)
    return report


def _import_row(number, raw, values, header, default_source):
    data = dict(raw)
    if "product_interest" in data:
        data["product_interest"] = data["product_interest"].strip().lower()
    form = ImportRowForm(data, default_source=default_source)
    if not form.is_valid():
        return RowResult(number, ERROR, errors={name: list(msgs) for name, msgs in form.errors.items()})
    payload = {str(h): _text(v) for h, v in zip(header, values, strict=False) if h}
    try:
        result = lead_receive(
            source=form.cleaned_data["source"],
            external_id=form.cleaned_data.get("external_id", ""),
            channel="import",
            payload=payload,
            **form.lead_fields(),
        )
    except DatabaseError as exc:  # the row's own transaction rolled back; the others are unaffected
        log.warning("import row %s failed: %s", number, exc)
        return RowResult(number, ERROR, errors={"__all__": [_("Could not be saved: %(error)s") % {"error": exc}]})
    outcome = OK if result.created else ATTACHED if result.attached else DUPLICATE
    return RowResult(number, outcome, lead_id=result.lead.pk)


def map_columns(header, aliases=COLUMN_ALIASES):
    """{column index: field name} by the headings (`aliases`: heading → field), and the headings ignored."""
    columns, ignored = {}, []
    for index, heading in enumerate(header):
        key = _text(heading).lower().replace(" ", "_").replace("-", "_")
        name = aliases.get(key)
        if name and name not in columns.values():
            columns[index] = name
        elif key:
            ignored.append(_text(heading))
    return columns, ignored


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone or id that a spreadsheet stored as a number
    return str(value).strip()


# --- reading ------------------------------------------------------------------------------------

XLSX_MAGIC = b"PK\x03\x04"


def read_table(content, filename=""):
    """(header, [(row_number, values)…]) from CSV or XLSX bytes, chosen by content, then by extension."""
    if content.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return _read_xlsx(content)
    return _read_csv(content)


def _read_xlsx(content):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise ImportFileError(_("This is not a readable XLSX file (%(error)s).") % {"error": exc}) from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = list(next(rows, None) or [])
        return header, [(number, list(values)) for number, values in enumerate(rows, start=2)]
    finally:
        workbook.close()


def _read_csv(content):
    text = _decode(content)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader, [])
        # numbered by record, as a spreadsheet shows the file (a quoted multi-line message is one row)
        rows = [(number, values) for number, values in enumerate(reader, start=2)]
    except csv.Error as exc:
        raise ImportFileError(_("This CSV file cannot be read: %(error)s") % {"error": exc}) from None
    return header, rows


def _decode(content):
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8) :].decode("utf-8")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Russian Windows saves CSV in Windows-1251
        return content.decode("cp1251")
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is neither UTF-8 nor Windows-1251 text.")) from None
