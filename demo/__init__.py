"""The demo company (`manage.py seed_demo`): a top-level app above every other, which it may import.

seed.py runs it; leads.py, sales_story.py, extras.py simulate the stories; each app's own bulk module
(leadflow/bulk.py, qualification/bulk.py, sales/bulk.py) writes its tables.
"""
