"""Pure sanity rules of what a rep types: the contract amount against the quote, the contract date,
the measurement against its visit, the next step's date. Called by the services (the guarantee);
the services raise `EntryRefused` with the field, so a page shows the message next to the value.

Overridable in settings (SALES_AMOUNT_CONFIRM_BELOW, SALES_AMOUNT_CONFIRM_ABOVE,
SALES_CONTRACT_DAYS_BEFORE_MEASUREMENT).
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings


def amount_confirm_below() -> Decimal:
    return Decimal(str(getattr(settings, "SALES_AMOUNT_CONFIRM_BELOW", "0.5")))


def amount_confirm_above() -> Decimal:
    return Decimal(str(getattr(settings, "SALES_AMOUNT_CONFIRM_ABOVE", "2")))


def contract_days_before_measurement() -> int:
    return int(getattr(settings, "SALES_CONTRACT_DAYS_BEFORE_MEASUREMENT", 30))


def amount_ratio(amount: Decimal, quote: Decimal | None) -> Decimal | None:
    """How many times the amount is off the quote (≥ 1 either way); None without a quote."""
    if not quote or not amount or quote <= 0 or amount <= 0:
        return None
    return max(amount / quote, quote / amount)


def is_unusual_amount(amount: Decimal, quote: Decimal | None) -> bool:
    if amount_ratio(amount, quote) is None:
        return False
    return amount < quote * amount_confirm_below() or amount > quote * amount_confirm_above()


def earliest_contract_date(measured_on: date) -> date:
    return measured_on - timedelta(days=contract_days_before_measurement())


def grouped(value) -> str:
    """350 000: thousands split by a narrow no-break space, like the board's `money` filter."""
    return f"{Decimal(value):,.0f}".replace(",", "\u202f")


def rubles(value) -> str:
    """350 000 ₽ ("—" for no amount)."""
    return grouped(value) + "\u00a0₽" if value is not None else "—"


def times(ratio: Decimal) -> str:
    return f"{ratio:,.0f}".replace(",", "\u202f")
