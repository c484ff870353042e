"""Reads for copygen: nearest guideline chunks for a brand.

Retrieval strategy, measured with bench/retrieval.py (k=5, 200 queries per row, p50 on 2
CPUs shared with other work; every row is in bench/results/retrieval.json):

- Exact search by default: the brand's rows (brand index, or a sequential scan when the
  brand is most of the table) sorted by distance. Recall is 1.0 by construction, and the
  cost grows with the *brand's* chunk count only, ~1 ms per 1,000 chunks: p50 2.5 ms at
  200 chunks, 2-4 ms at 2,000, 6.5 ms at 5,000, 12 ms at 10,000, 94 ms at 100,000, however
  big the table. A real brand's whole guideline set is 30-300 chunks: every brand today
  takes this path.
- HNSW only when the brand has at least ``EXACT_SEARCH_MAX_CHUNKS`` chunks AND at least
  ``HNSW_MIN_SHARE`` of the table. The index holds every brand's vectors, so a brand
  filter throws away most of what a small-share brand's scan visits; even with
  ``hnsw.iterative_scan = relaxed_order`` (which keeps scanning until k rows pass the
  filter) recall@5 was 0.90 at a 4.2 % share, 0.73 at 2.1 % and 0.64 at 0.2 % (at 7-70
  ms), while from a 6 % share up it was >= 0.996 at 1.7-3.6 ms. So the brand's count alone
  cannot decide: 2,500 chunks in a 120k-row table is exactly the bad case.
- ``hnsw.ef_search`` = 100 (pgvector's default is 40): at 100k chunks 40 gave recall 0.975
  on the standard data and 0.94 on a wider spread (``--noise 1.5``), where 100 gave 1.0;
  the price is < 0.5 ms.

Both strategies pin their plan with transaction-local planner settings, restored
afterwards, so neither leaks into the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from pgvector.django import CosineDistance

from brandguard.models import Brand
from copygen import embeddings
from copygen.embeddings import embed_query
from copygen.models import GuidelineChunk, GuidelineDocument

EXACT_SEARCH_MAX_CHUNKS = 2_000
HNSW_MIN_SHARE = 0.05
HNSW_EF_SEARCH = 100
DEFAULT_K = 6

Strategy = Literal["auto", "exact", "hnsw"]


@dataclass(frozen=True)
class RetrievedChunk:
    chunk: GuidelineChunk
    score: float  # cosine similarity, 1 - cosine distance: 1.0 is identical


def retrieve_chunks(brand: Brand, query: str, *, k: int = DEFAULT_K) -> list[RetrievedChunk]:
    """The brand's ``k`` chunks nearest to ``query``, best first. Raises EmbeddingError."""
    if not query.strip():
        return []
    return retrieve_for_vector(brand, embed_query(query), k=k)


def retrieve_for_vector(
    brand: Brand, vector: Sequence[float], k: int = DEFAULT_K, *,
    strategy: Strategy = "auto", ef_search: int = HNSW_EF_SEARCH,
) -> list[RetrievedChunk]:
    """The brand's ``k`` chunks nearest to ``vector``, best first; never another brand's.

    ``strategy`` and ``ef_search`` exist for the benchmark; callers leave them alone.
    """
    if k < 1:
        return []
    if strategy == "auto":
        strategy = "hnsw" if _use_hnsw(brand) else "exact"
    rows = (
        # Only vectors of the configured model: another model's distances mean nothing.
        GuidelineChunk.objects.filter(brand=brand, embedding_space=embeddings.space())
        .annotate(distance=CosineDistance("embedding", list(vector)))
        .select_related("document")
        .defer("embedding", "document__content")
        # Only "ORDER BY distance" alone lets the HNSW index serve the ordering; ties are
        # broken by pk after the fetch instead.
        .order_by("distance")[:k]
    )
    with _plan_settings(_planner_settings(strategy, ef_search)):
        found = list(rows)
    # relaxed_order may hand back near-ties slightly out of order; k rows are cheap to sort.
    found.sort(key=lambda row: (row.distance, row.pk))
    return [RetrievedChunk(chunk=row, score=1.0 - float(row.distance)) for row in found]


