"""The intake payload's fast check (leadflow.api.intake_fast) against the serializer it stands in for.

Whatever the payload, the fast check either answers exactly what `LeadIntakeSerializer(...).lead_fields()`
answers for a valid delivery, or None (then the view runs the serializer). For payloads of strings it
accepts exactly what the serializer accepts, so the serializer runs only for deliveries it refuses.
Fixed seeds in the suite (tests/conftest.py profile "suite"); `HYPOTHESIS_PROFILE=wide` explores afresh.
"""

from types import SimpleNamespace
from unittest import mock

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from leadflow.api import intake_fast
from leadflow.api.intake_fast import lead_fields_or_none
from leadflow.api.serializers import LeadIntakeSerializer
from leadflow.api.views import WEBSITE_LEAD_EXAMPLE
from leadflow.forms import MESSAGE_MAX_LENGTH, PHONE_INPUT_MAX_LENGTH, model_max_length
from leadflow.models import Language, Lead, ProductInterest, Source
from leadflow.services import api_token_issue

TOKEN = SimpleNamespace(source=SimpleNamespace(code="website"))
LIMITS = {
    "name": model_max_length("name"),
    "email": model_max_length("email"),
    "city": model_max_length("city"),
    "external_id": model_max_length("external_id"),
    "utm_source": model_max_length("utm_source"),
    "utm_medium": model_max_length("utm_medium"),
    "utm_campaign": model_max_length("utm_campaign"),
    "message": MESSAGE_MAX_LENGTH,
    "source": 40,
    "phone": PHONE_INPUT_MAX_LENGTH,
}
WHITESPACE = st.sampled_from(["", " ", "  ", "\t", "\n", "\u00a0", "\u3000"])
any_char = st.characters(exclude_categories=())  # NUL and lone surrogates included


@st.composite
def near_limit(draw, name):
    """A string whose stripped length is at, just under or just over the field's limit."""
    length = LIMITS[name] + draw(st.integers(-1, 1))
    char = draw(st.sampled_from(["a", "я", "😀", "\x00"]))
    return draw(WHITESPACE) + char * max(length, 0) + draw(WHITESPACE)


PLAIN = st.text(st.sampled_from("abcAZяЁ 0-9.,@"), max_size=30)


def text_for(name):
    return st.one_of(
        PLAIN,
        PLAIN,
        st.text(any_char, max_size=30),
        st.builds(lambda a, b, c: a + b + c, WHITESPACE, st.text(max_size=30), WHITESPACE),
        near_limit(name),
    )


def string_values():
    phones = st.sampled_from(
        [
            "+79123456789",
            "8 (912) 345-67-89",
            " 9123456789 ",
            "+7 912 345 67 89 доб. 12",
            "+7 916 1OO 1O 22",
            "123",
            "",
            "   ",
            "+44 20 7946 0958",
            "+7 912 345-67-89\x00",
        ]
    )
    emails = st.sampled_from(["", "anna@example.com", " anna@example.com ", "anna@", "a@b", "анна@пример.рф", " "])
    products = st.sampled_from(["", " ", "none", *ProductInterest.values, f" {ProductInterest.values[0]}"])
    languages = st.sampled_from(["", " ", "xx", *Language.values, Language.values[0].upper()])
    sources = st.sampled_from(["", "website", " website ", "other", "WEBSITE"])
    per_field = {
        "phone": phones | text_for("phone"),
        "email": emails | text_for("email"),
        "product_interest": products,
        "language": languages,
        "source": sources,
        **{name: text_for(name) for name in ("name", "city", "external_id", "message", "utm_source", "utm_medium")},
        "utm_campaign": text_for("utm_campaign"),
    }
    valid_phone = st.sampled_from(["+79123456789", "8 (912) 345-67-89", " 9123456789 "])
    return st.one_of(
        st.fixed_dictionaries({}, optional={**per_field, "unknown": st.text(max_size=5)}),
        st.fixed_dictionaries({"phone": valid_phone}, optional={k: v for k, v in per_field.items() if k != "phone"}),
    )


