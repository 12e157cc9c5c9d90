from django.dispatch import Signal

# Sent after the intake transaction commits, with `lead_id`. The qualification app schedules the
# SLA checks from it, so the core never imports the apps built on top of it.
lead_received = Signal()
