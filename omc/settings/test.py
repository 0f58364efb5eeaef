"""Tests run against PostgreSQL and Redis, never SQLite (see Makefile: make test)."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omc")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")

from .base import *  # noqa: E402,F401,F403
from .base import DATABASES, env  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
if env("OMC_TEST_MAIL_DIR", default=""):
    # The reliability tests' worker writes each email to a file there, so the test can count them.
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": env("OMC_TEST_MAIL_DIR")},
        }
    }
# Fault injection (tests/test_reliability.py only): seconds outbox_process holds its transaction open.
OMC_OUTBOX_TEST_DELAY_SECONDS = env.float("OMC_OUTBOX_TEST_DELAY_SECONDS", default=0)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Most tests run hand-off tasks in-process; the worker tests start a real worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_omc")}
# The replica router test sends reporting reads to "replica", the same test database (MIRROR);
# every other test leaves OMC_REPORTING_DATABASE at "default". No connection pool in tests
# (DB_POOL_MAX unset): pooled connections held by live_server threads would block the
# test database's DROP at teardown, and each test runs in one transaction anyway.
DATABASES.setdefault("replica", {**DATABASES["default"], "TEST": {"MIRROR": "default"}})
