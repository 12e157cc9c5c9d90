"""The URLs that services put into notifications and messages, built with reverse() in one place.

The deal page belongs to the sales app, which the qualification app may not import: the URL is named,
not imported, so every app links to it the same way.
"""

from django.urls import reverse


def lead_card_url(lead_id):
    return reverse("qualification:lead", args=[lead_id])


def deal_url(lead_id):
    return reverse("sales:deal", args=[lead_id])


def arbitration_url():
    return reverse("sales:arbitration")
