"""One way for pages to run a step: check the form, call the service, tell the user what
happened (a message), and redirect — so a refused step is a message, never a 500."""

from django.contrib import messages

from .errors import DomainError


def form_errors_text(form) -> str:
    """'field: message' for each invalid field, in one line."""
    return " ".join(
        f"{'' if field == '__all__' else field + ': '}{' '.join(errors)}" for field, errors in form.errors.items()
    )


def domain_error_text(error: DomainError) -> str:
    """The error's message with the field errors that say more."""
    details = [m for msgs in error.field_errors.values() for m in msgs if m not in error.message]
    return " ".join([error.message, *details]).strip()


def run_step(request, *, run, done: str, then, form=None):
    """Validate `form` (if any), call `run(cleaned_data)`, add a success or error message, return `then`."""
    if form is not None and not form.is_valid():
        messages.error(request, form_errors_text(form))
        return then
    try:
        run(form.cleaned_data if form is not None else {})
    except DomainError as error:
        messages.error(request, domain_error_text(error))
    else:
        messages.success(request, done)
    return then
