"""CSV/XLSX import: every row validated, good rows imported, bad rows reported, nothing half-written."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from leadflow.importing import ATTACHED, DUPLICATE, ERROR, OK, ImportFileError, import_leads
from leadflow.models import Inquiry, Lead
from tests.factories import source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Assert on the English msgids, whatever translations exist."""


CSV = """name,phone,email,city,product_interest,external_id,utm_source,notes
Анна,8 (912) 345-67-89,anna@example.com,Москва,custom,crm-1,yandex,first
Борис,not a phone,,Тула,,crm-2,,bad phone
Вера,+7 912 000 11 22,vera@,Москва,modular,crm-3,,bad email
,,,,,,,
Анна again,+79123456789,,,,crm-4,,same phone
Глеб,9031234567,,,Custom,crm-5,,upper-case product
Анна,8 (912) 345-67-89,anna@example.com,Москва,custom,crm-1,yandex,redelivery
Дмитрий,9051112233,,,sofa,crm-6,,bad product
"""


def _outcomes(report):
    return {row.row: row.outcome for row in report.rows}


def test_csv_good_rows_imported_bad_rows_reported():
    report = import_leads(io.BytesIO(CSV.encode()), filename="leads.csv", default_source="import")
    # rows numbered as a spreadsheet shows them: heading = 1, the blank row 5 is counted, not listed
    assert _outcomes(report) == {
        2: OK,
        3: ERROR,
        4: ERROR,
        6: ATTACHED,
        7: OK,
        8: DUPLICATE,
        9: ERROR,
    }
    assert report.blank_rows == 1
    assert report.summary == {"rows": 7, OK: 2, ATTACHED: 1, DUPLICATE: 1, ERROR: 3, "blank": 1}
    errors = {row.row: row for row in report.errors}
    assert "phone" in errors[3].errors and "is not a phone number" in errors[3].errors["phone"][0]
    assert list(errors[4].errors) == ["email"]
    assert "product_interest" in errors[9].errors
    assert errors[3].messages[0].startswith("phone: ")
    assert report.ignored_columns == ["notes"]

    assert Lead.objects.count() == 2
    anna = Lead.objects.get(phone="+79123456789")
    assert (anna.name, anna.email, anna.city, anna.product_interest, anna.utm_source) == (
        "Анна",
        "anna@example.com",
        "Москва",
        "custom",
        "yandex",
    )
    assert anna.source.code == "import"
    assert anna.inquiries.count() == 2  # crm-1 and the attached crm-4; the redelivery added nothing
    assert Lead.objects.get(phone="+79031234567").product_interest == "custom"
    assert set(Inquiry.objects.values_list("channel", flat=True)) == {"import"}
    assert Inquiry.objects.get(external_id="crm-1").payload["notes"] == "first"
    # nothing of the bad rows was written
    assert not Lead.objects.filter(name__in=["Борис", "Вера", "Дмитрий"]).exists()
    assert not Inquiry.objects.filter(external_id__in=["crm-2", "crm-3", "crm-6"]).exists()


def test_importing_the_same_file_twice_adds_nothing():
    import_leads(io.BytesIO(CSV.encode()), filename="leads.csv", default_source="import")
    before = (Lead.objects.count(), Inquiry.objects.count())
    again = import_leads(io.BytesIO(CSV.encode()), filename="leads.csv", default_source="import")
    assert (Lead.objects.count(), Inquiry.objects.count()) == before
    assert again.summary[OK] == 0 and again.summary[ATTACHED] == 0
    assert again.summary[DUPLICATE] == 4


def test_csv_semicolons_windows_1251_and_russian_headings():
    text = (
        "Имя;Телефон;Источник;Комментарий\nОльга;8 912 111-22-33;avito;Позвоните вечером\nПётр;8 912 111-22-44;ozon;\n"
    )
    report = import_leads(io.BytesIO(text.encode("cp1251")), filename="выгрузка.csv", default_source="import")
    assert _outcomes(report) == {2: OK, 3: ERROR}
    assert "ozon" in report.rows[1].errors["source"][0]
    lead = Lead.objects.get()
    assert (lead.name, lead.phone, lead.source.code, lead.message) == (
        "Ольга",
        "+79121112233",
        "avito",
        "Позвоните вечером",
    )