def stale_documents(brand: Brand | None = None) -> QuerySet[GuidelineDocument]:
    """Documents (of `brand`, or of every brand) with chunks that another embedding model
    made: retrieval skips those chunks until the document is re-embedded."""
    other = GuidelineChunk.objects.filter(document=OuterRef("pk")).exclude(
        embedding_space=embeddings.space())
    found = GuidelineDocument.objects.filter(Exists(other))
    return found.filter(brand=brand) if brand is not None else found


def _use_hnsw(brand: Brand) -> bool:
    """True when the brand has at least EXACT_SEARCH_MAX_CHUNKS chunks *and* at least
    HNSW_MIN_SHARE of the table (pg_class.reltuples, the planner's row estimate).

    One round trip. The count runs over a LIMIT subquery, so it stops as soon as the
    answer is known and stays cheap for a huge brand.
    """
    table = GuidelineChunk._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH need AS (
                SELECT GREATEST(%s, CEIL(%s * GREATEST(reltuples, 0)))::bigint AS n
                FROM pg_class WHERE oid = %s::regclass
            )
            SELECT count(*) >= (SELECT n FROM need)
            FROM (SELECT 1 FROM {table} WHERE brand_id = %s AND embedding_space = %s
                  LIMIT (SELECT n FROM need)) AS c
            """,
            [EXACT_SEARCH_MAX_CHUNKS, HNSW_MIN_SHARE, table, brand.pk, embeddings.space()],
        )
        return bool(cursor.fetchone()[0])


# Both strategies run the same SQL, which the driver prepares once per connection. A
# prepared statement may switch to a cached generic plan, built under whatever planner
# settings were in force then: an HNSW plan (enable_sort off) replayed for the exact
# strategy, without the iterative scan, returns fewer than k rows, even none. So each query
# is planned afresh under its own strategy's settings.
_FRESH_PLAN = {"plan_cache_mode": "force_custom_plan"}


def _planner_settings(strategy: str, ef_search: int) -> dict[str, str]:
    if strategy == "exact":
        # Without index scans the planner cannot use HNSW (it has no bitmap mode): it reads
        # the brand's rows by a bitmap scan of the brand index (a sequential scan when the
        # brand is most of the table) and sorts them. Exact.
        return {"enable_indexscan": "off", **_FRESH_PLAN}
    if strategy == "hnsw":
        # Without sorts, the only plan that yields rows in distance order is the HNSW index
        # scan (a b-tree brand scan needs a Sort node), even before ANALYZE has seen a
        # freshly loaded brand. Iterative scan keeps it going until k rows pass the filter.
        return {
            "hnsw.iterative_scan": "relaxed_order",
            "hnsw.ef_search": str(int(ef_search)),
            "enable_sort": "off",
            **_FRESH_PLAN,
        }
    raise ValueError(f"unknown retrieval strategy {strategy!r}")


@contextmanager
def _plan_settings(values: dict[str, str]) -> Iterator[None]:
    """Apply planner settings for one query with SET LOCAL semantics.

    SET LOCAL lasts until the end of the *transaction*; inside a caller's transaction (a
    Celery task's atomic block, a test) it would outlive our query, so the previous values
    are put back. If the query fails, rolling back our savepoint reverts them anyway; and
    outside any transaction our own atomic block ends the transaction, which is enough.
    """
    names = list(values)
    nested = connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            reads = ", ".join(["current_setting(%s, true)"] * len(names))
            writes = ", ".join(["set_config(%s, %s, true)"] * len(names))
            cursor.execute(
                f"SELECT {reads}, {writes}",
                [*names, *[item for name in names for item in (name, values[name])]],
            )
            previous = cursor.fetchone()[: len(names)]
        yield
        if nested:
            _restore(dict(zip(names, previous, strict=True)))


def _restore(previous: dict[str, str | None]) -> None:
    with connection.cursor() as cursor:
        for name, value in previous.items():
            if value is None:
                # The session had not loaded pgvector when we read it, so the setting was
                # its default; RESET (transactional too) says exactly that.
                cursor.execute(f"RESET {name}")  # name is one of our own constants
            else:
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
