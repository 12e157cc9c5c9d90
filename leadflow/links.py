"""The URLs that services put into notifications and messages, built with reverse() in one place.

The deal page belongs to the sales app, which the qualification app may not import: the URL is named,
not imported, so every app links to it the same way.
"""

from django.urls import NoReverseMatch, reverse


def lead_card_url(lead_id):
    return reverse("qualification:lead", args=[lead_id])


def deal_url(lead_id):
    return reverse("sales:deal", args=[lead_id])


def arbitration_url():
    return reverse("sales:arbitration")


def today_url():
    """The rep's day on a phone ("Сегодня", sales:today) where the project has it, else their calendar:
    the visit reminders link here."""
    try:
        return reverse("sales:today")
    except NoReverseMatch:
        return reverse("sales:calendar")
