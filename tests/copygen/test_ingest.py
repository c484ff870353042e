"""Ingesting guideline documents: atomic replace, versions, no-ops, failures, the command."""

from __future__ import annotations

import socket
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from copygen.embeddings import EmbeddingError
from copygen.models import GuidelineChunk, GuidelineDocument
from copygen.services import GuidelineError, ingest_document, ingest_files, seed_demo_guidelines
from copygen.services.guidelines import DEMO_GUIDELINES_DIR
from tests.servers.openai_server import OpenAIServer

Kind = GuidelineDocument.Kind

VOICE_V1 = "# Voice and tone\nWe sound calm.\n\n## Words we avoid\n- cheap\n- act now\n"
VOICE_V2 = "# Voice and tone\nWe sound calm and knowledgeable.\n\n## Emoji\nAt most one.\n"


def _chunks(doc: GuidelineDocument) -> list[tuple[int, int, str, str]]:
    return list(doc.chunks.order_by("position").values_list(
        "position", "document_version", "heading", "text"))


def test_ingest_creates_a_document_with_one_chunk_per_section(brand, manager):
    doc = ingest_document(brand, source_name="voice.md", content=VOICE_V1, by=manager)
    assert (doc.title, doc.kind, doc.version, doc.uploaded_by) == (
        "Voice and tone", Kind.VOICE, 1, manager)
    assert _chunks(doc) == [
        (0, 1, "Voice and tone", "We sound calm."),
        (1, 1, "Voice and tone › Words we avoid", "- cheap\n- act now"),
    ]
    embedding = doc.chunks.first().embedding
    assert len(embedding) == 384
    assert sum(x * x for x in embedding) == pytest.approx(1.0, abs=1e-4)


def test_reingesting_changed_content_replaces_the_chunks_and_bumps_the_version(brand):
    first = ingest_document(brand, source_name="voice.md", content=VOICE_V1)
    old_ids = set(first.chunks.values_list("pk", flat=True))
    second = ingest_document(brand, source_name="voice.md", content=VOICE_V2)
    assert second.pk == first.pk
    assert second.version == 2
    assert _chunks(second) == [
        (0, 2, "Voice and tone", "We sound calm and knowledgeable."),
        (1, 2, "Voice and tone › Emoji", "At most one."),
    ]
    assert not GuidelineChunk.objects.filter(pk__in=old_ids).exists()
    assert GuidelineDocument.objects.filter(brand=brand).count() == 1


def test_reingesting_the_same_content_changes_nothing(brand, settings):
    settings.EMBEDDINGS_PROVIDER = "openai"
    with OpenAIServer() as server:
        settings.OPENAI_BASE_URL = server.base_url
        doc = ingest_document(brand, source_name="voice.md", content=VOICE_V1)
    chunk_ids = list(doc.chunks.values_list("pk", flat=True))
    # The same model behind an unreachable endpoint proves the no-op never embeds.
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{_closed_port()}/v1"
    with CaptureQueriesContext(connection) as queries:
        again = ingest_document(brand, source_name="voice.md", content=VOICE_V1)
    assert all(q["sql"].startswith("SELECT") for q in queries.captured_queries)
    assert (again.pk, again.version, again.updated_at) == (doc.pk, 1, doc.updated_at)
    assert list(again.chunks.values_list("pk", flat=True)) == chunk_ids


def test_the_same_file_name_in_two_brands_is_two_documents(brand):
    from tests.factories import make_brand

    other = make_brand()
    ingest_document(brand, source_name="voice.md", content=VOICE_V1)
    ingest_document(other, source_name="voice.md", content=VOICE_V2)
    assert GuidelineDocument.objects.get(brand=brand).version == 1
    assert GuidelineDocument.objects.get(brand=other).version == 1


def test_an_embedding_failure_keeps_the_previous_chunks(brand, settings):
    doc = ingest_document(brand, source_name="voice.md", content=VOICE_V1)
    before = _chunks(doc)
    settings.EMBEDDINGS_PROVIDER = "openai"
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{_closed_port()}/v1"
    settings.OPENAI_API_KEY = "test"
    with pytest.raises(EmbeddingError) as excinfo:
        ingest_document(brand, source_name="voice.md", content=VOICE_V2)
    assert excinfo.value.transient
    assert "cannot reach" in str(excinfo.value)
    doc.refresh_from_db()
    assert (doc.version, doc.content) == (1, VOICE_V1)
    assert _chunks(doc) == before


