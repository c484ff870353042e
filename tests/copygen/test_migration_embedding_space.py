"""Migration 0003 labels chunks stored before it with the model configured at migrate time."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import make_brand, make_guideline_document

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("copygen", "0002_generationrequest_variant_variantevent_and_more")]
AFTER = [("copygen", "0003_chunk_embedding_space")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture(autouse=True)
def _latest_schema_afterwards():
    # Later migrations (and every later test) need the whole schema back, not just 0003.
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_chunks_stored_before_the_migration_get_the_configured_model(settings):
    doc = make_guideline_document(make_brand())
    _migrate(BEFORE)
    try:
        vector = "[" + ",".join(["0.05"] * 384) + "]"
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO copygen_guidelinechunk (brand_id, document_id, document_version,"
                " position, heading, text, embedding) VALUES (%s, %s, 1, 0, '', 'old', %s)",
                [doc.brand_id, doc.pk, vector])
        settings.EMBEDDINGS_PROVIDER = "openai"
        settings.EMBEDDINGS_MODEL = "text-embedding-3-small"
    finally:
        _migrate(AFTER)
    with connection.cursor() as cursor:
        cursor.execute("SELECT embedding_space FROM copygen_guidelinechunk WHERE text = 'old'")
        assert cursor.fetchone()[0] == "openai/text-embedding-3-small"
