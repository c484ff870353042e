"""Retrieval over real local embeddings (all-MiniLM-L6-v2) and over synthetic vectors."""

from __future__ import annotations

import math
import random

import pytest
from django.db import connection

from copygen.models import GuidelineChunk, GuidelineDocument
from copygen.selectors import EXACT_SEARCH_MAX_CHUNKS, retrieve_chunks, retrieve_for_vector
from copygen.services import ingest_document, seed_demo_guidelines
from tests.factories import make_brand, make_guideline_chunk, make_guideline_document

Kind = GuidelineDocument.Kind


@pytest.fixture
def demo_brand(brand):
    seed_demo_guidelines(brand)
    return brand


@pytest.mark.parametrize("query", [
    "How much of a discount can we offer a customer who has not bought in a while?",
    "percent off coupon policy",
    "Can we combine 15% off with free shipping?",
])
def test_a_question_about_discounts_retrieves_the_offer_policy_first(demo_brand, query):
    hits = retrieve_chunks(demo_brand, query, k=6)
    assert len(hits) == 6
    assert hits[0].chunk.document.kind == Kind.OFFERS, [
        (h.chunk.heading, round(h.score, 3)) for h in hits
    ]


def test_queries_about_other_topics_find_their_own_documents(demo_brand):
    cases = {
        "Which words are banned and must never appear in a text?": Kind.WORDS,
        "Where must the opt-out instruction appear and which link shorteners are forbidden?":
            Kind.LEGAL,
        "example text message for a customer who left items in the cart": Kind.EXAMPLES,
        "how calm and knowledgeable should our brand voice sound": Kind.VOICE,
    }
    for query, kind in cases.items():
        top = retrieve_chunks(demo_brand, query, k=3)[0].chunk
        assert top.document.kind == kind, (query, top.heading)


def test_scores_are_cosine_similarities_in_descending_order(demo_brand):
    hits = retrieve_chunks(demo_brand, "free shipping threshold", k=8)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 <= s <= 1.0 for s in scores)
    assert "Free shipping" in hits[0].chunk.heading


def test_another_brands_chunks_never_appear(demo_brand):
    rival = make_brand(name="Rival Outdoors")
    # The rival's document is *about* the query, so only the brand filter can keep it out.
    ingest_document(rival, source_name="offers.md",
                    content="# Discounts\nRival gives 50% off discounts to every customer.")
    for query in ("50% off discounts for every customer", "discount policy", "voice"):
        hits = retrieve_chunks(demo_brand, query, k=40)
        assert hits, query
        assert {h.chunk.brand_id for h in hits} == {demo_brand.pk}
    rival_hits = retrieve_chunks(rival, "discount policy", k=40)
    assert [h.chunk.text for h in rival_hits] == [
        "Rival gives 50% off discounts to every customer."
    ]


def test_an_empty_query_retrieves_nothing(brand):
    assert retrieve_chunks(brand, "   ") == []


# --- synthetic vectors: both strategies, no model ------------------------------------------


def _unit(rng: random.Random) -> list[float]:
    v = [rng.gauss(0.0, 1.0) for _ in range(384)]
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


@pytest.fixture
def two_brands_with_vectors(db):
    rng = random.Random(7)
    mine, theirs = make_brand(), make_brand()
    for brand, count in ((mine, 30), (theirs, 60)):
        doc = make_guideline_document(brand)
        for position in range(count):
            make_guideline_chunk(doc, embedding=_unit(rng), position=position)
    return mine, theirs, rng


@pytest.mark.parametrize("strategy", ["exact", "hnsw", "auto"])
def test_both_strategies_return_k_rows_of_the_brand_only(two_brands_with_vectors, strategy):
    mine, theirs, rng = two_brands_with_vectors
    for _ in range(5):
        hits = retrieve_for_vector(mine, _unit(rng), k=10, strategy=strategy)
        assert len(hits) == 10
        assert {h.chunk.brand_id for h in hits} == {mine.pk}


def test_hnsw_and_exact_agree_on_a_small_table(two_brands_with_vectors):
    mine, _, rng = two_brands_with_vectors
    query = _unit(rng)
    exact = [h.chunk.pk for h in retrieve_for_vector(mine, query, k=5, strategy="exact")]
    approx = [h.chunk.pk for h in retrieve_for_vector(mine, query, k=5, strategy="hnsw")]
    assert exact == approx


