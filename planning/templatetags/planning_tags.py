from django import template

from planning.csv_io import quantity_text

register = template.Library()


@register.filter
def qty(value) -> str:
    """A quantity without trailing zeros: 120.000 -> '120'; '' for none."""
    return quantity_text(value)


@register.filter
def ym(value) -> str:
    """A month date as YYYY-MM (what URLs, the grid and CSV files use)."""
    return f"{value:%Y-%m}" if value else ""
