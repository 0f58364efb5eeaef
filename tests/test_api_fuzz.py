"""schemathesis over the whole OpenAPI schema, as every role (its API token), with a fixed seed
and a bounded number of examples per operation: 0 server errors, 0 responses that break the
schema (body or content type).

    .venv/bin/python -m pytest tests/test_api_fuzz.py    # API_FUZZ_EXAMPLES=25 for a deeper run
"""

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from orders.roles import Role

from .test_role_matrix import world  # noqa: F401 - the module-scoped world: objects to hit

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "4"))
SEED = 20261122

# The same document /api/schema/ serves (it needs a log-in, so it is generated here directly).
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True))))
schema.app = get_wsgi_application()


def _not_a_server_error(ctx, response, case):
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI app closes the database connection after each request, which would end the test's
    transaction; Django's own test client disconnects the same handlers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(world):  # noqa: F811
    return {role: Token.objects.get_or_create(user=user)[0].key for role, user in world["users"].items()}


OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_api(operation, tokens):
    """Hypothesis draws EXAMPLES cases for the operation (derandomized: the same cases on every
    run); each is sent once per role's token."""
    sent = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def check(case):
        for role in Role:
            response = case.call(headers={"Authorization": f"Token {tokens[role.value]}"})
            sent.append(response.status_code)
            case.validate_response(
                response, checks=[_not_a_server_error, response_schema_conformance, content_type_conformance]
            )

    check()
    assert sent  # the operation was exercised
