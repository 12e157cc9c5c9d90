"""leadflow.compiled: a queryset compiled once gives, for any later values, what the queryset itself gives."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadflow.compiled import compiled_query
from leadflow.models import Lead
from tests.factories import LeadFactory, source

pytestmark = pytest.mark.django_db


def _card_lead(pk):
    return Lead.objects.select_related("source", "qualification_team").filter(pk=pk)


def _fields(lead):
    return {field.attname: getattr(lead, field.attname) for field in Lead._meta.concrete_fields}


def test_the_same_instances_and_relations_as_the_queryset_for_each_value():
    first, second = LeadFactory(), LeadFactory(source=source("avito"))
    for lead in (first, second, first):
        [got] = compiled_query("test-lead", _card_lead, lead.pk)
        [expected] = _card_lead(lead.pk)
        assert _fields(got) == _fields(expected)
        with CaptureQueriesContext(connection) as ctx:  # the relations came with the row
            assert (got.source, got.qualification_team) == (expected.source, expected.qualification_team)
        assert not ctx.captured_queries
    assert compiled_query("test-lead", _card_lead, 10**9) == []


def test_a_text_argument_and_a_slice_keep_their_meaning():
    wanted = LeadFactory(phone="+79161112233")
    LeadFactory(phone="+79161112233")
    LeadFactory(phone="+79160000000")

    def ids_of(phone):
        return Lead.objects.filter(phone=phone).order_by("pk").values_list("pk", flat=True)[:1]

    assert compiled_query("test-phone", ids_of, "+79161112233") == [wanted.pk]
    assert compiled_query("test-phone", ids_of, "+79160000000") == list(ids_of("+79160000000"))
    assert compiled_query("test-phone", ids_of, "+70000000000") == []


def test_the_statement_is_compiled_once_and_run_each_time():
    lead = LeadFactory()
    compiled_query("test-once", _card_lead, lead.pk)
    with CaptureQueriesContext(connection) as ctx:
        compiled_query("test-once", _card_lead, lead.pk)
    assert len(ctx.captured_queries) == 1


def test_an_argument_that_is_not_a_parameter_is_refused():
    with pytest.raises(ValueError, match="not plain parameters"):
        compiled_query("test-bad", lambda pk: Lead.objects.filter(pk__gt=0), 1)


def test_one_name_for_two_builds_keeps_them_apart():
    lead = LeadFactory(phone="+79161112244")
    assert compiled_query("test-same", lambda pk: Lead.objects.filter(pk=pk).values_list("phone", flat=True), lead.pk)
    assert compiled_query("test-same", lambda pk: Lead.objects.filter(pk=pk).values_list("pk", flat=True), lead.pk) == [
        lead.pk
    ]
