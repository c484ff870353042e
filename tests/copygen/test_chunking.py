"""copygen.chunking is pure: these tests need no database and no model."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from copygen.chunking import (
    MAX_CHARS,
    OVERLAP_CHARS,
    DocumentError,
    chunk_document,
    extract_text,
    split_section_text,
)

SENTENCE = "Our gear is trail-tested by staff who hike every weekend, so we describe it plainly. "


def _sentences(count: int, start: int = 0) -> str:
    """Distinct sentences, so an overlap can be located unambiguously."""
    return "".join(
        f"Rule {i}: our gear is trail-tested by staff, so we describe it plainly. "
        for i in range(start, start + count)
    )


def test_it_keeps_the_heading_path_of_nested_markdown_headings():
    text = (
        "# Voice and tone\nWe sound calm.\n\n"
        "## Words we avoid\n- cheap\n- act now\n\n"
        "### In subject lines\nNever shout.\n\n"
        "## Emoji\nAt most one.\n\n"
        "# Offers\nFree shipping over $75.\n"
    )
    chunks = chunk_document(text)
    assert [(c.heading, c.text) for c in chunks] == [
        ("Voice and tone", "We sound calm."),
        ("Voice and tone › Words we avoid", "- cheap\n- act now"),
        ("Voice and tone › Words we avoid › In subject lines", "Never shout."),
        ("Voice and tone › Emoji", "At most one."),
        ("Offers", "Free shipping over $75."),
    ]
    assert [c.position for c in chunks] == [0, 1, 2, 3, 4]


def test_text_before_the_first_heading_gets_an_empty_heading():
    chunks = chunk_document("Read this first.\n\n# Rules\nBe kind.")
    assert [(c.heading, c.text) for c in chunks] == [("", "Read this first."), ("Rules", "Be kind.")]


def test_headings_without_a_body_only_contribute_to_the_path():
    chunks = chunk_document("# Guide\n## Offers\n### Shipping\nFree over $75.")
    assert [(c.heading, c.text) for c in chunks] == [("Guide › Offers › Shipping", "Free over $75.")]


def test_a_hash_inside_a_code_fence_is_not_a_heading():
    chunks = chunk_document("# Links\n```\n# not a heading\n```\nUse {link}.")
    assert len(chunks) == 1
    assert chunks[0].heading == "Links"
    assert "# not a heading" in chunks[0].text


def test_plain_text_colon_lines_are_headings_but_colons_inside_sentences_are_not():
    text = (
        "Voice and tone:\nWe sound calm and knowledgeable.\n\n"
        "Words we avoid:\ncheap, act now, guaranteed\n\n"
        "Note: this line is part of the list section.\n"
    )
    chunks = chunk_document(text)
    assert [c.heading for c in chunks] == ["Voice and tone", "Words we avoid"]
    assert chunks[1].text.endswith("Note: this line is part of the list section.")


def test_colon_lines_in_a_markdown_document_stay_body_text():
    chunks = chunk_document("# Offers\nAllowed:\n- free shipping over $75\n")
    assert [(c.heading, c.text) for c in chunks] == [
        ("Offers", "Allowed:\n- free shipping over $75"),
    ]


def test_a_long_section_is_split_into_bounded_chunks_with_overlap():
    body = "\n\n".join(_sentences(3, start=3 * p) for p in range(8))  # 8 paragraphs, ~1,800
    chunks = chunk_document("# Long\n" + body)
    assert len(chunks) >= 3
    assert all(c.heading == "Long" for c in chunks)
    assert all(len(c.text) <= MAX_CHARS for c in chunks)
    assert all(300 <= len(c.text) for c in chunks[:-1]), "chunks should be a few hundred chars"
    for before, after in zip(chunks, chunks[1:], strict=False):
        shared = _shared_overlap(before.text, after.text)
        assert 20 <= shared <= OVERLAP_CHARS, (before.text[-100:], after.text[:100])


def test_splits_fall_on_sentence_boundaries_when_paragraphs_are_too_long():
    body = _sentences(25)  # one paragraph of ~1,800 characters
    pieces = split_section_text(body)
    assert len(pieces) >= 3
    for piece in pieces:
        assert len(piece) <= MAX_CHARS
        assert piece.endswith("plainly."), piece[-40:]


def test_a_single_giant_word_is_still_cut_to_the_limit():
    pieces = split_section_text("x" * 3000)
    assert all(len(p) <= MAX_CHARS for p in pieces)
    assert "".join(p.replace(" ", "") for p in pieces).count("x") >= 3000


def test_every_character_of_the_section_survives_splitting():
    body = "\n".join(f"- rule {i}: {SENTENCE}" for i in range(30))
    pieces = split_section_text(body)
    joined = " ".join(pieces)
    for i in range(30):
        assert f"- rule {i}:" in joined


def test_empty_text_gives_no_chunks():
    assert chunk_document("") == []
    assert chunk_document("# Only a heading\n\n") == []


def test_extract_text_reads_utf8_markdown_and_drops_the_bom_and_crlf():
    data = "\ufeff# Voice\r\nCalm, not hype.\r\n".encode()
    assert extract_text("voice.MD", data) == "# Voice\nCalm, not hype.\n"


def test_extract_text_refuses_non_utf8_text_with_a_clear_message():
    with pytest.raises(DocumentError, match="not UTF-8"):
        extract_text("words.txt", "café".encode("latin-1"))


def test_extract_text_refuses_unknown_file_types():
    with pytest.raises(DocumentError, match="unsupported file type"):
        extract_text("guidelines.docx", b"PK\x03\x04")


def test_extract_text_refuses_a_file_with_no_text():
    with pytest.raises(DocumentError, match="no text"):
        extract_text("empty.md", b"  \n\n")


def test_extract_text_reads_a_pdf():
    data = _pdf("Offer policy. Free shipping over 75 dollars.")
    text = extract_text("offers.pdf", data)
    assert "Free shipping over 75 dollars." in text


def test_extract_text_refuses_a_broken_pdf():
    with pytest.raises(DocumentError, match="PDF"):
        extract_text("offers.pdf", b"%PDF-1.7\nthis is not really a pdf")


def _shared_overlap(before: str, after: str) -> int:
    """Length of the longest prefix of ``after`` that ``before`` ends with."""
    for size in range(min(len(before), len(after)), 0, -1):
        if before.endswith(after[:size]):
            return size
    return 0


def _pdf(line: str) -> bytes:
    """A one-page PDF with one line of Helvetica text, built with pypdf itself."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    })
    page[NameObject("/Resources")] = DictionaryObject({
        NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)}),
    })
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
