from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

from orders.money import money_format

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """A wait in the words people use: '3 d 4 h', '5 h 12 min', '40 min'."""
    if value is None:
        return "—"
    minutes = max(0, int(value.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (None when missing)."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def attr(obj, name):
    return getattr(obj, name, "")


@register.filter
def label(key: str) -> str:
    """strategic_fit -> Strategic fit."""
    return str(key).replace("_", " ").capitalize()


@register.filter
def money(amount, currency=None):
    """{{ invoice.total|money:invoice.currency }} -> "EUR 1,234.50" / "VND 1.250.000" (orders.money)."""
    return money_format(amount, currency)


@register.filter
def amount(value, currency=None):
    """Like money, without the currency code (table cells under a header that names it)."""
    return money_format(value, currency, with_code=False)
