"""Guidelines as retrievable chunks, and the variants generated from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from pgvector.django import HnswIndex, VectorField

from brandguard.models import Brand
from copygen.taxonomy import Intent, OfferKind, Stage

EMBEDDING_DIMENSIONS = 384  # all-MiniLM-L6-v2; an OpenAI-compatible endpoint must match it
LOCAL_EMBEDDING_SPACE = "local/all-MiniLM-L6-v2"  # copygen.embeddings.LOCAL_SPACE


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
    # The brand is denormalised onto the chunk so retrieval filters without a join (its index
    # is chunk_brand_space_idx, which starts with it).
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="guideline_chunks",
                              db_index=False)
    document = models.ForeignKey(GuidelineDocument, on_delete=models.CASCADE, related_name="chunks")
    document_version = models.PositiveIntegerField()
    position = models.PositiveIntegerField()
    heading = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS)
    # Which model made the vector (copygen.embeddings.space()). Retrieval compares only
    # vectors of the configured space; after a model change the documents are re-embedded.
    embedding_space = models.CharField(max_length=200, default=LOCAL_EMBEDDING_SPACE)

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
            models.Index(fields=["brand", "embedding_space"], name="chunk_brand_space_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.document.title} §{self.position}: {self.heading}"


class GenerationRequest(models.Model):
    """One ask for N variants; progress is persisted so a page can poll it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RETRIEVING = "retrieving", "Retrieving guidelines"
        GENERATING = "generating", "Generating"
        CHECKING = "checking", "Checking"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="generation_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    intent = models.CharField(max_length=40, choices=Intent.choices)
    stage = models.CharField(max_length=40, choices=Stage.choices)
    audience_notes = models.CharField(max_length=500, blank=True)
    offer_kind = models.CharField(max_length=20, choices=OfferKind.choices, default=OfferKind.NONE)
    offer_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    n = models.PositiveSmallIntegerField(default=5)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=1000, blank=True)
    provider = models.CharField(max_length=40, blank=True)
    model_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(n__gte=1, n__lte=20), name="genreq_n_range"),
            models.CheckConstraint(
                condition=~models.Q(offer_kind="percent_off")
                | models.Q(offer_percent__gte=1, offer_percent__lte=90),
                name="genreq_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.intent}/{self.stage} ×{self.n} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class VariantQuerySet(models.QuerySet):
    def current(self):
        return self.filter(is_current=True)

    def approved(self):
        return self.filter(status=Variant.Status.APPROVED, is_current=True)

    def for_pool(self, brand, intent: str, stage: str):
        return self.approved().filter(brand=brand, intent=intent, stage=stage)


class Variant(models.Model):
    """One version of one SMS text. An edit writes a new row (``parent`` → the old one);
    approved text is never modified in place."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        FAILED_CHECKS = "failed_checks", "Failed checks"
        IN_REVIEW = "in_review", "In review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        RETIRED = "retired", "Retired"

    class Provider(models.TextChoices):
        COMPOSER = "composer", "Offline composer"
        LLM = "llm", "Language model"
        HUMAN = "human", "Written by hand"

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="variants")
    intent = models.CharField(max_length=40, choices=Intent.choices)
    stage = models.CharField(max_length=40, choices=Stage.choices)
    text = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="authored_variants",
    )
    # Version chain: root is the first version (itself for a root row), parent the previous.
    root = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="versions")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="children")
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    # Provenance
    provider = models.CharField(max_length=20, choices=Provider.choices)
    model_name = models.CharField(max_length=200, blank=True)
    prompt_version = models.CharField(max_length=40, blank=True)
    temperature = models.FloatField(null=True, blank=True)
    angle = models.CharField(max_length=200, blank=True)
    tone_label = models.CharField(max_length=100, blank=True)
    offer_level = models.CharField(max_length=100, blank=True)
    rationale = models.CharField(max_length=500, blank=True)
    example_reused = models.BooleanField(
        default=False, help_text="The offline composer repeated one of the brand's example "
        "messages word for word.")
    retrieved = models.JSONField(default=list, help_text="[{chunk_id, score}] as retrieved")
    cited_chunk_ids = models.JSONField(default=list)
    guard_report = models.JSONField(default=dict)
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    repair_attempts = models.PositiveSmallIntegerField(default=0)
    generation_request = models.ForeignKey(
        GenerationRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="variants"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VariantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="approved") | models.Q(approved_by__isnull=False),
                name="variant_approved_has_approver",
            ),
            models.UniqueConstraint(
                fields=["root", "version"], name="variant_unique_version_in_chain"
            ),
        ]
        indexes = [
            models.Index(fields=["brand", "intent", "stage", "status"], name="variant_pool_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} v{self.version} {self.intent}/{self.stage} [{self.status}]"

    @property
    def chain_root_id(self) -> int | None:
        return self.root_id or self.pk

    @property
    def blocking_findings(self) -> list[dict]:
        return [f for f in self.guard_report.get("findings", []) if f.get("severity") == "block"]


class VariantEvent(models.Model):
    """Append-only audit of every state change of a variant: who, when, which version,
    against which policy version, and why."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="events")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    version = models.PositiveIntegerField()
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} #{self.variant_id} by {self.actor_id}"
