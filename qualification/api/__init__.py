"""The qualification app's machine API: views.py (the telephony webhook) and urls.py (under /api/v1/)."""
