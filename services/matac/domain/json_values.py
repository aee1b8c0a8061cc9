"""Turning exact domain values into plain JSON values for explanations and read models."""

from __future__ import annotations

from decimal import Decimal


def json_number(value: int | Decimal) -> int | float:
    """Whole numbers stay integers; fractional Decimals become floats only at this edge."""
    if isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() else float(value)
