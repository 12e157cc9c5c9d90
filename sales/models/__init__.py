"""The deal board's data (sales.models.deals) and the rep's field kit: the measurement form as data,
the photos of a measurement (sales.models.kit) and the private calendar feed (sales.models.feeds)."""

from .deals import DealCorrection, Dispute, Measurement, ObjectionTag, Visit
from .feeds import CalendarFeed
from .kit import MeasurementField, MeasurementKit, MeasurementPhoto

__all__ = [
    "CalendarFeed",
    "DealCorrection",
    "Dispute",
    "Measurement",
    "MeasurementField",
    "MeasurementKit",
    "MeasurementPhoto",
    "ObjectionTag",
    "Visit",
]
