"""The structured output the model must return. Everything it says is validated here first;
nothing it returns is trusted beyond these shapes (and brandguard checks the text next)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DraftVariant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The full SMS text, exactly as it would be sent, with "
                      "merge fields in braces such as {first_name}.", min_length=1, max_length=1600)
    angle: str = Field(description="The persuasive angle in a few words.", max_length=200)
    tone: str = Field(description="The tone in a few words, e.g. 'calm, warm'.", max_length=100)
    offer_level: str = Field(description="The offer used: 'none', 'free shipping' or 'N% off'.",
                             max_length=100)
    cited_passages: list[str] = Field(
        description="Ids of the guideline passages this text follows, e.g. ['G12', 'G7'].",
        max_length=12,
    )
    rationale: str = Field(description="One line: why this should work for this audience.",
                           max_length=500)


class DraftBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variants: list[DraftVariant] = Field(min_length=1, max_length=20)
