from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from studio import views

urlpatterns = [
    path("", views.root, name="root"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("studio/", include("studio.studio_urls")),
]
