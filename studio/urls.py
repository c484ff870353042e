from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from delivery.api import api_urls as delivery_api_urls
from studio import views

urlpatterns = [
    path("", views.root, name="root"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("studio/", include("studio.studio_urls")),
    path("api/", delivery_api_urls()),
    path("", include("delivery.urls")),
]

handler403 = "studio.views.pages.permission_denied"
