"""The job cards, built in Python: the board shows about a thousand cards, and a template
include per card costs milliseconds each. The cards of a cell are built by one tag call
(`job_cards`); the text that comes from data (order number, customer, SKU) is escaped with
the standard library's html.escape, the rest is numbers and dates (format_html per card, with
its escaping of every argument, was a third of the board's time at 5,000 jobs)."""

from functools import lru_cache
from html import escape

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import mark_safe

from scheduling.planner import fmt_hours

register = template.Library()

MOVABLE = ("unscheduled", "scheduled")
_ID = 987654321  # a stand-in order id, to reverse the order page's address once


@lru_cache(maxsize=8)
def _order_url_parts(script_prefix: str, urlconf) -> tuple[str, str]:
    head, tail = reverse("orders:order_detail", args=[_ID]).split(str(_ID))
    return head, tail


def _card(job, can_edit: bool, show_wc: bool, window_start, url_parts: tuple[str, str]) -> str:
    customer = job.customer_name
    hours = fmt_hours(job.hours)
    classes = f"job prio-{job.band}"
    if job.late:
        classes += " late"
    if job.state not in MOVABLE:
        classes += " fixed"
    title = f"{job.order_number} · {customer} · {job.sku} × {fmt_hours(job.quantity)}"
    title += f" · operation {job.sequence} · {hours} h"
    if job.promised_date:
        title += f" · promised {job.promised_date:%Y-%m-%d}"
    sub = customer[:22] + (f" · {job.work_center.code}" if show_wc else "") + f" · op {job.sequence}"
    lines = [sub]
    if job.state == "started":
        lines.append("started")
    elif job.state == "finished":
        lines.append("finished")
    if job.spans:
        came_from = f"← from {job.scheduled_day:%d %b} " if window_start and job.scheduled_day < window_start else ""
        lines.append(f"{came_from}→ {job.finish_day:%a %d %b}")
    elif job.promised_date and not job.finish_day:
        lines.append(f"promised {job.promised_date:%d %b}")
    flag = ""
    if job.late:
        flag = (
            f'<div class="job-flag" data-testid="late-{job.pk}">Late: promised {job.promised_date:%d %b}, '
            f"ends {job.finish_day:%d %b}</div>"
        )
    movable = ' data-movable="1"' if can_edit and job.state in MOVABLE else ""
    subs = "".join(f'<div class="job-sub">{escape(line)}</div>' for line in lines)
    return (
        f'<div class="{classes}" data-testid="job-{job.pk}" data-job="{job.pk}" data-version="{job.version}"'
        f' data-wc="{job.work_center_id}"{movable} data-h="{hours}" title="{escape(title)}">'
        f'<div class="job-top"><a href="{url_parts[0]}{job.order_id}{url_parts[1]}" hx-boost="false">'
        f'{escape(job.order_number)}</a><span class="job-hours">{hours} h</span></div>{subs}{flag}</div>'
    )


def _cards(jobs, can_edit, show_wc, window_start) -> str:
    url_parts = _order_url_parts(get_script_prefix(), get_urlconf())
    return mark_safe("".join(_card(job, can_edit, show_wc, window_start, url_parts) for job in jobs))


@register.simple_tag
def job_cards(jobs, *, can_edit=False, show_wc=False, window_start=None):
    """The cards of a cell (or of the unscheduled list) in one call. Each job needs the card
    fields of scheduling.selectors.with_card_fields and `band`, `late`, `spans` (selectors._decorate)."""
    return _cards(jobs, can_edit, show_wc, window_start)
