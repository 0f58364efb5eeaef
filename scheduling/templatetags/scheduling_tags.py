"""The job card, built in Python: the board can show a thousand cards, and a template include
per card costs milliseconds each."""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from scheduling.planner import fmt_hours

register = template.Library()

MOVABLE = ("unscheduled", "scheduled")


@register.simple_tag
def job_card(job, *, can_edit=False, show_wc=False, window_start=None):
    order = job.order
    classes = [f"job prio-{job.band}"]
    if job.late:
        classes.append("late")
    if job.state not in MOVABLE:
        classes.append("fixed")
    title = f"{order.number} · {order.customer.name} · {job.order_line.product.sku} × {fmt_hours(job.quantity)}"
    title += f" · operation {job.sequence} · {fmt_hours(job.hours)} h"
    if job.promised_date:
        title += f" · promised {job.promised_date:%Y-%m-%d}"
    sub = order.customer.name[:22] + (f" · {job.work_center.code}" if show_wc else "") + f" · op {job.sequence}"
    lines = [(sub,)]
    if job.state == "started":
        lines.append(("started",))
    elif job.state == "finished":
        lines.append(("finished",))
    if job.spans:
        came_from = f"← from {job.scheduled_day:%d %b} " if window_start and job.scheduled_day < window_start else ""
        lines.append((f"{came_from}→ {job.finish_day:%a %d %b}",))
    elif job.promised_date and not job.finish_day:
        lines.append((f"promised {job.promised_date:%d %b}",))
    flag = ""
    if job.late:
        flag = format_html(
            '<div class="job-flag" data-testid="late-{}">Late: promised {}, ends {}</div>',
            job.pk,
            f"{job.promised_date:%d %b}",
            f"{job.finish_day:%d %b}",
        )
    return format_html(
        '<div class="{}" data-testid="job-{}" data-job="{}" data-version="{}" data-wc="{}"{}'
        ' data-h="{}" title="{}">'
        '<div class="job-top"><a href="{}" hx-boost="false">{}</a><span class="job-hours">{} h</span></div>{}{}</div>',
        " ".join(classes),
        job.pk,
        job.pk,
        job.version,
        job.work_center_id,
        mark_safe(' data-movable="1"') if can_edit and job.state in MOVABLE else "",
        fmt_hours(job.hours),
        title,
        reverse("orders:order_detail", args=[job.order_id]),
        order.number,
        fmt_hours(job.hours),
        format_html_join("", '<div class="job-sub">{}</div>', lines),
        flag,
    )
