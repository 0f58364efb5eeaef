from django.urls import path

from . import api

urlpatterns = [
    path("forecasts/", api.ForecastListView.as_view(), name="planning-forecasts"),
    path("forecasts/history/", api.ForecastHistoryView.as_view(), name="planning-forecast-history"),
    path("consensus/", api.ConsensusView.as_view(), name="planning-consensus"),
    path("consensus/sign-off/", api.ConsensusSignOffView.as_view(), name="planning-consensus-sign-off"),
    path("accuracy/", api.AccuracyView.as_view(), name="planning-accuracy"),
    path("capacity/", api.CapacityView.as_view(), name="planning-capacity"),
]
