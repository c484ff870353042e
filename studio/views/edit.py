"""Edit: an editor whose findings and meter follow the typing, one-click fixes and the
version history. Saving or fixing writes a new version; nothing is edited in place."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from studio import presenters, services
from studio.forms import TextForm
from studio.permissions import get_brand_access
from studio.selectors import chain_of, check_text
from studio.views.common import get_variant, page_context, policy_facts, report_view


def _versions(variant) -> list[dict]:
    versions, previous = [], None
    for row in chain_of(variant).select_related("author"):
        diff: list = presenters.word_diff(previous.text, row.text) if previous else []
        versions.append({"row": row, "diff": diff})
        previous = row
    return list(reversed(versions))


def _edit_context(access, variant, form, text: str, error: str = "") -> dict:
    facts = policy_facts(access)
    report = check_text(access.brand, text, intent=variant.intent).to_dict()
    return page_context(access, "queue", variant=variant, form=form, checked_text=text,
                        check=report_view(report, text, facts), error=error,
                        editable=variant.status in services.EDITABLE and variant.is_current,
                        versions=_versions(variant))


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, slug: str, pk: int):
    access = get_brand_access(request.user, slug, "edit")
    variant = get_variant(access, pk)
    form = TextForm(request.POST or None, initial={"text": variant.text})
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            new = services.edit_variant(variant, by=request.user, text=form.cleaned_data["text"])
        except services.TransitionDenied as exc:
            error = str(exc)
        else:
            messages.success(request, f"Saved as version {new.version} ({new.get_status_display()}).")
            return redirect("studio:edit-variant", slug=slug, pk=new.pk)
    text = form.data.get("text", variant.text) if form.is_bound else variant.text
    return render(request, "studio/edit.html", _edit_context(access, variant, form, text, error))


@login_required
@require_POST
def check(request, slug: str, pk: int):
    """Live check of unsaved text: the findings + meter partial for htmx, the whole editor
    (with the typed text kept) without JS."""
    access = get_brand_access(request.user, slug, "edit")
    variant = get_variant(access, pk)
    form = TextForm(request.POST)
    text = form.cleaned_data["text"] if form.is_valid() else request.POST.get("text", "")
    context = _edit_context(access, variant, form, text.replace("\r\n", "\n"))
    if request.htmx:  # the panel, and the summary under the text out of band
        return render(request, "studio/edit.html#check-panel", context | {"oob": True})
    return render(request, "studio/edit.html", context)


@login_required
@require_POST
def fix(request, slug: str, pk: int):
    access = get_brand_access(request.user, slug, "edit")
    variant = get_variant(access, pk)
    try:
        new = services.apply_fix(variant, by=request.user, text=request.POST.get("text") or None)
    except services.TransitionDenied as exc:
        messages.error(request, str(exc))
        return redirect("studio:edit-variant", slug=slug, pk=pk)
    messages.success(request, f"Fix applied as version {new.version} ({new.get_status_display()}).")
    return redirect("studio:edit-variant", slug=slug, pk=new.pk)
