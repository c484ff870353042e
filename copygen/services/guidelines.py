"""Writes for guideline documents: ingest (chunk → embed → replace atomically) and the demo.

Embedding is slow (the local model needs ~50 ms per chunk on CPU, a remote endpoint a
network round trip), so it happens before the transaction opens: the database holds no
locks while we wait, and a failed embedding never touches the stored chunks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction

from brandguard.models import Brand
from copygen import embeddings
from copygen.chunking import Chunk, DocumentError, chunk_document, extract_text
from copygen.embeddings import embed_texts
from copygen.models import GuidelineChunk, GuidelineDocument
from copygen.selectors import stale_documents

Kind = GuidelineDocument.Kind

DEMO_GUIDELINES_DIR = Path(__file__).resolve().parent.parent / "demo_guidelines"

# First match wins, so the more specific words come first ("example" before "offer": an
# examples file may well mention offers in its title).
_KIND_WORDS: tuple[tuple[str, str], ...] = (
    (Kind.EXAMPLES, r"examples?|samples?|templates?|messages"),
    (Kind.LEGAL, r"legal|compliance|opt[- ]?out|tcpa|ctia|terms|disclosures?"),
    (Kind.OFFERS, r"offers?|discounts?|promos?|promotions?|coupons?|pricing|shipping"),
    (Kind.WORDS, r"words?|vocabulary|lexicon|glossary|phrases?|do'?s|don'?ts"),
    (Kind.VOICE, r"voice|tone|style|personality"),
)


class GuidelineError(Exception):
    """A guideline document that cannot be ingested (unreadable, empty, bad kind)."""


@dataclass(frozen=True)
class IngestResult:
    document: GuidelineDocument
    chunk_count: int
    changed: bool  # False when the same content was already stored (nothing written)


def ingest_document(
    brand: Brand, *, source_name: str, content: str, title: str | None = None,
    kind: str | None = None, by=None,
) -> GuidelineDocument:
    """Create or replace the brand's document named ``source_name`` and its chunks.

    Same content as stored (by SHA-256) → returns the stored document untouched. Otherwise
    the new chunks replace the old ones and ``version`` goes up, all in one transaction; if
    chunking or embedding fails, the previous chunks stay as they were.
    """
    return _ingest(brand, source_name=source_name, content=content, title=title, kind=kind,
                   by=by).document


def ingest_files(brand: Brand, paths: Iterable[str | Path], by=None) -> list[IngestResult]:
    """Ingest files (.md, .markdown, .txt, .pdf), named by their file name.

    Every file is read and converted before the first one is stored, so a bad file in the
    list fails the call without a half-ingested batch.
    """
    texts: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw)
        try:
            texts.append((path.name, extract_text(path.name, path.read_bytes())))
        except OSError as exc:
            raise GuidelineError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except DocumentError as exc:
            raise GuidelineError(str(exc)) from exc
    return [_ingest(brand, source_name=name, content=text, by=by) for name, text in texts]


def seed_demo_guidelines(brand: Brand) -> list[IngestResult]:
    """Ingest the demo brand's guideline files; a second run changes nothing."""
    return ingest_files(brand, sorted(DEMO_GUIDELINES_DIR.glob("*.md")))


