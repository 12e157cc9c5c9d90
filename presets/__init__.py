"""Vertical presets: a business (kitchens, clinic, real estate, B2B services) as data, applied to an
installation by `manage.py apply_preset NAME` or the first-run wizard. The top layer under demo: it
calls each app's own setup services (leadflow, qualification, sales, reports)."""
