"""Every stored vector records the model that made it; retrieval never compares vectors of
two models, and re-embedding brings old documents into the configured space."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from copygen import embeddings
from copygen.models import LOCAL_EMBEDDING_SPACE, GuidelineChunk
from copygen.selectors import retrieve_chunks, stale_documents
from copygen.services import ingest_document, reembed_documents
from tests.servers.openai_server import OpenAIServer

VOICE = "# Voice and tone\nWe sound calm.\n\n## Shipping\nFree shipping over $50.\n"
OFFERS = "# Offers\nTen percent off for first orders.\n"
LOCAL_SPACE = LOCAL_EMBEDDING_SPACE


@pytest.fixture
def remote(settings):
    """The openai provider against the loopback OpenAI-protocol server."""
    with OpenAIServer() as server:
        settings.EMBEDDINGS_PROVIDER = "openai"
        settings.OPENAI_BASE_URL = server.base_url
        settings.OPENAI_API_KEY = "test-key"
        settings.EMBEDDINGS_MODEL = "text-embedding-3-small"
        yield server


def test_the_local_space_names_the_same_model_in_both_modules():
    assert embeddings.LOCAL_SPACE == LOCAL_EMBEDDING_SPACE


def test_chunks_record_the_space_they_were_embedded_in(brand, settings, remote):
    doc = ingest_document(brand, source_name="voice.md", content=VOICE)
    assert set(doc.chunks.values_list("embedding_space", flat=True)) == {
        "openai/text-embedding-3-small"}
    settings.EMBEDDINGS_PROVIDER = "local"
    other = ingest_document(brand, source_name="offers.md", content=OFFERS)
    assert set(other.chunks.values_list("embedding_space", flat=True)) == {LOCAL_SPACE}


def test_retrieval_skips_chunks_another_model_embedded(brand, settings, remote):
    ingest_document(brand, source_name="voice.md", content=VOICE)
    settings.EMBEDDINGS_PROVIDER = "local"
    ingest_document(brand, source_name="offers.md", content=OFFERS)
    hits = retrieve_chunks(brand, "free shipping", k=10)
    assert hits and {hit.chunk.document.source_name for hit in hits} == {"offers.md"}
    assert [doc.source_name for doc in stale_documents(brand)] == ["voice.md"]


def test_reembedding_moves_stale_documents_into_the_configured_space(brand, settings, remote):
    doc = ingest_document(brand, source_name="voice.md", content=VOICE)
    settings.EMBEDDINGS_PROVIDER = "local"
    results = reembed_documents(brand)
    assert [(r.document.pk, r.changed) for r in results] == [(doc.pk, True)]
    doc.refresh_from_db()
    assert doc.version == 1  # same content: the same version, new vectors
    assert set(doc.chunks.values_list("embedding_space", flat=True)) == {LOCAL_SPACE}
    assert {hit.chunk.document_id for hit in retrieve_chunks(brand, "shipping")} == {doc.pk}
    assert reembed_documents(brand) == []
    assert not stale_documents(brand).exists()


def test_reingesting_unchanged_content_after_a_model_change_reembeds_it(brand, settings,
                                                                         remote):
    first = ingest_document(brand, source_name="voice.md", content=VOICE)
    old = set(first.chunks.values_list("pk", flat=True))
    settings.EMBEDDINGS_PROVIDER = "local"
    again = ingest_document(brand, source_name="voice.md", content=VOICE)
    assert again.version == 1
    assert not GuidelineChunk.objects.filter(pk__in=old).exists()
    assert set(again.chunks.values_list("embedding_space", flat=True)) == {LOCAL_SPACE}


def test_the_command_reembeds_and_says_what_it_did(brand, settings, remote):
    ingest_document(brand, source_name="voice.md", content=VOICE)
    settings.EMBEDDINGS_PROVIDER = "local"
    out = StringIO()
    call_command("reembed_guidelines", "--brand", brand.slug, stdout=out)
    assert f"{brand.slug}/voice.md: 2 chunks re-embedded ({LOCAL_SPACE})" in out.getvalue()
    out = StringIO()
    call_command("reembed_guidelines", stdout=out)
    assert "already embedded" in out.getvalue()


def test_the_guidelines_page_warns_about_documents_retrieval_skips(client, brand, manager,
                                                                   settings, remote):
    ingest_document(brand, source_name="voice.md", content=VOICE)
    settings.EMBEDDINGS_PROVIDER = "local"
    client.force_login(manager)
    page = client.get(reverse("studio:guidelines", args=[brand.slug])).content.decode()
    assert 'id="stale-embeddings"' in page and "needs re-embedding" in page
    assert f"reembed_guidelines --brand {brand.slug}" in page
    reembed_documents(brand)
    page = client.get(reverse("studio:guidelines", args=[brand.slug])).content.decode()
    assert 'id="stale-embeddings"' not in page
