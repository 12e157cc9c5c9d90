from leadflow.exceptions import LeadflowError, PermissionRefused, TransitionRefused  # noqa: F401