def _ingest(
    brand: Brand, *, source_name: str, content: str, title: str | None = None,
    kind: str | None = None, by=None,
) -> IngestResult:
    source_name = source_name.strip()
    if not source_name or len(source_name) > 255:  # GuidelineDocument.source_name
        raise GuidelineError("a guideline document needs a source name of 1-255 characters")
    content = content.replace("\x00", "")  # PostgreSQL text cannot hold NUL
    sha = hashlib.sha256(content.encode("utf-8")).hexdigest()
    stored = GuidelineDocument.objects.filter(brand=brand, source_name=source_name).first()
    if stored is not None and stored.content_sha256 == sha and not _stale(stored):
        return IngestResult(stored, stored.chunks.count(), changed=False)
    chunks = chunk_document(content)
    if not chunks:
        raise GuidelineError(f"{source_name} has no text to ingest")
    title = (title or _title_from(content, source_name)).strip()[:200]
    kind = _valid_kind(kind) if kind else guess_kind(title, source_name)
    vectors = embed_texts([embedding_input(chunk) for chunk in chunks])  # outside the txn
    fields = {"title": title, "kind": kind, "content": content, "content_sha256": sha,
              "uploaded_by": by}
    try:
        return _replace(brand, source_name, fields, chunks, vectors)
    except IntegrityError:
        # Two first uploads of one file race on the unique (brand, source_name); the loser
        # tries once more and then finds the winner's row to replace (or to leave alone).
        return _replace(brand, source_name, fields, chunks, vectors)


@transaction.atomic
def _replace(
    brand: Brand, source_name: str, fields: dict, chunks: list[Chunk],
    vectors: list[list[float]],
) -> IngestResult:
    doc = (GuidelineDocument.objects.select_for_update()
           .filter(brand=brand, source_name=source_name).first())
    if doc is None:
        doc = GuidelineDocument.objects.create(brand=brand, source_name=source_name, **fields)
    else:
        same = doc.content_sha256 == fields["content_sha256"]
        if same and not _stale(doc):
            return IngestResult(doc, doc.chunks.count(), changed=False)  # a concurrent twin won
        if not same:  # same content in a new embedding space keeps its version
            for name, value in fields.items():
                setattr(doc, name, value)
            doc.version += 1
            doc.save()
        doc.chunks.all().delete()
    space = embeddings.space()
    GuidelineChunk.objects.bulk_create(
        GuidelineChunk(brand=brand, document=doc, document_version=doc.version,
                       position=chunk.position, heading=chunk.heading, text=chunk.text,
                       embedding=vector, embedding_space=space)
        for chunk, vector in zip(chunks, vectors, strict=True)
    )
    return IngestResult(doc, len(chunks), changed=True)


def _stale(doc: GuidelineDocument) -> bool:
    """Has the document chunks embedded by another model than the configured one?"""
    return doc.chunks.exclude(embedding_space=embeddings.space()).exists()


def reembed_documents(brand: Brand | None = None) -> list[IngestResult]:
    """Re-embed every document (of `brand`, or of all brands) whose chunks another embedding
    model made, from its stored text. Content, version and uploader stay as they were."""
    return [
        _ingest(doc.brand, source_name=doc.source_name, content=doc.content, title=doc.title,
                kind=doc.kind, by=doc.uploaded_by)
        for doc in stale_documents(brand).select_related("brand", "uploaded_by")
    ]


def embedding_input(chunk: Chunk) -> str:
    """What gets embedded: the heading path carries the topic ("Offers › Discounts") that
    the body often only implies, so it goes in front of the text."""
    return f"{chunk.heading}\n{chunk.text}" if chunk.heading else chunk.text


def guess_kind(title: str, source_name: str) -> str:
    haystack = f"{Path(source_name).stem} {title}".lower().replace("_", " ").replace("-", " ")
    for kind, words in _KIND_WORDS:
        if re.search(rf"\b(?:{words})\b", haystack):
            return kind
    return Kind.OTHER


def _valid_kind(kind: str) -> str:
    if kind not in Kind.values:
        raise GuidelineError(f"unknown guideline kind {kind!r}; use one of {Kind.values}")
    return kind


def _title_from(content: str, source_name: str) -> str:
    match = re.search(r"^#[ \t]+(.+?)[ \t]*#*[ \t]*$", content, flags=re.MULTILINE)
    if match:
        return re.sub(r"[*_`]+", "", match.group(1)).strip()
    stem = re.sub(r"[-_]+", " ", Path(source_name).stem).strip()
    return stem[:1].upper() + stem[1:] if stem else source_name
