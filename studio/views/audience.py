"""Contacts: find a person, read their whole story, opt them out by hand, export their data,
erase them; import a file with a progress bar and a report. Copywriters read, brand managers
act (studio.permissions: view_contacts / manage_contacts)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from delivery import audience_selectors, journey_selectors
from delivery.models import ConsentEvent, Contact, ContactImport
from delivery.services import audience, imports
from studio import presenters
from studio.audience_forms import ContactSearchForm, EraseForm, ImportUploadForm, OptOutForm
from studio.permissions import BrandAccess, get_brand_access
from studio.views.common import page_context

PAGE_SIZE = 50


def _contact(access: BrandAccess, pk: int) -> Contact:
    return get_object_or_404(Contact, pk=pk, brand=access.brand)


@login_required
@require_GET
def contacts(request, slug: str):
    access = get_brand_access(request.user, slug, "view_contacts")
    form = ContactSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if query:
        found = audience_selectors.find_contact(access.brand, query)
        if found is not None:
            return redirect("studio:contact", slug=slug, pk=found.pk)
    people = Contact.objects.filter(brand=access.brand).order_by("-updated_at", "-id")
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "studio/contacts.html", page_context(
        access, "contacts", form=form, query=query, page=page,
        not_found=bool(query)))


def _person_context(access: BrandAccess, contact: Contact, **extra) -> dict:
    return page_context(
        access, "contacts", contact=contact,
        summary=audience_selectors.consent_summary(contact),
        facts=audience_selectors.number_facts(contact),
        timeline=journey_selectors.contact_timeline(contact),
        send_time=presenters.send_time_view(
            journey_selectors.send_time_profile(contact, now=timezone.now())),
        ledger=ConsentEvent.objects.filter(contact=contact).order_by("-occurred_at", "-id"),
        opt_out_form=extra.pop("opt_out_form", None) or OptOutForm(), **extra)


@login_required
@require_GET
def contact(request, slug: str, pk: int):
    access = get_brand_access(request.user, slug, "view_contacts")
    return render(request, "studio/contact.html",
                  _person_context(access, _contact(access, pk)))


@login_required
@require_POST
def contact_opt_out(request, slug: str, pk: int):
    access = get_brand_access(request.user, slug, "manage_contacts")
    person = _contact(access, pk)
    form = OptOutForm(request.POST)
    if not form.is_valid():
        return render(request, "studio/contact.html",
                      _person_context(access, person, opt_out_form=form), status=200)
    detail = f"by hand ({request.user.get_username()}): {form.cleaned_data['reason']}"
    done = audience.record_brand_opt_out(access.brand, person.phone, source="support",
                                         detail=detail)
    messages.success(request, f"Opted out. {done.canceled_sends} pending send"
                              f"{'' if done.canceled_sends == 1 else 's'} canceled.")
    return redirect("studio:contact", slug=slug, pk=pk)


@login_required
@require_GET
def contact_export(request, slug: str, pk: int):
    access = get_brand_access(request.user, slug, "manage_contacts")
    person = _contact(access, pk)
    data = audience_selectors.export_contact(person)
    response = HttpResponse(json.dumps(data, cls=DjangoJSONEncoder, indent=2),
                            content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="contact-{person.pk}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def contact_erase(request, slug: str, pk: int):
    access = get_brand_access(request.user, slug, "manage_contacts")
    person = _contact(access, pk)
    form = EraseForm(request.POST or None, phone=person.phone)
    if request.method == "POST" and form.is_valid() and person.erased_at is None:
        audience.erase_contact(person, detail=f"(studio, {request.user.get_username()})")
        messages.success(request, "Erased. The number stays suppressed; the consent ledger "
                                  "is kept as proof.")
        return redirect("studio:contact", slug=slug, pk=pk)
    return render(request, "studio/contact_erase.html",
                  page_context(access, "contacts", contact=person, form=form))


@login_required
@require_http_methods(["GET", "POST"])
def contact_import(request, slug: str):
    access = get_brand_access(request.user, slug, "manage_contacts")
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = imports.create_import(access.brand, name=upload.name, text=upload.text,
                                    by=request.user)
        return redirect("studio:contact-import-detail", slug=slug, pk=job.pk)
    recent = ContactImport.objects.filter(brand=access.brand).defer("content")[:20]
    return render(request, "studio/contact_import.html",
                  page_context(access, "contacts", form=form, recent=recent))


@login_required
@require_http_methods(["GET", "POST"])
def contact_import_detail(request, slug: str, pk: int):
    access = get_brand_access(request.user, slug, "manage_contacts")
    job = get_object_or_404(ContactImport, pk=pk, brand=access.brand)
    if request.method == "POST":
        imports.start_import(job)
        return redirect("studio:contact-import-detail", slug=slug, pk=pk)
    preview = (imports.preview_file(job.content, job.file_format)
               if job.status == ContactImport.Status.UPLOADED else None)
    template = ("studio/contact_import_detail.html#progress" if request.htmx
                else "studio/contact_import_detail.html")
    return render(request, template, page_context(access, "contacts", job=job,
                                                  preview=preview))


@login_required
@require_GET
def contact_import_report(request, slug: str, pk: int):
    access = get_brand_access(request.user, slug, "manage_contacts")
    job = get_object_or_404(ContactImport, pk=pk, brand=access.brand)
    response = HttpResponse(imports.report_csv(job.refused), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-refused.csv"'
    return response
