"""leadflow.widgets.Select renders exactly Django's markup, without a template per option."""

import pytest
from django import forms

from leadflow.widgets import Select

CASES = [
    ([("", "—"), ("a", "A <b>"), ("b", "B & c")], "a", {"class": "form-select", "required": True, "disabled": False}),
    ([("group", [("1", "one"), ("2", "two")]), ("3", "three")], "2", {}),
    ([(1, "x"), (2, "y")], 2, {"data-x": 'q"uote', "id": "id_f"}),
    ([(1, "x"), (2, "y")], None, {}),
    ([], None, {}),
]


@pytest.mark.parametrize(("choices", "value", "attrs"), CASES)
def test_the_same_markup_as_django(choices, value, attrs):
    ours = Select(attrs=attrs, choices=choices).render("field", value)
    assert ours == forms.Select(attrs=attrs, choices=choices).render("field", value)


@pytest.mark.django_db
def test_a_model_choice_field_and_a_bound_form():
    from leadflow.models import Reason

    class Form(forms.Form):
        reason = forms.ModelChoiceField(queryset=Reason.objects.all(), widget=Select(attrs={"class": "form-select"}))

    class Django(forms.Form):
        reason = forms.ModelChoiceField(
            queryset=Reason.objects.all(), widget=forms.Select(attrs={"class": "form-select"})
        )

    chosen = Reason.objects.order_by("pk").last()
    for data in (None, {"reason": chosen.pk}, {"reason": ""}):
        assert str(Form(data)["reason"]) == str(Django(data)["reason"])
