from django.db import connection
from pgvector.django import CosineDistance

from copygen.models import GuidelineChunk, GuidelineDocument


def _vec(*head: float) -> list[float]:
    return list(head) + [0.0] * (384 - len(head))


def test_the_database_is_postgresql_with_the_vector_extension(db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
        cursor.execute("SHOW server_version_num")
        server_version = int(cursor.fetchone()[0])
    assert row is not None, "pgvector extension is not installed"
    assert server_version >= 150000


def test_an_hnsw_cosine_query_through_the_orm_returns_the_nearest_row(brand):
    doc = GuidelineDocument.objects.create(
        brand=brand, title="Voice", source_name="voice.md", content="x", content_sha256="0" * 64
    )
    rows = {
        "north": _vec(1.0, 0.0),
        "east": _vec(0.0, 1.0),
        "north-east": _vec(0.7, 0.7),
    }
    for position, (heading, embedding) in enumerate(rows.items()):
        GuidelineChunk.objects.create(
            brand=brand, document=doc, document_version=1, position=position,
            heading=heading, text=heading, embedding=embedding,
        )
    with connection.cursor() as cursor:
        # Force the planner onto the HNSW index so the test proves the index answers.
        cursor.execute("SET enable_seqscan = off")
    query = _vec(0.9, 0.1)
    qs = GuidelineChunk.objects.order_by(CosineDistance("embedding", query))[:1]
    with connection.cursor() as cursor:
        sql, params = qs.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "chunk_embedding_hnsw" in plan
    assert qs[0].heading == "north"
