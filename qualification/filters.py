"""Queue filters (django-filter). Choices come from small reference tables, never from the leads."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from leadflow.models import Lead, ProductInterest, SlaState, Source
from leadflow.search import lead_name_or_phone
from leadflow.search import text_contains as _contains

OPEN_SLA_STATES = [
    (SlaState.PENDING, SlaState.PENDING.label),
    (SlaState.WARNED, SlaState.WARNED.label),
    (SlaState.BREACHED, SlaState.BREACHED.label),
    (SlaState.MET, SlaState.MET.label),
    (SlaState.MET_LATE, SlaState.MET_LATE.label),
]


class DateInput(forms.DateInput):
    input_type = "date"


class QueueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Name or phone"))
    source = django_filters.ModelChoiceFilter(
        queryset=Source.objects.filter(is_active=True), label=_("Source"), empty_label=_("All sources")
    )
    region = django_filters.CharFilter(method="filter_region", label=_("Region"))
    product_interest = django_filters.ChoiceFilter(
        choices=ProductInterest.choices, label=_("Product"), empty_label=_("Any product")
    )
    sla_state = django_filters.ChoiceFilter(choices=OPEN_SLA_STATES, label=_("SLA"), empty_label=_("Any SLA"))
    received_from = django_filters.DateFilter(
        field_name="received_at", lookup_expr="date__gte", label=_("Received from"), widget=DateInput
    )
    received_to = django_filters.DateFilter(
        field_name="received_at", lookup_expr="date__lte", label=_("to"), widget=DateInput
    )

    class Meta:
        model = Lead
        fields = ["q", "source", "region", "product_interest", "sla_state", "received_from", "received_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            css = "form-select form-select-sm" if hasattr(field, "choices") else "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)
        self.form.fields["q"].widget.attrs.setdefault("placeholder", "+7…")

    def filter_region(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(_contains("region", value) | _contains("city", value))

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(lead_name_or_phone(value))
