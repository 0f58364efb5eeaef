"""Operations pages: stuck background work (admins) and data import (by kind's roles)."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders import navigation, selectors, services
from orders.errors import DomainError
from orders.models import OutboxMessage, TaskFailure
from orders.pagination import CappedPaginator
from orders.roles import CUSTOMER_EDITORS, ORDER_CREATORS, PRODUCT_EDITORS
from pricing.selectors import PRICERS

from . import imports
from .celery import app as celery_app

PAGE_SIZE = 25
IMPORT_CACHE_SECONDS = 3600
IMPORT_MAX_BYTES = 10 * 1024 * 1024

navigation.register(
    gettext_lazy("Import data"),
    "ops:import",
    roles=CUSTOMER_EDITORS | PRODUCT_EDITORS | PRICERS | ORDER_CREATORS,
    order=92,
)


def staff_required(view):
    """Admins only: Django's is_staff (the same people who use /admin/)."""

    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied(_("Only administrators see background work."))
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


# --- stuck work -------------------------------------------------------------------------------


@require_GET
@staff_required
def stuck_work(request):
    minutes = settings.OMC_STUCK_OUTBOX_MINUTES
    outbox = CappedPaginator(selectors.outbox_stuck(older_than_minutes=minutes), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    failures = Paginator(selectors.task_failures_open(), PAGE_SIZE).get_page(request.GET.get("failures_page"))
    return render(request, "omc/stuck_work.html", {"outbox": outbox, "failures": failures, "minutes": minutes})


@require_POST
@staff_required
def outbox_retry(request, message_id: int):
    if not OutboxMessage.objects.filter(pk=message_id).exists():
        raise Http404(_("No such outbox message."))
    try:
        published = services.outbox_retry(message_id=message_id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if published:
            messages.success(request, _("Outbox message %(number)s was published again.") % {"number": message_id})
        else:
            messages.error(
                request,
                _("Outbox message %(number)s could not be published: is the broker up?") % {"number": message_id},
            )
    return redirect("ops:stuck_work")


@require_POST
@staff_required
def task_failure_retry(request, failure_id: int):
    if not TaskFailure.objects.filter(pk=failure_id).exists():
        raise Http404(_("No such failed task."))
    try:
        failure = services.task_failure_retry(failure_id=failure_id, user=request.user, send_task=celery_app.send_task)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(task)s was queued again.") % {"task": failure.task_name})
    return redirect("ops:stuck_work")


# --- import -----------------------------------------------------------------------------------


def _kinds_for(user) -> list[imports.ImportKind]:
    return [kind for kind in imports.KINDS.values() if kind.allowed(user)]


@require_http_methods(["GET", "POST"])
def import_start(request):
    """Pick a kind and a file; POST runs the dry run and shows every row's errors."""
    kinds = _kinds_for(request.user)
    if not kinds:
        raise PermissionDenied(_("Your role imports nothing."))
    if request.method == "GET":
        return render(request, "omc/import_start.html", {"kinds": kinds})
    kind = imports.KINDS.get(request.POST.get("kind", ""))
    upload = request.FILES.get("file")
    error = None
    if kind is None or kind not in kinds:
        error = _("Choose what to import.")
    elif upload is None:
        error = _("Choose a file.")
    elif upload.size > IMPORT_MAX_BYTES:
        error = _("The file is larger than 10 MB; split it.")
    if error is None:
        try:
            rows = imports.table_read(filename=upload.name, content=upload.read())
        except imports.ImportFileError as exc:
            error = str(exc)
    if error:
        return render(request, "omc/import_start.html", {"kinds": kinds, "error": error}, status=400)
    result = imports.import_run(kind=kind.key, rows=rows, user=request.user, dry_run=True)
    token = ""
    if result.ok and rows:
        token = uuid.uuid4().hex
        cache.set(
            f"omc-import:{token}",
            {"kind": kind.key, "rows": rows, "user_id": request.user.pk, "filename": upload.name},
            IMPORT_CACHE_SECONDS,
        )
    return render(
        request,
        "omc/import_result.html",
        {"kind": kind, "result": result, "token": token, "filename": upload.name},
        status=200 if result.ok else 400,
    )


@require_POST
def import_confirm(request, token: str):
    """The real import of a file whose dry run was clean: every row or none."""
    if not _kinds_for(request.user):  # like the upload page: 403 for a role that imports nothing
        raise PermissionDenied("Your role imports nothing.")
    staged = cache.get(f"omc-import:{token}")
    if staged is None or staged["user_id"] != request.user.pk:
        messages.error(request, _("That dry run has expired; upload the file again."))
        return redirect("ops:import")
    kind = imports.KINDS[staged["kind"]]
    if not kind.allowed(request.user):
        raise PermissionDenied(_("Your role does not import this."))
    result = imports.import_run(kind=kind.key, rows=staged["rows"], user=request.user, dry_run=False)
    if not result.ok:
        # The data changed since the dry run (e.g. someone took a code): nothing was imported.
        return render(
            request,
            "omc/import_result.html",
            {"kind": kind, "result": result, "token": "", "filename": staged["filename"]},
            status=409,
        )
    cache.delete(f"omc-import:{token}")
    messages.success(
        request,
        _("%(kind)s: %(created)s created, %(updated)s updated from %(filename)s.")
        % {"kind": kind.label, "created": result.created, "updated": result.updated, "filename": staged["filename"]},
    )
    return redirect("ops:import")
