from django.urls import path

from . import api

urlpatterns = [
    path("tickets/", api.TicketListCreate.as_view(), name="aftersales-tickets"),
    path("tickets/<int:pk>/", api.TicketDetail.as_view(), name="aftersales-ticket"),
    path("tickets/<int:pk>/visits/", api.TicketVisitCreate.as_view(), name="aftersales-ticket-visits"),
    path("visits/", api.VisitList.as_view(), name="aftersales-visits"),
    path("visits/<int:pk>/report/", api.VisitReportCreate.as_view(), name="aftersales-visit-report"),
    path("feedback/", api.FeedbackList.as_view(), name="aftersales-feedback"),
    path("plans/", api.PlanListCreate.as_view(), name="aftersales-plans"),
    path("warranty/", api.WarrantyCheck.as_view(), name="aftersales-warranty"),
]