def any_values():
    odd = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.lists(st.integers()))
    return st.dictionaries(
        st.sampled_from([*LIMITS, "product_interest", "language", "other"]),
        odd | st.text(any_char, max_size=20) | st.just(9123456789),
        max_size=6,
    )


def serializer_answer(data):
    serializer = LeadIntakeSerializer(data=data, context={"token": TOKEN})
    return serializer.lead_fields() if serializer.is_valid() else None


@settings(max_examples=400, deadline=None)
@given(string_values())
def test_for_strings_the_fast_check_accepts_what_the_serializer_accepts_with_the_same_fields(data):
    fast = lead_fields_or_none(data, TOKEN)
    event("accepted" if fast is not None else "refused")  # --hypothesis-show-statistics: both are explored
    assert fast == serializer_answer(data)


@settings(max_examples=200, deadline=None)
@given(any_values() | st.lists(st.integers()) | st.none())
def test_for_anything_else_the_fast_check_answers_like_the_serializer_or_not_at_all(data):
    fast = lead_fields_or_none(data, TOKEN)
    if fast is not None:
        assert fast == serializer_answer(data)


@pytest.mark.parametrize(
    "data",
    [
        # the schema's example and the bench's delivery: what integrators send
        WEBSITE_LEAD_EXAMPLE,
        {"phone": "+79123450001", "external_id": "bench-1", "name": "Bench 1", "city": "Москва", "message": "x"},
        {"phone": "9123456789"},
    ],
)
def test_usual_deliveries_take_the_fast_check(data):
    fields = lead_fields_or_none(data, TOKEN)
    assert fields is not None
    assert fields == serializer_answer(data)
    assert fields["phone"] == "+79123456789" or fields["phone"].startswith("+7912345")


def test_a_value_of_another_type_or_a_form_body_goes_to_the_serializer():
    from django.http import QueryDict

    assert lead_fields_or_none({"phone": 9123456789}, TOKEN) is None
    assert lead_fields_or_none(QueryDict("phone=9123456789"), TOKEN) is None
    # the serializer accepts the number (an identifier may be a JSON number) and answers the same lead
    assert serializer_answer({"phone": 9123456789})["phone"] == "+79123456789"


def test_a_serializer_that_checks_more_than_the_fast_check_knows_turns_it_off():
    class Stricter(LeadIntakeSerializer):
        def validate_city(self, value):
            return value

    class WholeObject(LeadIntakeSerializer):
        def validate(self, attrs):
            return attrs

    assert intake_fast._plan(LeadIntakeSerializer) is not None
    assert intake_fast._plan(Stricter) is None
    assert intake_fast._plan(WholeObject) is None
    with mock.patch.object(intake_fast, "_PLAN", None):
        assert lead_fields_or_none({"phone": "9123456789"}, TOKEN) is None


@pytest.mark.django_db
def test_the_api_answers_the_same_on_both_paths():
    """A delivery through the fast check and the same delivery through the serializer: same answer, same
    lead; a 400 still names the field (the serializer speaks for refusals)."""
    token = api_token_issue(source=Source.objects.get_or_create(code="website", defaults={"name": "Сайт"})[0])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = {"phone": "8 912 345-67-89", "name": " Анна ", "external_id": "x-1", "product_interest": "custom"}
    fast = client.post("/api/v1/leads/", body, format="json")
    with mock.patch.object(intake_fast, "_PLAN", None):
        slow = client.post("/api/v1/leads/", {**body, "phone": "8 912 345-67-88", "external_id": "x-2"}, format="json")
    assert (fast.status_code, slow.status_code) == (201, 201)
    first, second = Lead.objects.get(pk=fast.json()["id"]), Lead.objects.get(pk=slow.json()["id"])
    assert (first.name, first.product_interest) == (second.name, second.product_interest) == ("Анна", "custom")
    refused = client.post("/api/v1/leads/", {**body, "email": "anna@"}, format="json")
    assert refused.status_code == 400 and list(refused.json()) == ["email"]


