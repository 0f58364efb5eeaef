"""GET /api/ping/: the smallest authenticated endpoint (the HTTP benchmark's ceiling)."""

from rest_framework.test import APIClient

from orders.roles import Role


def test_ping_answers_who_you_are_to_any_role(api_as):
    client = api_as(Role.WAREHOUSE)

    response = client.get("/api/ping/")

    assert response.status_code == 200
    assert response.json() == {"ok": True, "user": client.user.username}


def test_ping_refuses_anonymous_callers_and_users_without_a_role(db, user_with):
    assert APIClient().get("/api/ping/").status_code == 401
    client = APIClient()
    client.force_authenticate(user_with())
    assert client.get("/api/ping/").status_code == 403


def test_ping_is_read_only(api_as):
    # no role may write to it: the role check refuses before the method is looked at
    assert api_as(Role.SALES_REP).post("/api/ping/").status_code == 403
