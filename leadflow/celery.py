import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")

app = Celery("leadflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# after a Redis restart, the ETA checks a worker held go back into the queue (docs/sla.md)
app.steps["consumer"].add("leadflow.broker:RestoreHeldMessages")