def _client_and_token(**token_fields):
    token = api_token_issue(
        source=Source.objects.get_or_create(code="website", defaults={"name": "Сайт"})[0], **token_fields
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client, token


def _drf_cycle_must_not_run():
    from leadflow.api.base import MachineAPIView

    return mock.patch.object(MachineAPIView, "initial", side_effect=AssertionError("DRF's cycle ran"))


@pytest.mark.django_db
def test_a_usual_delivery_is_answered_without_drfs_cycle_as_drf_would():
    """The same delivery answered by intake_fast.respond and by the view's DRF cycle: the same status,
    headers and body (but the lead's id and time), and the same lead saved."""
    client, _token = _client_and_token()
    body = {"phone": "+79123450001", "name": "Анна", "external_id": "f-1", "city": "Москва"}
    with _drf_cycle_must_not_run():
        fast = client.post("/api/v1/leads/", body, format="json")
    with mock.patch("leadflow.api.views.respond", return_value=None):
        slow = client.post("/api/v1/leads/", {**body, "phone": "+79123450002", "external_id": "f-2"}, format="json")
    assert fast.status_code == slow.status_code == 201
    assert dict(fast.headers) == dict(slow.headers)
    fast_body, slow_body = fast.json(), slow.json()
    assert fast_body.keys() == slow_body.keys()
    assert {k: v for k, v in fast_body.items() if k not in ("id", "received_at")} == {
        k: v for k, v in slow_body.items() if k not in ("id", "received_at")
    }
    first, second = Lead.objects.get(pk=fast_body["id"]), Lead.objects.get(pk=slow_body["id"])
    assert (first.name, first.city, first.status) == (second.name, second.city, second.status)
    assert first.inquiries.get().payload == body


@pytest.mark.django_db
def test_a_repeat_inquiry_is_attached_without_drfs_cycle_and_a_redelivery_goes_through_it():
    client, _token = _client_and_token()
    first = client.post("/api/v1/leads/", {"phone": "+79123450003", "external_id": "a-1"}, format="json")
    with _drf_cycle_must_not_run():
        repeat = client.post("/api/v1/leads/", {"phone": "+79123450003", "external_id": "a-2"}, format="json")
    assert repeat.status_code == 200 and repeat.json()["attached"] and repeat.json()["id"] == first.json()["id"]
    again = client.post("/api/v1/leads/", {"phone": "+79123450003", "external_id": "a-1"}, format="json")
    assert again.status_code == 200 and again.json()["duplicate"]
    with _drf_cycle_must_not_run(), pytest.raises(AssertionError, match="DRF's cycle ran"):
        client.post("/api/v1/leads/", {"phone": "+79123450003", "external_id": "a-1"}, format="json")


@pytest.mark.django_db
def test_over_the_rate_the_request_is_counted_once_and_answered_429_by_drf():
    import time

    import time_machine
    from django.core.cache import cache

    cache.clear()
    client, token = _client_and_token(rate_limit="1/m")
    with time_machine.travel("2026-11-30 12:00:10+00:00", tick=False):
        assert client.post("/api/v1/leads/", {"phone": "+79123450004"}, format="json").status_code == 201
        refused = client.post("/api/v1/leads/", {"phone": "+79123450005"}, format="json")
        window = int(time.time() // 60)
        counted = cache.get(f"ratelimit:api-token:{token.pk}:{window}")
    assert refused.status_code == 429 and int(refused["Retry-After"]) == 50  # the rest of the minute
    assert counted == 2  # not 3: DRF's throttle took the count the fast path made
    assert Lead.objects.filter(phone="+79123450005").count() == 0
