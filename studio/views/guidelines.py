"""Guidelines: upload or replace documents, read their chunks, try a retrieval query."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from copygen import embeddings
from copygen.chunking import DocumentError, extract_text
from copygen.embeddings import EmbeddingError
from copygen.models import GuidelineChunk, GuidelineDocument
from copygen.selectors import retrieve_chunks, stale_documents
from copygen.services.guidelines import GuidelineError, ingest_document
from studio.forms import GuidelineUploadForm, RetrievalForm
from studio.permissions import get_brand_access, require
from studio.views.common import page_context


def _ingest(access, form, user) -> GuidelineDocument:
    data = form.cleaned_data
    upload = data.get("file")
    if upload:
        content = extract_text(upload.name, upload.read())
        name = data.get("source_name") or upload.name
    else:
        content, name = data["content"], data["source_name"]
    return ingest_document(access.brand, source_name=name, content=content,
                           title=data.get("title") or None, kind=data.get("kind") or None,
                           by=user)


def _retrieve(access, query: RetrievalForm):
    if not query.is_valid():
        return None
    try:
        return retrieve_chunks(access.brand, query.cleaned_data["q"], k=6)
    except EmbeddingError as exc:
        query.add_error("q", f"Retrieval failed: {exc}")
        return None


@login_required
@require_http_methods(["GET", "POST"])
def guidelines(request, slug: str):
    access = get_brand_access(request.user, slug, "view")
    form = GuidelineUploadForm()
    if request.method == "POST":
        require(access, "manage_guidelines")
        form = GuidelineUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                doc = _ingest(access, form, request.user)
            except (GuidelineError, DocumentError, EmbeddingError) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Stored “{doc.title}” (version {doc.version}).")
                return redirect("studio:guidelines", slug=slug)
    query = RetrievalForm(request.GET or None)
    hits = _retrieve(access, query)
    chunks = Prefetch("chunks", queryset=GuidelineChunk.objects.defer("embedding"))
    docs = GuidelineDocument.objects.filter(brand=access.brand).prefetch_related(chunks)
    stale = set(stale_documents(access.brand).values_list("pk", flat=True))
    return render(request, "studio/guidelines.html", page_context(
        access, "guidelines", form=form, query=query, hits=hits, docs=docs, stale=stale,
        embedding_space=embeddings.space()))
