"""Languages and formats: the catalogues, the per-user and per-customer language, money per
currency (VND has no decimals) and PDFs that draw Thai and Chinese (docs/i18n.md)."""

import json
import os
import re
import shutil
import subprocess
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import translation
from pypdf import PdfReader

from billing import services as billing
from billing.models import Invoice
from orders.models import UserPreference
from orders.money import money_format, money_round
from orders.roles import Role

from .billing_support import ShippedOrders
from .conftest import ARTIFACTS
from .factories import CustomerFactory

LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


DOMAINS = ["django", "djangojs"]  # templates and Python; our static scripts (served by /jsi18n/)


def catalogue_path(language: str, domain: str = "django") -> Path:
    return LOCALE_DIR / translation.to_locale(language) / "LC_MESSAGES" / f"{domain}.po"


def keys(catalogue) -> set:
    return {(e.msgctxt, e.msgid, e.msgid_plural) for e in catalogue if not e.obsolete}


def placeholder_problems(catalogue) -> list[str]:
    """Entries whose translation does not carry exactly the placeholders of the source."""
    problems = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        wanted = sorted(PLACEHOLDER.findall(entry.msgid.replace("%%", "")))
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            if text and sorted(PLACEHOLDER.findall(text.replace("%%", ""))) != wanted:
                problems.append(f"{entry.msgid!r} -> {text!r}")
    return problems


def untranslated(catalogue) -> list[str]:
    missing = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if "fuzzy" in entry.flags or not all(t.strip() for t in texts):
            missing.append(entry.msgid)
    return missing


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues():
    call_command("compile_catalogues", verbosity=0)


@pytest.fixture(autouse=True)
def english_afterwards():
    """A request in Thai leaves Thai active in this thread (Django activates per request and
    never resets); later tests expect the default language."""
    yield
    translation.deactivate()


