from django.urls import path

from studio import views

app_name = "studio"

V = "b/<slug:slug>/v/<int:pk>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("b/<slug:slug>/", views.brand_home, name="brand-home"),
    path("b/<slug:slug>/generate/", views.generate, name="generate"),
    path("b/<slug:slug>/generate/<int:pk>/", views.generation, name="generation"),
    path("b/<slug:slug>/queue/", views.queue, name="queue"),
    path("b/<slug:slug>/queue/bulk-approve/", views.bulk_approve, name="bulk-approve"),
    path(V, views.variant_detail, name="variant"),
    path(V + "edit/", views.edit, name="edit-variant"),
    path(V + "check/", views.check, name="check-variant"),
    path(V + "fix/", views.fix, name="fix-variant"),
    path(V + "submit/", views.submit, name="submit-variant"),
    path(V + "approve/", views.approve, name="approve-variant"),
    path(V + "reject/", views.reject, name="reject-variant"),
    path(V + "request-changes/", views.request_changes, name="request-changes"),
    path(V + "comment/", views.comment, name="comment-variant"),
    path(V + "retire/", views.retire, name="retire-variant"),
    path("b/<slug:slug>/guardrails/", views.guardrails, name="guardrails"),
    path("b/<slug:slug>/guardrails/test/", views.test_guardrails, name="test-guardrails"),
    path("b/<slug:slug>/guidelines/", views.guidelines, name="guidelines"),
    path("b/<slug:slug>/audit/", views.audit, name="audit"),
    path("b/<slug:slug>/audit.csv", views.audit_csv, name="audit-csv"),
    path("b/<slug:slug>/performance/", views.performance, name="performance"),
    path("b/<slug:slug>/outbox/", views.outbox, name="outbox"),
    path("b/<slug:slug>/journeys/", views.journeys, name="journeys"),
    path("b/<slug:slug>/journeys/<slug:intent>/", views.edit_journey, name="edit-journey"),
]
