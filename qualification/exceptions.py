from leadflow.exceptions import (  # noqa: F401  one family of domain errors across apps
    AlreadyClaimed,
    LeadBusy,
    LeadflowError,
    PermissionRefused,
    TransitionRefused,
)
