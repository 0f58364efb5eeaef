"""Scheduling through the API and the pages: roles, bad input, two schedulers at once, the
order-page panel, and the board's query count with 5,000 jobs."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import Order
from orders.roles import Role
from orders.states import OrderStatus
from scheduling import services
from scheduling.errors import JobChanged
from scheduling.models import ExpediteRequest, Job, JobDay

from .factories import CustomerFactory, OrderFactory, OrderLineFactory
from .test_scheduling_factories import WorkCenterFactory, day, freeze_today, load, order_with_job, place

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def today(monkeypatch):
    return freeze_today(monkeypatch)


@pytest.fixture
def wc():
    return WorkCenterFactory(code="PRESS")


def _move(client, job, on, version=1, **extra):
    return client.post(
        f"/api/scheduling/jobs/{job.pk}/move/", {"day": on.isoformat(), "version": version, **extra}, format="json"
    )


def test_the_scheduler_moves_a_job_through_the_api(api_as, wc):
    job = order_with_job(wc, "3", promised=day(0))
    client = api_as(Role.SCHEDULER)

    response = _move(client, job, day(1))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["state"], body["scheduled_day"], body["finish_day"], body["version"], body["late"]) == (
        "scheduled",
        day(1).isoformat(),
        day(1).isoformat(),
        2,
        True,
    )
    board = client.get(f"/api/scheduling/board/?start={day(0).isoformat()}&days=7").json()
    tuesday = board["work_centers"][0]["cells"][1]
    assert (tuesday["load"], tuesday["capacity"], tuesday["jobs"]) == ("3.00", "8.00", [job.pk])


def test_an_overload_through_the_api_is_a_400_with_the_reason(api_as, wc):
    place(order_with_job(wc, "8"), [(day(0), "8")])
    job = order_with_job(wc, "1")

    response = _move(api_as(Role.SCHEDULER), job, day(0))

    assert response.status_code == 400
    assert response.json()["code"] == "capacity_exceeded"
    assert response.json()["day"] == ["No free capacity on this day."]
    assert "Overload refused" in response.json()["detail"]


def test_two_schedulers_move_the_same_job_one_wins_the_other_is_told_to_reload(api_as, wc):
    job = order_with_job(wc, "2")
    alice, bob = api_as(Role.SCHEDULER), api_as(Role.SCHEDULER)
    # both loaded the board with version 1
    first = _move(alice, job, day(1), version=1)
    second = _move(bob, job, day(3), version=1)

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["code"] == "job_changed"
    assert "Reload the board" in second.json()["detail"]
    job.refresh_from_db()
    assert (job.scheduled_day, job.version) == (day(1), 2)


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_the_same_instant(user_with, monkeypatch):
    wc = WorkCenterFactory(code="PRESS")
    job = order_with_job(wc, "2")
    schedulers = [user_with(Role.SCHEDULER), user_with(Role.SCHEDULER)]
    start = threading.Barrier(2)
    outcomes = []

    def move(user, on):
        try:
            start.wait(timeout=20)
            services.job_move(job_id=job.pk, day=on, expected_version=1, actor=user)
            outcomes.append("saved")
        except JobChanged:
            outcomes.append("reload")
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(user, day(n))) for user, n in zip(schedulers, (1, 2), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["reload", "saved"]
    job.refresh_from_db()
    assert job.version == 2 and job.days.count() == 1
    assert load(wc, day(1)) + load(wc, day(2)) == D("2")


@pytest.mark.parametrize(
    "role, method, path, expected",
    [
        (Role.EXECUTIVE, "post", "move", 403),
        (Role.SALES_REP, "post", "move", 403),
        (Role.REVIEW_BOARD, "post", "auto-schedule", 403),
        (Role.WAREHOUSE, "get", "board", 403),
        (Role.EXECUTIVE, "get", "board", 200),
        (Role.REVIEW_BOARD, "get", "jobs", 200),
        (Role.SALES_REP, "get", "expedites", 200),
        (Role.SCHEDULER, "post", "expedites", 403),  # sales asks, the scheduler decides
        (Role.SALES_REP, "post", "approve", 403),
        (Role.EXECUTIVE, "post", "calendar", 403),
    ],
)
def test_roles(api_as, wc, role, method, path, expected):
    job = order_with_job(wc, "2")
    expedite = ExpediteRequest.objects.create(
        order=job.order,
        customer=job.order.customer,
        requested_by=api_as(Role.SALES_REP).user,
        needed_by=day(2),
        reason="Soon",
        created_at=timezone.now(),
    )
    urls = {
        "move": f"/api/scheduling/jobs/{job.pk}/move/",
        "auto-schedule": "/api/scheduling/auto-schedule/",
        "board": "/api/scheduling/board/",
        "jobs": "/api/scheduling/jobs/",
        "expedites": "/api/scheduling/expedites/",
        "approve": f"/api/scheduling/expedites/{expedite.pk}/approve/",
        "calendar": "/api/scheduling/calendar/",
    }
    body = {"day": day(1).isoformat(), "version": 1, "order": job.order_id, "needed_by": day(1).isoformat()}
    response = getattr(api_as(role), method)(urls[path], body | {"reason": "x"}, format="json")
    assert response.status_code == expected, response.content
    job.refresh_from_db()
    assert job.state == "unscheduled" and job.version == 1


def test_pages_check_roles(client, user_with, wc):
    client.force_login(user_with(Role.WAREHOUSE))
    assert client.get("/scheduling/").status_code == 403
    client.force_login(user_with(Role.EXECUTIVE))
    assert client.get("/scheduling/").status_code == 200
    assert client.post("/scheduling/auto/").status_code == 403
    assert client.get("/scheduling/calendar/").status_code == 403


def test_bad_input_is_a_400_with_field_errors(api_as, wc):
    job = order_with_job(wc, "2")
    client = api_as(Role.SCHEDULER)

    response = client.post(f"/api/scheduling/jobs/{job.pk}/move/", {"day": "next tuesday"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"day", "version"}

    response = _move(client, job, day(-3))
    assert response.status_code == 400 and response.json()["day"] == ["Choose today or later."]

    assert client.post("/api/scheduling/jobs/999999/move/", {"day": "2030-01-08", "version": 1}).status_code == 404

    response = client.post("/api/scheduling/calendar/", {"work_center": wc.pk, "day": "2030-01-08", "kind": "extra"})
    assert response.status_code == 400 and "hours" in response.json()

    rep = api_as(Role.SALES_REP)
    response = rep.post("/api/scheduling/expedites/", {"order": job.order_id, "needed_by": "2029-12-01"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"needed_by", "reason"}

    created = rep.post(
        "/api/scheduling/expedites/",
        {"order": job.order_id, "needed_by": day(1).isoformat(), "reason": "Line down"},
        format="json",
    )
    assert created.status_code == 201
    response = client.post(f"/api/scheduling/expedites/{created.json()['id']}/decline/", {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    job.refresh_from_db()
    assert job.version == 1


def test_expedite_through_the_api_shows_the_cost_then_approves(api_as, wc):
    blocker = place(
        order_with_job(wc, "8", promised=day(0), customer=CustomerFactory(name="Acme"), status="scheduled"),
        [(day(0), "8")],
    )
    rush = order_with_job(wc, "4")
    rep, scheduler = api_as(Role.SALES_REP), api_as(Role.SCHEDULER)
    created = rep.post(
        "/api/scheduling/expedites/",
        {"order": rush.order_id, "needed_by": day(0).isoformat(), "reason": "Line down"},
        format="json",
    ).json()

    cost = rep.get(f"/api/scheduling/expedites/{created['id']}/").json()["cost"]
    assert (cost["feasible"], cost["overtime_hours"]) == (True, "0")
    assert [(p["customer"], p["promised_date"], p["finish_after"], p["made_late"]) for p in cost["pushed"]] == [
        ("Acme", day(0).isoformat(), day(1).isoformat(), True)
    ]

    response = scheduler.post(f"/api/scheduling/expedites/{created['id']}/approve/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert Job.objects.get(pk=blocker.pk).scheduled_day == day(0)  # 4 h free for Acme on Monday still
    assert list(JobDay.objects.filter(job=blocker).values_list("day", "hours")) == [(day(0), D("4")), (day(1), D("4"))]
    events = scheduler.get("/api/scheduling/events/?kind=expedite").json()
    assert events["count"] == 1 and events["results"][0]["requested_by_username"] == rep.user.username


def test_start_and_finish_through_the_api(api_as, wc):
    job = order_with_job(wc, "2")
    client = api_as(Role.SCHEDULER)
    assert _move(client, job, day(0)).status_code == 200
    assert client.post(f"/api/scheduling/jobs/{job.pk}/start/", {"version": 2}, format="json").status_code == 200
    assert Order.objects.get(pk=job.order_id).status == OrderStatus.IN_PRODUCTION
    response = client.post(f"/api/scheduling/jobs/{job.pk}/finish/", {"version": 3}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "finished"
    assert Order.objects.get(pk=job.order_id).status == OrderStatus.READY_TO_SHIP


def test_lists_page(api_as, wc):
    for _ in range(3):
        order_with_job(wc, "1")
    body = api_as(Role.EXECUTIVE).get("/api/scheduling/jobs/?page_size=2&state=unscheduled").json()
    assert (body["count"], len(body["results"]), body["next"] is not None) == (3, 2, True)


def test_order_page_shows_the_production_panel(client, user_with, wc):
    job = order_with_job(wc, "2", promised=day(0))
    services.job_move(job_id=job.pk, day=day(1), expected_version=1, actor=user_with(Role.SCHEDULER))

    client.force_login(user_with(Role.SALES_REP))
    page = client.get(f"/orders/{job.order_id}/").content.decode()
    assert 'data-testid="scheduling-panel"' in page and "PRESS" in page
    assert 'data-testid="order-late"' in page
    assert 'data-testid="expedite-form"' in page  # the rep may ask to pull it in

    response = client.post(
        "/scheduling/expedites/new/", {"order": job.order_id, "needed_by": day(0).isoformat(), "reason": "Line down"}
    )
    expedite = ExpediteRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/scheduling/expedites/{expedite.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert 'data-testid="expedite-cost"' in detail

    client.force_login(user_with(Role.WAREHOUSE))
    assert 'data-testid="scheduling-panel"' not in client.get(f"/orders/{job.order_id}/").content.decode()


def test_approving_and_declining_through_the_pages(client, user_with, wc):
    job = order_with_job(wc, "2")
    rep = user_with(Role.SALES_REP)
    first = services.expedite_request_create(order_id=job.order_id, needed_by=day(0), reason="Soon", actor=rep)
    client.force_login(user_with(Role.SCHEDULER))

    response = client.post(f"/scheduling/expedites/{first.pk}/decline/", {"reason": ""}, follow=True)
    assert "A reason is required." in response.content.decode()
    client.post(f"/scheduling/expedites/{first.pk}/approve/", {"reason": "ok"})
    first.refresh_from_db()
    assert first.status == "approved"
    assert client.get("/scheduling/expedites/").status_code == 200
    assert client.get("/scheduling/events/").status_code == 200


def test_calendar_page_adds_a_holiday(client, user_with, wc):
    client.force_login(user_with(Role.SCHEDULER))
    response = client.post(
        "/scheduling/calendar/set/", {"work_center": wc.pk, "day": day(2).isoformat(), "kind": "holiday"}, follow=True
    )
    assert "calendar updated" in response.content.decode()
    board = client.get(f"/scheduling/?start={day(0).isoformat()}").content.decode()
    assert 'class="cell closed"' in board


def _many_jobs(count, work_centers):
    """`count` jobs spread over the window and the unscheduled list, built in bulk."""
    customer = CustomerFactory()
    orders = Order.objects.bulk_create(
        [
            OrderFactory.build(customer=customer, status=OrderStatus.SCHEDULED, priority_score=D(n % 100))
            for n in range(count // 5 + 1)
        ]
    )
    lines = [OrderLineFactory.build(order=order, line_no=1) for order in orders]
    for line in lines:
        line.product.save()
        line.product_id = line.product.pk
    lines = type(lines[0]).objects.bulk_create(lines)
    jobs = []
    for n in range(count):
        line = lines[n // 5]
        on = day(n % 14) if n % 4 else None
        jobs.append(
            Job(
                order_id=line.order_id,
                order_line=line,
                sequence=10 * (n % 5 + 1),
                work_center=work_centers[n % len(work_centers)],
                quantity=D("1"),
                hours=D("0.5"),
                priority=D(n % 100),
                promised_date=day(n % 20),
                state="scheduled" if on else "unscheduled",
                scheduled_day=on,
                finish_day=on,
                position=n,
                created_at=timezone.now(),
            )
        )
    jobs = Job.objects.bulk_create(jobs, batch_size=2000)
    JobDay.objects.bulk_create(
        [
            JobDay(job=j, work_center_id=j.work_center_id, day=j.scheduled_day, hours=j.hours)
            for j in jobs
            if j.scheduled_day
        ],
        batch_size=2000,
    )


BOARD_QUERIES = 16  # session, user, roles, nav alerts, sites + the board's own eight (see selectors.board)


def test_the_board_stays_quick_with_5000_jobs(client, user_with, django_assert_max_num_queries):
    work_centers = [WorkCenterFactory(code=f"WC{n}", hours_per_day=D("24"), days_per_week=7) for n in range(6)]
    client.force_login(user_with(Role.SCHEDULER))
    _many_jobs(50, work_centers)
    with django_assert_max_num_queries(BOARD_QUERIES) as small:
        assert client.get(f"/scheduling/?start={day(0).isoformat()}").status_code == 200

    _many_jobs(4950, work_centers)
    assert Job.objects.count() >= 5000
    started = time.perf_counter()
    with django_assert_max_num_queries(BOARD_QUERIES) as large:
        response = client.get(f"/scheduling/?start={day(0).isoformat()}")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)  # queries do not grow with the jobs shown
    page = response.content.decode()
    assert page.count('class="job ') >= 500 and "more</div>" in page  # full cells, capped, the rest counted
    print(f"\nboard with {Job.objects.count()} jobs: {len(large)} queries, {elapsed * 1000:.0f} ms")


def test_full_cells_draw_their_first_cards_and_count_the_rest(user_with, api_as, django_assert_max_num_queries):
    from collections import Counter

    from scheduling import selectors

    work_centers = [WorkCenterFactory(code=f"WC{n}", hours_per_day=D("24"), days_per_week=7) for n in range(2)]
    _many_jobs(400, work_centers)  # ~150 jobs per work center over 14 days: about 11 per cell
    Job.objects.filter(scheduled_day=day(2)).update(scheduled_day=day(1), finish_day=day(3))  # some cells overflow
    board = selectors.board(start=day(0))
    in_cell = Counter(
        (job.work_center_id, max(job.scheduled_day, day(0)))
        for job in Job.objects.filter(scheduled_day__range=(day(0), day(13)))
    )
    for _wc, cells in board.rows:
        for cell in cells:
            expected = sorted(
                Job.objects.filter(work_center=cell.work_center, scheduled_day=cell.day),
                key=lambda job: (job.scheduled_day, job.position, job.pk),
            )[: selectors.CARDS_PER_CELL]
            assert [job.pk for job in cell.jobs] == [job.pk for job in expected]
            assert len(cell.jobs) + cell.hidden == in_cell[(cell.work_center.pk, cell.day)]
    assert any(cell.hidden for _wc, cells in board.rows for cell in cells)

    # The API lists the same cards with their order, customer and SKU, in the same queries.
    client = api_as(Role.SCHEDULER)
    with django_assert_max_num_queries(BOARD_QUERIES):
        body = client.get(f"/api/scheduling/board/?start={day(0).isoformat()}").json()
    job = Job.objects.select_related("order__customer", "order_line__product", "work_center").get(
        pk=body["jobs"][0]["id"]
    )
    assert (body["jobs"][0]["order_number"], body["jobs"][0]["customer"], body["jobs"][0]["sku"]) == (
        job.order.number,
        job.order.customer.name,
        job.order_line.product.sku,
    )
    assert body["jobs"][0]["work_center_code"] == job.work_center.code


def test_cards_escape_what_comes_from_data(client, user_with, wc):
    customer = CustomerFactory(name='<img src=x onerror="alert(1)"> & Co')
    job = order_with_job(wc, "2", customer=customer, promised=day(0))
    place(job, [(day(1), "2")])
    order_with_job(wc, "1", customer=customer)  # an unscheduled one, with its work center shown
    client.force_login(user_with(Role.SCHEDULER))
    page = client.get(f"/scheduling/?start={day(0).isoformat()}").content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Co" in page  # in the title
    assert f'href="/orders/{job.order_id}/"' in page and 'data-testid="late-' in page
