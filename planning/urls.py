from django.urls import path

from . import views

app_name = "planning"

urlpatterns = [
    path("", views.planning_home, name="home"),
    path("forecasts/<slug:source>/", views.forecast_grid, name="forecast_grid"),
    path("forecasts/<slug:source>/save/", views.forecast_grid_save, name="forecast_grid_save"),
    path("forecasts/<slug:source>/history/", views.forecast_cell_history, name="forecast_cell_history"),
    path("forecasts/<slug:source>/export.csv", views.forecast_export, name="forecast_export"),
    path("forecasts/<slug:source>/import/", views.forecast_import, name="forecast_import"),
    path("consensus/", views.consensus, name="consensus"),
    path("consensus/set/", views.consensus_set, name="consensus_set"),
    path("consensus/sign-off/", views.consensus_sign_off, name="consensus_sign_off"),
    path("consensus/<int:product_id>/<str:month>/", views.consensus_history, name="consensus_history"),
    path("accuracy/", views.accuracy, name="accuracy"),
    path("capacity/", views.capacity, name="capacity"),
]
