"""Guidelines as retrievable chunks, and the variants generated from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from pgvector.django import HnswIndex, VectorField

from brandguard.models import Brand

EMBEDDING_DIMENSIONS = 384  # all-MiniLM-L6-v2; an OpenAI-compatible endpoint must match it


class GuidelineDocument(models.Model):
    class Kind(models.TextChoices):
        VOICE = "voice", "Voice and tone"
        WORDS = "words", "Do / don't word lists"
        OFFERS = "offers", "Offer and discount policy"
        LEGAL = "legal", "Legal lines"
        EXAMPLES = "examples", "Example messages"
        OTHER = "other", "Other"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="guideline_documents")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    source_name = models.CharField(max_length=255, help_text="Original file name.")
    content = models.TextField()
    content_sha256 = models.CharField(max_length=64)
    version = models.PositiveIntegerField(default=1)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["brand", "title"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "source_name"], name="guideline_doc_unique_source"),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class GuidelineChunk(models.Model):
    # The brand is denormalised onto the chunk so retrieval filters without a join.
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="guideline_chunks")
    document = models.ForeignKey(GuidelineDocument, on_delete=models.CASCADE, related_name="chunks")
    document_version = models.PositiveIntegerField()
    position = models.PositiveIntegerField()
    heading = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS)

    class Meta:
        ordering = ["document", "position"]
        constraints = [
            models.UniqueConstraint(fields=["document", "position"], name="chunk_unique_position"),
        ]
        indexes = [
            HnswIndex(
                name="chunk_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
            models.Index(fields=["brand"], name="chunk_brand_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.document.title} §{self.position}: {self.heading}"
