"""CSV and XLSX export of any report table.

CSV: UTF-8 with a BOM (Excel opens it with the right encoding), ';' as the separator for the Russian
locale. A text cell that starts with = + - @ (or a tab / carriage return) would be run as a formula
by a spreadsheet: it is written with a leading apostrophe. Numbers are written as numbers.
XLSX: openpyxl, a bold header, percent and money number formats; text cells get the same
neutralising apostrophe so a name like "=HYPERLINK(…)" stays text.

`export_response` is the one way a table leaves the application: it checks who may download what
the table holds (`leadflow.access.ensure_may_export`, by the table's `export_kind`) and writes one
row of the export log (`reports.services.export_record`) before the file is sent.
"""

import csv
import io
from decimal import Decimal

from django.conf import settings
from django.http import HttpResponse
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.styles import Font

from leadflow import access
from leadflow.ratelimit import client_ip

from .services import export_record
from .tables import export_value

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMBER_FORMATS = {
    "pct": "0.0%",
    "money": "#,##0.00",
    "min": "0.0",
    "days": "0.0",
    "num": "0.00",
    "p": "0.0000",
    "int": "0",
    "id": "0",
}


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def table_rows(table):
    """Header and rows of raw, neutralised values."""
    header = [str(column.label) for column in table.columns]
    rows = []
    for row in table.all_rows():
        rows.append([neutralise(export_value(row.get(column.key), column.kind_for(row))) for column in table.columns])
    return [neutralise(h) for h in header], rows


def to_csv(table):
    header, rows = table_rows(table)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(table):
    header, rows = table_rows(table)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = (slugify(table.slug) or "report")[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    for index, column in enumerate(table.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, min(40, len(str(column.label)) + 2))
        for row, (cell,) in zip(
            table.all_rows(), sheet.iter_rows(min_row=2, min_col=index, max_col=index), strict=False
        ):
            number_format = NUMBER_FORMATS.get(column.kind_for(row))
            if number_format:
                cell.number_format = number_format
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def filters_text(query):
    """The page's filters as the log keeps them: the query string without the export parameters."""
    query = query.copy()
    query.pop("export", None)
    query.pop("table", None)
    return query.urlencode()


def export_response(request, table, fmt, *, basename):
    """The table as a CSV/XLSX download for `request.user`: refused (PermissionRefused → 403) unless
    they may export what it holds; logged with the number of data rows (the total row not counted)."""
    access.ensure_may_export(request.user, kind=table.export_kind)
    name = f"{basename}-{table.slug}"
    if fmt == "xlsx":
        response = HttpResponse(
            to_xlsx(table), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        fmt = "csv"
        response = HttpResponse(to_csv(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    export_record(
        actor=request.user,
        what=f"{basename}/{table.slug}",
        filters=filters_text(request.GET),
        fmt=fmt,
        rows=len(table.rows),
        contains_contacts=table.export_kind == access.EXPORT_CONTACTS,
        ip=client_ip(request, settings.INTAKE_CLIENT_IP_HEADER),
    )
    return response
