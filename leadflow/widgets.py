"""Form widgets that render the markup of Django's own in Python.

Django renders a <select> through a template that includes one more template per option (and another
for each option's attributes): a checklist of six questions or a list of twenty reasons cost more CPU
than the rest of the lead card's form (issue 14, docs/performance.md). `Select` gives the same markup,
character for character (tests/leadflow/test_widgets.py compares it with Django's for every case).
"""

from django import forms
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


def _shown(value):
    """`{{ value }}` in a template: localized, as text, escaped."""
    return conditional_escape(str(localize(value)))


def _attrs(attrs):
    """django/forms/widgets/attrs.html: ` name="value"` (`stringformat:'s'`: str, not localized), ` name`
    for True, nothing for False."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        shown = "" if value is True else f'="{conditional_escape(str(value))}"'
        out.append(f" {conditional_escape(name)}{shown}")
    return "".join(out)


class Select(forms.Select):
    """forms.Select, rendered without a template per option."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                    f"{_shown(option['label'])}</option>\n"  # the option template's own last line
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308  (every part escaped)
