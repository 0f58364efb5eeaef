"""Scheduling API: the board window, jobs (move, unschedule, start, finish), the auto-scheduler,
expedite requests with their cost, the capacity calendar and the reschedule log.

Moves carry the job's `version`: a stale one gets 409 {"code": "job_changed"} — reload.
An overload gets 400 {"code": "capacity_exceeded", "day": [...]}."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api_support import RolePermission
from orders.selectors import order_scope, order_visible

from . import selectors, services
from .access import EDITORS, EXPEDITE_REQUESTERS, READERS
from .models import CapacityException, ExpediteRequest, Job
from .serializers import (
    AutoScheduleSerializer,
    BoardQuerySerializer,
    CapacityExceptionSerializer,
    ExpediteCreateSerializer,
    ExpediteDecisionSerializer,
    ExpediteDeclineSerializer,
    ExpediteRequestSerializer,
    JobMoveSerializer,
    JobSerializer,
    JobVersionSerializer,
    RescheduleEventSerializer,
    expedite_cost_data,
)


class SchedulingView:
    permission_classes = [RolePermission]
    read_roles = READERS
    write_roles = EDITORS


def _job_data(job_id: int) -> dict:
    return JobSerializer(selectors.job_list().get(pk=job_id)).data


class JobList(SchedulingView, generics.ListAPIView):
    serializer_class = JobSerializer
    filterset_fields = ["state", "work_center", "order", "scheduled_day"]
    search_fields = ["order__number", "order__customer__name"]
    ordering_fields = ["priority", "promised_date", "scheduled_day", "hours"]

    def get_queryset(self):
        return selectors.job_list()


class JobDetail(SchedulingView, generics.RetrieveAPIView):
    serializer_class = JobSerializer

    def get_queryset(self):
        return selectors.job_list()


class JobStep(SchedulingView, APIView):
    input_serializer = JobVersionSerializer

    def post(self, request, pk):
        job = get_object_or_404(Job.objects.only("id"), pk=pk)
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.run(job_id=job.pk, actor=request.user, **serializer.validated_data)
        return Response(_job_data(job.pk))


class JobMove(JobStep):
    """Place or move a job to start on `day` (at `position` in that cell)."""

    input_serializer = JobMoveSerializer

    @extend_schema(request=JobMoveSerializer, responses={200: JobSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, *, job_id, actor, day, version, position):
        services.job_move(job_id=job_id, day=day, expected_version=version, position=position, actor=actor)


class JobUnschedule(JobStep):
    @extend_schema(request=JobVersionSerializer, responses={200: JobSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, *, job_id, actor, version):
        services.job_unschedule(job_id=job_id, expected_version=version, actor=actor)


class JobStart(JobStep):
    @extend_schema(request=JobVersionSerializer, responses={200: JobSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, *, job_id, actor, version):
        services.job_start(job_id=job_id, expected_version=version, actor=actor)


class JobFinish(JobStep):
    @extend_schema(request=JobVersionSerializer, responses={200: JobSerializer})
    def post(self, request, pk):
        return super().post(request, pk)

    def run(self, *, job_id, actor, version):
        services.job_finish(job_id=job_id, expected_version=version, actor=actor)


class BoardView(SchedulingView, APIView):
    """The visible window: capacity and load per work center and day, and the jobs in it."""

    @extend_schema(
        parameters=[BoardQuerySerializer], responses={200: OpenApiResponse(description=_("The board window"))}
    )
    def get(self, request):
        query = BoardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        board = selectors.board(
            start=params["start"] or timezone.localdate(), days=params["days"], site_id=params["site"]
        )
        return Response(
            {
                "start": board.start,
                "days": board.days,
                "work_centers": [
                    {
                        "id": wc.pk,
                        "code": wc.code,
                        "name": wc.name,
                        "cells": [
                            {
                                "day": cell.day,
                                "capacity": f"{cell.capacity:.2f}",
                                "load": f"{cell.load:.2f}",
                                "over": cell.over,
                                "jobs": [job.pk for job in cell.jobs],
                            }
                            for cell in cells
                        ],
                    }
                    for wc, cells in board.rows
                ],
                "jobs": JobSerializer(
                    [job for _wc, cells in board.rows for cell in cells for job in cell.jobs], many=True
                ).data,
                "unscheduled_count": board.unscheduled.paginator.count,
            }
        )


class AutoSchedule(SchedulingView, APIView):
    @extend_schema(
        request=AutoScheduleSerializer, responses={200: OpenApiResponse(description=_("placed, left, late"))}
    )
    def post(self, request):
        serializer = AutoScheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.jobs_schedule_automatically(actor=request.user, **serializer.validated_data))


class ExpediteListCreate(SchedulingView, generics.ListAPIView):
    serializer_class = ExpediteRequestSerializer
    filterset_fields = ["status", "order", "customer", "requested_by"]
    write_roles = EXPEDITE_REQUESTERS

    def get_queryset(self):
        return selectors.expedite_list().filter(order_scope(self.request.user))

    @extend_schema(request=ExpediteCreateSerializer, responses={201: ExpediteRequestSerializer})
    def post(self, request):
        serializer = ExpediteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not order_visible(user=request.user, order_id=data["order"].pk):
            raise Http404("No such order.")  # another rep's customer's order, as if it did not exist
        expedite = services.expedite_request_create(
            order_id=data["order"].pk, needed_by=data["needed_by"], reason=data["reason"], actor=request.user
        )
        return Response(ExpediteRequestSerializer(expedite).data, status=status.HTTP_201_CREATED)


class ExpediteDetail(SchedulingView, APIView):
    """The request, and while it is pending, what approving it would cost now."""

    @extend_schema(responses={200: ExpediteRequestSerializer})
    def get(self, request, pk):
        expedite = get_object_or_404(selectors.expedite_list().filter(order_scope(request.user)), pk=pk)
        data = ExpediteRequestSerializer(expedite).data
        if expedite.status == ExpediteRequest.Status.PENDING:
            data["cost"] = expedite_cost_data(
                selectors.expedite_cost(order_id=expedite.order_id, needed_by=expedite.needed_by)
            )
        return Response(data)


class ExpediteApprove(SchedulingView, APIView):
    @extend_schema(request=ExpediteDecisionSerializer, responses={200: ExpediteRequestSerializer})
    def post(self, request, pk):
        get_object_or_404(ExpediteRequest.objects.only("id"), pk=pk)
        serializer = ExpediteDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        expedite, cost = services.expedite_approve(
            request_id=pk, actor=request.user, note=serializer.validated_data["reason"]
        )
        data = ExpediteRequestSerializer(expedite).data
        data["cost"] = expedite_cost_data(cost)
        return Response(data)


class ExpediteDecline(SchedulingView, APIView):
    @extend_schema(request=ExpediteDeclineSerializer, responses={200: ExpediteRequestSerializer})
    def post(self, request, pk):
        get_object_or_404(ExpediteRequest.objects.only("id"), pk=pk)
        serializer = ExpediteDeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        expedite = services.expedite_decline(
            request_id=pk, actor=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(ExpediteRequestSerializer(expedite).data)


class CalendarListCreate(SchedulingView, generics.ListAPIView):
    serializer_class = CapacityExceptionSerializer
    filterset_fields = ["work_center", "kind", "day"]

    def get_queryset(self):
        return selectors.calendar_exceptions(upcoming_only=False)

    @extend_schema(request=CapacityExceptionSerializer, responses={201: CapacityExceptionSerializer})
    def post(self, request):
        serializer = CapacityExceptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        exception = services.capacity_exception_set(
            work_center_id=data["work_center"].pk,
            day=data["day"],
            kind=data["kind"],
            hours=data.get("hours") or 0,
            note=data.get("note", ""),
            actor=request.user,
        )
        return Response(CapacityExceptionSerializer(exception).data, status=status.HTTP_201_CREATED)


class CalendarDetail(SchedulingView, generics.RetrieveDestroyAPIView):
    serializer_class = CapacityExceptionSerializer
    queryset = CapacityException.objects.all()

    def perform_destroy(self, instance):
        services.capacity_exception_delete(exception_id=instance.pk, actor=self.request.user)


class RescheduleEventList(SchedulingView, generics.ListAPIView):
    serializer_class = RescheduleEventSerializer
    filterset_fields = ["kind", "order", "customer", "requested_by"]

    def get_queryset(self):
        return selectors.reschedule_events()
