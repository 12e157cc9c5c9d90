import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from leadflow.models import Lead, LeadStatus, Reason


class ClosedDealFilter(django_filters.FilterSet):
    """Search in won and lost deals: client, phone, address; outcome, rep, reason, period."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(
        label=_("Outcome"), choices=[(LeadStatus.WON, _("Won")), (LeadStatus.LOST, _("Lost"))]
    )
    sales_rep = django_filters.ModelChoiceFilter(label=_("Sales rep"), queryset=None)
    lose_reason = django_filters.ModelChoiceFilter(
        label=_("Lose reason"), queryset=Reason.objects.filter(kind=Reason.Kind.LOSE)
    )
    closed_from = django_filters.DateFilter(
        label=_("Closed from"),
        field_name="closed_at",
        lookup_expr="date__gte",
        widget=forms.DateInput({"type": "date"}),
    )
    closed_to = django_filters.DateFilter(
        label=_("Closed to"), field_name="closed_at", lookup_expr="date__lte", widget=forms.DateInput({"type": "date"})
    )

    class Meta:
        model = Lead
        fields = ["q", "status", "sales_rep", "lose_reason", "closed_from", "closed_to"]

    def __init__(self, *args, reps=None, **kwargs):
        super().__init__(*args, **kwargs)
        if reps is None:
            del self.filters["sales_rep"]
        else:
            self.filters["sales_rep"].queryset = reps
        for name, flt in self.filters.items():
            widget = self.form.fields[name].widget
            widget.attrs.setdefault("class", "form-select" if isinstance(widget, forms.Select) else "form-control")
            del flt

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(phone__icontains=value)
            | Q(address__icontains=value)
            | Q(city__icontains=value)
            | Q(competitor__icontains=value)
        )
