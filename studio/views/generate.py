"""Generate: ask for N variants, then watch the request's persisted progress."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.middleware import HtmxDetails

from copygen.models import GenerationRequest
from copygen.services.generation import GenerationError, request_generation
from studio.forms import GenerateForm
from studio.permissions import get_brand_access
from studio.views.common import page_context


@login_required
@require_http_methods(["GET", "POST"])
def generate(request, slug: str):
    access = get_brand_access(request.user, slug, "generate")
    form = GenerateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            req = request_generation(access.brand, by=request.user, **form.cleaned_data)
        except GenerationError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("studio:generation", slug=slug, pk=req.pk)
    recent = GenerationRequest.objects.filter(brand=access.brand)[:5]
    template = "studio/generate.html#generate-form" if request.htmx else "studio/generate.html"
    return render(request, template, page_context(access, "generate", form=form,
                                                  recent=recent))


@login_required
@require_GET
def generation(request, slug: str, pk: int):
    access = get_brand_access(request.user, slug, "view")
    req = get_object_or_404(GenerationRequest, pk=pk, brand=access.brand)
    percent = round(100 * req.progress_done / max(req.n, 1))
    htmx: HtmxDetails = request.htmx
    template = "studio/generation.html#progress" if htmx else "studio/generation.html"
    return render(request, template, page_context(access, "generate", req=req,
                                                  percent=percent))
