"""The client's language (issue 18 §3): taken by the intake API and the import, refused with a Russian
message when unknown, editable in the lead admin; hand-off routes may pick a sales team by it."""

import io

import pytest
from openpyxl import Workbook

from leadflow.importing import ERROR, OK, import_leads
from leadflow.models import Inquiry, Lead
from tests.factories import LeadFactory
from tests.reliability.schema import documented_statuses, openapi, validate_body

URL = "/api/v1/leads/"
PAYLOAD = {"name": "John Smith", "phone": "8 (912) 345-67-89", "external_id": "order-1", "city": "Москва"}
UNKNOWN_FR = "Неизвестный язык «fr»: укажите один из кодов ru, en, tt, kk, uz, zh."

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(russian_api):
    return russian_api


class TestApi:
    def test_a_known_code_is_stored_on_the_lead(self, api):
        response = api.post(URL, {**PAYLOAD, "language": "en"}, format="json")
        assert response.status_code == 201, response.content
        assert Lead.objects.get(pk=response.json()["id"]).language == "en"

    @pytest.mark.parametrize("body", [PAYLOAD, {**PAYLOAD, "language": ""}])
    def test_left_out_or_blank_is_not_said(self, api, body):
        response = api.post(URL, body, format="json")
        assert response.status_code == 201, response.content
        assert Lead.objects.get().language == ""

    def test_an_unknown_code_is_a_400_in_russian_and_nothing_is_saved(self, api):
        response = api.post(URL, {**PAYLOAD, "language": "fr"}, format="json")
        assert response.status_code == 400
        assert response.json() == {"language": [UNKNOWN_FR]}
        assert 400 in {int(status) for status in documented_statuses("/api/v1/leads/", "post")}
        validate_body("/api/v1/leads/", "post", 400, response.json())
        assert not Lead.objects.exists() and not Inquiry.objects.exists()

    @pytest.mark.parametrize("value", ["EN", "Английский", "en-US", 12, ["en"]])
    def test_only_the_exact_codes_the_schema_names(self, api, value):
        response = api.post(URL, {**PAYLOAD, "language": value}, format="json")
        assert response.status_code == 400, response.content
        assert list(response.json()) == ["language"]
        assert response.json()["language"][0].startswith("Неизвестный язык")
        assert not Lead.objects.exists()

    def test_another_language_under_the_same_external_id_is_a_difference(self, api):
        first = api.post(URL, {**PAYLOAD, "language": "en"}, format="json")
        assert api.post(URL, {**PAYLOAD, "language": "en"}, format="json").json()["duplicate"] is True
        response = api.post(URL, {**PAYLOAD, "language": "zh"}, format="json")
        assert response.status_code == 422
        assert (response.json()["lead_id"], response.json()["fields"]) == (first.json()["id"], ["language"])
        assert Lead.objects.get().language == "en"

    def test_the_schema_names_the_codes(self):
        operation = openapi()["paths"]["/api/v1/leads/"]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        language = openapi()["components"]["schemas"][ref]["properties"]["language"]
        values = [value for part in language.get("oneOf", [language]) for value in _enum(part)]
        assert sorted(values) == sorted(["", "ru", "en", "tt", "kk", "uz", "zh"])
        assert "Английский" in language["description"]


def _enum(node):
    if "$ref" in node:
        node = openapi()["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node.get("enum", [])


CSV = """Имя,Телефон,Язык,Город
John,9161110001,en,Москва
Li,9161110002,Китайский,Москва
Aigul,9161110003,TT,Казань
Анна,9161110004,,Москва
Pierre,9161110005,французский,Москва
"""


class TestImport:
    def test_the_language_column_is_read_by_code_or_russian_name(self):
        report = import_leads(io.BytesIO(CSV.encode()), filename="leads.csv", default_source="import")
        assert {row.row: row.outcome for row in report.rows} == {2: OK, 3: OK, 4: OK, 5: OK, 6: ERROR}
        languages = dict(Lead.objects.values_list("phone", "language"))
        assert languages == {"+79161110001": "en", "+79161110002": "zh", "+79161110003": "tt", "+79161110004": ""}
        assert report.rows[-1].errors == {
            "language": ["Неизвестный язык «французский»: укажите один из кодов ru, en, tt, kk, uz, zh."]
        }
        assert not report.ignored_columns  # «Язык» is a known heading

    def test_an_xlsx_language_column(self):
        book = Workbook()
        book.active.append(["phone", "language"])
        book.active.append(["9161110001", "kk"])
        content = io.BytesIO()
        book.save(content)
        content.seek(0)
        report = import_leads(content, filename="leads.xlsx", default_source="import")
        assert [row.outcome for row in report.rows] == [OK]
        assert Lead.objects.get().language == "kk"


def test_the_lead_admin_edits_the_language(admin_client):
    lead = LeadFactory(language="")
    page = admin_client.get(f"/admin/leadflow/lead/{lead.pk}/change/").content.decode()
    assert 'name="language"' in page and "Узбекский" in page


def test_the_personal_data_export_names_the_language():
    from leadflow.privacy.selectors import personal_data_of

    LeadFactory(phone="+79161110009", language="tt")
    [row] = personal_data_of("+79161110009")["leads"]
    assert row["language"] == "Татарский"
