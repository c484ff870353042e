"""copygen's writes. Callers import from here: ``from copygen.services import ingest_document``."""

from copygen.services.guidelines import (
    GuidelineError,
    IngestResult,
    ingest_document,
    ingest_files,
    reembed_documents,
    seed_demo_guidelines,
)

__all__ = [
    "GuidelineError",
    "IngestResult",
    "ingest_document",
    "ingest_files",
    "reembed_documents",
    "seed_demo_guidelines",
]