def test_kind_is_guessed_from_the_title_or_file_name(brand):
    cases = {
        ("offers.md", "# Offer and discount policy\nUp to 15% off."): Kind.OFFERS,
        ("legal.md", "# Legal lines\nReply STOP to opt out."): Kind.LEGAL,
        ("examples.md", "# Example messages\n- Summit Outfitters: hi"): Kind.EXAMPLES,
        ("words.md", "# Words we use and avoid\n- gear up"): Kind.WORDS,
        ("brand-voice.txt", "Sound calm."): Kind.VOICE,
        ("notes.md", "# Misc\nSomething."): Kind.OTHER,
    }
    for (name, content), kind in cases.items():
        assert ingest_document(brand, source_name=name, content=content).kind == kind, name


def test_an_explicit_title_and_kind_win_and_a_bad_kind_is_refused(brand):
    doc = ingest_document(brand, source_name="x.md", content="Text.", title="House rules",
                          kind=Kind.LEGAL)
    assert (doc.title, doc.kind) == ("House rules", Kind.LEGAL)
    with pytest.raises(GuidelineError, match="unknown guideline kind"):
        ingest_document(brand, source_name="y.md", content="Text.", kind="poetry")


def test_a_document_without_text_is_refused(brand):
    with pytest.raises(GuidelineError, match="no text"):
        ingest_document(brand, source_name="empty.md", content="# Only a heading\n")
    assert not GuidelineDocument.objects.exists()


def test_ingest_files_validates_every_file_before_storing_any(brand, tmp_path):
    good = tmp_path / "voice.md"
    good.write_text(VOICE_V1)
    bad = tmp_path / "policy.docx"
    bad.write_bytes(b"PK\x03\x04")
    with pytest.raises(GuidelineError, match="unsupported file type"):
        ingest_files(brand, [good, bad])
    assert not GuidelineDocument.objects.exists()


def test_seeding_the_demo_guidelines_twice_is_idempotent(brand):
    first = seed_demo_guidelines(brand)
    assert {r.document.kind for r in first} == {
        Kind.VOICE, Kind.WORDS, Kind.OFFERS, Kind.LEGAL, Kind.EXAMPLES}
    assert all(r.changed for r in first)
    count = GuidelineChunk.objects.filter(brand=brand).count()
    second = seed_demo_guidelines(brand)
    assert not any(r.changed for r in second)
    assert [r.document.version for r in second] == [1] * 5
    assert GuidelineChunk.objects.filter(brand=brand).count() == count


def test_the_command_prints_title_kind_version_and_chunks_per_file(brand, tmp_path):
    path = tmp_path / "voice.md"
    path.write_text(VOICE_V1)
    offers = DEMO_GUIDELINES_DIR / "offers.md"
    out = StringIO()
    call_command("ingest_guidelines", "--brand", brand.slug, str(path), str(offers), stdout=out)
    lines = out.getvalue().splitlines()
    offers_doc = GuidelineDocument.objects.get(brand=brand, source_name="offers.md")
    assert lines == [
        "voice.md: 'Voice and tone' kind=voice version=1 chunks=2 (stored)",
        f"offers.md: 'Offer and discount policy' kind=offers version=1 "
        f"chunks={offers_doc.chunks.count()} (stored)",
    ]
    path.write_text(VOICE_V2)
    out = StringIO()
    call_command("ingest_guidelines", "--brand", brand.slug, str(path), str(offers), stdout=out)
    assert out.getvalue().splitlines()[0] == (
        "voice.md: 'Voice and tone' kind=voice version=2 chunks=2 (stored)")
    assert out.getvalue().splitlines()[1].endswith("(unchanged)")


def test_the_command_reports_an_unknown_brand_and_a_missing_file(brand, tmp_path):
    with pytest.raises(CommandError, match="no brand with slug 'nope'"):
        call_command("ingest_guidelines", "--brand", "nope", str(tmp_path / "x.md"))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("ingest_guidelines", "--brand", brand.slug, str(tmp_path / "missing.md"))


def _closed_port() -> int:
    """A loopback port nothing listens on: bind, read the number, close."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