# --- the catalogues ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Every string the code, templates and scripts mark for translation ({domain: catalogue}),
    extracted now with makemessages from a copy of the sources (the committed catalogues are not
    touched)."""
    root = tmp_path_factory.mktemp("src")
    source = root / "src"
    shutil.copytree(
        settings.BASE_DIR,
        source,
        ignore=shutil.ignore_patterns(
            ".*", "locale", "staticfiles", "tests", "bench", "node_modules", "__pycache__", "vendor"
        ),
    )
    out = source / "locale_out"
    out.mkdir()
    cwd = Path.cwd()
    try:
        os.chdir(source)
        with override_settings(LOCALE_PATHS=[str(out)]):
            for domain in DOMAINS:
                call_command("makemessages", locale=["vi"], domain=domain, no_location=True, verbosity=0)
    finally:
        os.chdir(cwd)
    return {domain: polib.pofile(str(out / "vi" / "LC_MESSAGES" / f"{domain}.po")) for domain in DOMAINS}


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_string_is_in_each_catalogue_and_translated(extracted, language, domain):
    catalogue = polib.pofile(str(catalogue_path(language, domain)))

    left_out = keys(extracted[domain]) - keys(catalogue)

    assert not left_out, f"Run `make messages`: {len(left_out)} strings are not in {language}: {sorted(left_out)[:10]}"
    assert not untranslated(catalogue), f"Untranslated in {language}: {untranslated(catalogue)[:10]}"


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language, domain):
    catalogue = polib.pofile(str(catalogue_path(language, domain)))

    assert placeholder_problems(catalogue) == []
    if shutil.which("msgfmt"):
        check = subprocess.run(
            ["msgfmt", "--check-format", "-o", "/dev/null", str(catalogue_path(language, domain))],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stderr


def test_the_checks_catch_a_broken_placeholder_and_a_missing_string(tmp_path):
    broken = polib.POFile()
    broken.append(polib.POEntry(msgid="Order %(number)s is late.", msgstr="Đơn hàng %(numero)s bị trễ."))
    broken.append(polib.POEntry(msgid="Page %(number)s of %(pages)s", msgstr="Trang %(number)s"))
    broken.append(polib.POEntry(msgid="Orders", msgstr=""))

    assert len(placeholder_problems(broken)) == 2
    assert untranslated(broken) == ["Orders"]
    extracted = polib.POFile()
    extracted.append(polib.POEntry(msgid="A new heading"))
    assert keys(extracted) - keys(broken) == {(None, "A new heading", "")}


# --- the user's language ------------------------------------------------------------------


def orders_heading(language: str) -> str:
    with translation.override(language):
        return translation.gettext("Orders")


def test_switcher_stores_the_language_on_the_user_and_login_applies_it(client, user_with):
    user = user_with(Role.SALES_REP)
    client.force_login(user)

    switched = client.post("/language/", {"language": "it", "next": "/orders/"})

    assert switched.status_code == 302 and switched["Location"] == "/orders/"
    assert UserPreference.objects.get(user=user).language == "it"
    assert orders_heading("it") != "Orders"
    assert f"<h1>{orders_heading('it')}</h1>" in client.get("/orders/").content.decode()
    # Another browser, no cookie: the language comes from the user, at login.
    other = Client()
    other.force_login(user)
    page = other.get("/orders/")
    assert f"<h1>{orders_heading('it')}</h1>" in page.content.decode() and page["Content-Language"] == "it"


def test_switcher_refuses_an_unknown_language_and_a_missing_csrf_token(client, user_with):
    user = user_with(Role.SALES_REP)
    client.force_login(user)

    client.post("/language/", {"language": "xx", "next": "/orders/"})
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    forged = strict.post("/language/", {"language": "th", "next": "/orders/"})

    assert not UserPreference.objects.filter(user=user).exists()
    assert forged.status_code == 403
    assert "<h1>Orders</h1>" in client.get("/orders/").content.decode()


def test_the_login_page_switches_for_anonymous_visitors(client):
    client.post("/language/", {"language": "th", "next": "/login/"})

    page = client.get("/login/").content.decode()

    with translation.override("th"):
        assert translation.gettext("Log in to OMC") in page
    assert '<html lang="th">' in page


def test_the_scripts_catalogue_speaks_the_users_language(client, user_with):
    """The planning grid's, the board's and the claim form's messages come from /jsi18n/, in the
    language the user chose (a static script cannot be translated by the template engine)."""
    user = user_with(Role.SCHEDULER)
    client.force_login(user)
    client.post("/language/", {"language": "zh-hant", "next": "/orders/"})

    catalogue = client.get("/jsi18n/")

    assert catalogue.status_code == 200 and catalogue["Content-Type"].startswith("text/javascript")
    body = catalogue.content.decode()
    assert json.dumps("(The board has been reloaded.)") in body
    assert json.dumps("（看板已重新載入。）") in body  # its translation, as the script will show it


# --- money per currency -------------------------------------------------------------------


@pytest.fixture
def shop(user_with, django_capture_on_commit_callbacks):
    return ShippedOrders(user_with, django_capture_on_commit_callbacks)


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def test_money_rounds_once_to_the_currency_minor_unit():
    assert money_round(Decimal("36109.125"), "VND") == Decimal("36109")
    assert money_round(Decimal("36109.125"), "EUR") == Decimal("36109.13")
    assert money_format(Decimal("1250000"), "VND") == "VND 1,250,000"
    with translation.override("it"):
        assert money_format(Decimal("1234.5"), "EUR") == "EUR 1.234,50"
    with translation.override("vi"):
        assert money_format(Decimal("1250000"), "VND") == "VND 1.250.000"


@pytest.mark.parametrize(
    ("currency", "net", "tax", "total", "shown"),
    [
        ("VND", "36109", "7222", "43331", "VND 43,331"),
        ("EUR", "36109.13", "7221.83", "43330.96", "EUR 43,330.96"),
    ],
)
def test_an_invoice_in_vnd_has_no_decimals_and_one_in_eur_has_two(
    client, api_as, shop, currency, net, tax, total, shown
):
    # 3 × 12,345 less 2.5 % = 36,109.125: whole dong for VND, cents for EUR; tax 20 %.
    customer = CustomerFactory(currency=currency)
    order = shop.shipped(customer=customer, lines=[("3", "12345", "2.5")])
    invoice = Invoice.objects.get(order=order)
    client.force_login(shop.finance)

    html = client.get(f"/billing/invoices/{invoice.pk}/document/").content.decode()
    pdf = pdf_text(client.get(f"/billing/invoices/{invoice.pk}/pdf/").content)
    api = api_as(Role.FINANCE).get(f"/api/billing/invoices/{invoice.pk}/").json()
    order_page = client.get(f"/orders/{order.pk}/").content.decode()

    assert (str(invoice.subtotal), str(invoice.tax_total), str(invoice.total)) == (
        str(Decimal(net).quantize(Decimal("0.01"))),
        str(Decimal(tax).quantize(Decimal("0.01"))),
        str(Decimal(total).quantize(Decimal("0.01"))),
    )
    assert shown in html and shown.split(" ")[1] in pdf
    assert (api["subtotal"], api["tax_total"], api["total"], api["lines"][0]["net_amount"]) == (net, tax, total, net)
    if currency == "VND":
        assert "43,331.00" not in html and "43331.00" not in html and "43,331.00" not in pdf
        assert "VND 36,109" in order_page
    else:
        assert "EUR 36,109.13" in order_page


# --- documents in the customer's language -------------------------------------------------


@pytest.mark.parametrize("language", ["th", "zh-hant"])
def test_invoice_pdf_draws_thai_and_chinese_in_the_customers_language(client, shop, language):
    customer = CustomerFactory(document_language=language, name="Acme Co")
    invoice = Invoice.objects.get(order=shop.shipped(customer=customer, lines=[("2", "50.00", "0")]))
    client.force_login(shop.finance)

    pdf = client.get(f"/billing/invoices/{invoice.pk}/pdf/").content
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"i18n-invoice-{language}.pdf").write_bytes(pdf)  # for a person to look at
    text = pdf_text(pdf)

    with translation.override(language):
        total, subtotal = translation.gettext("Total"), translation.gettext("Subtotal")
    assert total != "Total" and subtotal != "Subtotal"
    assert total in text and subtotal in text
    # The Latin and digits around them come from the Latin font of the same stack.
    assert "Acme Co" in text and "120.00" in text


def test_invoice_email_speaks_the_customers_language(shop, django_capture_on_commit_callbacks):
    customer = CustomerFactory(document_language="it", billing_email="ap@example.com")
    invoice = Invoice.objects.get(order=shop.shipped(customer=customer))

    with django_capture_on_commit_callbacks(execute=True):
        billing.invoice_post(invoice_id=invoice.pk, user=shop.finance)

    sent = [m for m in mail.outbox if m.to == ["ap@example.com"]]
    with translation.override("it"):
        expected = translation.gettext("Please find attached %(kind)s %(number)s.") % {
            "kind": translation.gettext("Invoice").lower(),
            "number": Invoice.objects.get(pk=invoice.pk).number,
        }
    assert len(sent) == 1 and sent[0].body == expected and expected.startswith("In allegato")


# --- every page in every language ---------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_navigation_page_renders_in_each_language(client, user_with, shop, language):
    from django.urls import reverse

    from orders import navigation

    order = shop.shipped(customer=CustomerFactory(currency="VND"), lines=[("3", "12345", "2.5")])
    client.force_login(user_with(*Role, is_staff=False))
    client.post("/language/", {"language": language, "next": "/orders/"})
    pages = [reverse(item.url_name) for item in navigation.items_for(set(Role)) if item.url_name != "api-docs"]
    pages += [f"/orders/{order.pk}/", f"/orders/customers/{order.customer_id}/"]

    for url in pages:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert response["Content-Language"] == language, url