def test_csv_with_bom_and_quoted_multiline_message():
    text = '\ufeffphone,message\n"9121112233","line one\nline two"\n9121112244,x\n'
    report = import_leads(io.BytesIO(text.encode("utf-8")), filename="x.csv", default_source=source("website"))
    assert _outcomes(report) == {2: OK, 3: OK}
    assert Lead.objects.get(phone="+79121112233").message == "line one\nline two"


def _xlsx(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_numbers_as_phones_and_bad_rows():
    content = _xlsx(
        [
            ["Phone", "Name", "External ID", "Product"],
            [89123456789, "Number cell", 101, "custom"],
            ["garbage", "Bad phone", 102, "custom"],
            [None, None, None, None],
            ["+7 903 123-45-67", "Text cell", 103, None],
            [None, "No phone", 104, "modular"],
        ]
    )
    report = import_leads(io.BytesIO(content), filename="leads.xlsx", default_source="yandex_direct")
    assert _outcomes(report) == {2: OK, 3: ERROR, 5: OK, 6: ERROR}
    assert report.rows[3].errors == {"phone": ["This field is required."]}
    first = Lead.objects.get(phone="+79123456789")
    assert (first.external_id, first.source.code, first.product_interest) == ("101", "yandex_direct", "custom")
    assert Lead.objects.get(phone="+79031234567").product_interest == "unknown"
    assert Lead.objects.count() == 2


def test_xlsx_is_recognised_by_content_whatever_the_name():
    content = _xlsx([["phone"], ["9123456789"]])
    report = import_leads(io.BytesIO(content), filename="export.dat", default_source="import")
    assert report.summary[OK] == 1


def test_file_without_a_phone_column_is_refused_whole():
    with pytest.raises(ImportFileError, match="No phone column"):
        import_leads(io.BytesIO(b"name,email\nA,a@example.com\n"), filename="x.csv", default_source="import")
    assert not Lead.objects.exists()


def test_damaged_xlsx_is_refused_whole():
    with pytest.raises(ImportFileError, match="XLSX"):
        import_leads(io.BytesIO(b"PK\x03\x04 not really a zip"), filename="x.xlsx", default_source="import")


def test_rows_without_any_source_are_errors_not_guesses():
    report = import_leads(io.BytesIO(b"phone\n9123456789\n"), filename="x.csv")
    assert report.rows[0].outcome == ERROR
    assert "source" in report.rows[0].errors
    assert not Lead.objects.exists()


def test_unknown_default_source_is_refused():
    with pytest.raises(ImportFileError, match="nope"):
        import_leads(io.BytesIO(b"phone\n9123456789\n"), filename="x.csv", default_source="nope")


# --- manage.py import_leads -------------------------------------------------------------------------


def test_command_prints_every_row_and_a_summary(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(CSV, encoding="utf-8")
    out = io.StringIO()
    call_command("import_leads", str(path), "--source", "avito", stdout=out)
    text = out.getvalue()
    assert "row 2: ok lead #" in text
    assert "row 3: error: phone: 'not a phone' is not a phone number" in text
    assert "row 6: attached lead #" in text
    assert "row 8: duplicate lead #" in text
    assert "ignored columns: notes" in text
    assert "leads.csv: 7 rows: 2 new, 1 attached to open leads, 1 already imported, 3 with errors" in text
    assert set(Lead.objects.values_list("source__code", flat=True)) == {"avito"}


def test_command_xlsx(tmp_path):
    path = tmp_path / "leads.xlsx"
    path.write_bytes(_xlsx([["phone", "name"], ["9123456789", "A"], ["x", "B"]]))
    out = io.StringIO()
    call_command("import_leads", str(path), stdout=out)
    assert "2 rows: 1 new" in out.getvalue()
    assert Lead.objects.get().source.code == "import"


def test_command_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError):
        call_command("import_leads", str(tmp_path / "nope.csv"))
