"""The embeddings client: the real local model, and the real openai client against an
OpenAI-protocol server on loopback."""

from __future__ import annotations

import math
import threading

import pytest

from copygen.embeddings import DIMENSIONS, EmbeddingError, embed_query, embed_texts
from tests.servers.openai_server import OpenAIServer


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_local_vectors_have_384_dimensions_and_unit_length():
    vectors = embed_texts(["Free shipping on orders over $75.", "Reply STOP to opt out."])
    assert len(vectors) == 2
    for vector in vectors:
        assert len(vector) == DIMENSIONS
        assert math.sqrt(sum(x * x for x in vector)) == pytest.approx(1.0, abs=1e-5)


def test_local_similar_texts_are_closer_than_unrelated_ones():
    discount, coupon, opt_out = embed_texts([
        "We offer up to 15% off for lapsing customers.",
        "Discount policy: percent-off coupons for win-back.",
        "Every text must say Reply STOP to opt out.",
    ])
    assert _cosine(discount, coupon) > _cosine(discount, opt_out) + 0.1


def test_a_batch_gives_the_same_vectors_as_single_queries():
    texts = ["gear up for the trail", "back in stock", "price drop on the tent"]
    batch = embed_texts(texts)
    for text, vector in zip(texts, batch, strict=True):
        assert _cosine(embed_query(text), vector) == pytest.approx(1.0, abs=1e-5)


def test_concurrent_callers_share_one_model_safely():
    expected = embed_query("trail-tested rain jacket")
    results: list[list[float]] = []
    errors: list[BaseException] = []

    def work():
        try:
            results.append(embed_query("trail-tested rain jacket"))
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(_cosine(v, expected) == pytest.approx(1.0, abs=1e-5) for v in results)


def test_an_empty_batch_makes_no_call():
    assert embed_texts([]) == []


# --- openai provider ------------------------------------------------------------------------


@pytest.fixture
def server():
    yield from OpenAIServer.serve()


def _use(settings, server, model="all-MiniLM-L6-v2"):
    settings.EMBEDDINGS_PROVIDER = "openai"
    settings.OPENAI_BASE_URL = server.base_url
    settings.OPENAI_API_KEY = "test-key"
    settings.EMBEDDINGS_MODEL = model


def test_openai_provider_returns_unit_vectors_in_input_order(settings, server):
    _use(settings, server)
    vectors = embed_texts(["one", "two", "three"])
    assert [len(v) for v in vectors] == [DIMENSIONS] * 3
    assert all(math.sqrt(sum(x * x for x in v)) == pytest.approx(1.0) for v in vectors)
    assert _cosine(vectors[0], embed_query("one")) == pytest.approx(1.0)
    (request, *_) = server.requests
    assert request.path == "/v1/embeddings"
    assert request.json["input"] == ["one", "two", "three"]
    assert request.json["model"] == "all-MiniLM-L6-v2"
    assert "dimensions" not in request.json  # most servers reject it for other models
    assert request.headers["authorization"] == "Bearer test-key"


def test_openai_text_embedding_3_is_asked_for_384_dimensions(settings, server):
    _use(settings, server, model="text-embedding-3-small")
    assert len(embed_query("hello")) == DIMENSIONS
    assert server.requests[0].json["dimensions"] == DIMENSIONS


def test_a_model_with_the_wrong_dimension_is_refused_clearly(settings):
    for server in OpenAIServer.serve(embedding_dim=1536):
        _use(settings, server, model="nomic-embed-text")
        with pytest.raises(EmbeddingError, match="1536-dimensional.*store 384"):
            embed_texts(["hello"])


def test_a_rejected_request_is_a_permanent_embedding_error(settings, server):
    _use(settings, server)
    server.enqueue("model not found", endpoint="embeddings", status=400)
    with pytest.raises(EmbeddingError, match="HTTP 400") as excinfo:
        embed_texts(["hello"])
    assert not excinfo.value.transient
    assert len(server.requests) == 1  # a 400 is not retried


def test_rate_limits_are_retried_then_reported_as_transient(settings, server):
    _use(settings, server)
    for _ in range(3):
        server.enqueue(endpoint="embeddings", status=429, headers={"retry-after-ms": "10"})
    with pytest.raises(EmbeddingError, match="HTTP 429") as excinfo:
        embed_texts(["hello"])
    assert excinfo.value.transient
    assert len(server.requests) == 3  # the first try and two retries


def test_a_transient_error_followed_by_success_recovers(settings, server):
    _use(settings, server)
    server.enqueue(endpoint="embeddings", status=503, headers={"retry-after-ms": "10"})
    assert len(embed_query("hello")) == DIMENSIONS
    assert len(server.requests) == 2


def test_a_malformed_response_is_an_embedding_error(settings, server):
    _use(settings, server)
    server.enqueue(endpoint="embeddings", raw_body='{"object": "list", "data": [{"index": 0}]}',
                   headers={"content-type": "application/json"})
    with pytest.raises(EmbeddingError):
        embed_texts(["hello"])


def test_openai_provider_without_a_base_url_says_so(settings):
    settings.EMBEDDINGS_PROVIDER = "openai"
    settings.OPENAI_BASE_URL = None
    with pytest.raises(EmbeddingError, match="needs OPENAI_BASE_URL"):
        embed_query("hello")