def test_a_chunks_own_vector_is_its_nearest_neighbour(two_brands_with_vectors):
    mine, _, _ = two_brands_with_vectors
    chunk = mine.guideline_chunks.order_by("pk")[3]
    hit = retrieve_for_vector(mine, list(chunk.embedding), k=1)[0]
    assert hit.chunk.pk == chunk.pk
    assert hit.score == pytest.approx(1.0, abs=1e-5)


def test_planner_settings_do_not_leak_into_the_callers_transaction(two_brands_with_vectors):
    mine, _, rng = two_brands_with_vectors
    before = _settings()
    retrieve_for_vector(mine, _unit(rng), strategy="hnsw")
    retrieve_for_vector(mine, _unit(rng), strategy="exact")
    assert _settings() == before


def _settings() -> tuple:
    names = ("enable_indexscan", "enable_sort", "hnsw.ef_search",
             "hnsw.iterative_scan")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["current_setting(%s, true)"] * len(names)), names)
        return cursor.fetchone()


@pytest.mark.parametrize(("strategy", "uses_hnsw"), [("hnsw", True), ("exact", False)])
def test_each_strategy_gets_the_plan_it_names(two_brands_with_vectors, strategy, uses_hnsw):
    mine, _, rng = two_brands_with_vectors
    plan = _plan(mine, _unit(rng), strategy=strategy)
    assert ("chunk_embedding_hnsw" in plan) is uses_hnsw, plan


def _small_and_big(rng: random.Random, small_count: int, big_count: int):
    """Two brands with random unit vectors, the table analysed (the share uses the planner's
    row estimate)."""
    small, big = make_brand(), make_brand()
    doc = make_guideline_document(small)
    for position in range(small_count):
        make_guideline_chunk(doc, embedding=_unit(rng), position=position)
    doc = make_guideline_document(big)
    GuidelineChunk.objects.bulk_create(
        GuidelineChunk(brand=big, document=doc, document_version=1, position=position,
                       text=f"chunk {position}", embedding=_unit(rng))
        for position in range(big_count)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE copygen_guidelinechunk")
    return small, big


def test_auto_searches_a_small_brand_exactly_and_a_big_one_through_hnsw(db):
    rng = random.Random(11)
    small, big = _small_and_big(rng, 50, EXACT_SEARCH_MAX_CHUNKS)
    assert "chunk_embedding_hnsw" not in _plan(small, _unit(rng))
    assert "chunk_embedding_hnsw" in _plan(big, _unit(rng))
    hits = retrieve_for_vector(big, _unit(rng), k=6)
    assert len(hits) == 6
    assert {h.chunk.brand_id for h in hits} == {big.pk}


def _plan(brand, vector, **options) -> str:
    """The plan of the retrieval query, EXPLAINed inside retrieval's own transaction (so
    with its planner settings in force)."""
    plans: list[str] = []

    def explain_first(execute, sql, params, many, context):
        if "ORDER BY" in sql and "<=>" in sql:
            cursor = context["cursor"].cursor  # the driver's cursor: no wrapper recursion
            cursor.execute("EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain_first):
        retrieve_for_vector(brand, vector, k=5, **options)
    assert len(plans) == 1
    return plans[0]


def test_an_exact_search_after_many_hnsw_searches_on_one_connection_is_still_exact(db):
    """The driver prepares the retrieval SQL; a plan cached under one strategy's settings
    must never serve the other (an HNSW scan without the iterative scan loses rows)."""
    rng = random.Random(13)
    small, _big = _small_and_big(rng, 12, 600)
    for _ in range(12):  # past the driver's prepare threshold and the server's 5 custom plans
        retrieve_for_vector(small, _unit(rng), k=5, strategy="hnsw")
    for _ in range(5):
        query = _unit(rng)
        truth = sorted(doc_id for doc_id, _ in sorted(
            ((c.pk, -sum(a * b for a, b in zip(c.embedding, query, strict=True)))
             for c in GuidelineChunk.objects.filter(brand=small)), key=lambda t: t[1])[:5])
        hits = retrieve_for_vector(small, query, k=5, strategy="exact")
        assert sorted(h.chunk.pk for h in hits) == truth
