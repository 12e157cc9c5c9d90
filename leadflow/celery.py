import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")

app = Celery("leadflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# after a Redis restart, the ETA checks a worker held go back into the queue (docs/sla.md)
app.steps["consumer"].add("leadflow.broker:RestoreHeldMessages")


@signals.task_prerun.connect
def _speak_the_vertical(**_kwargs):
    """A task's texts (visit reminders, digests, e-mails) use the installation's words, as pages do
    (leadflow.vertical.VerticalVocabularyMiddleware): "приём" in a clinic, not "замер"."""
    from .vertical import vocabulary_activate

    vocabulary_activate()
