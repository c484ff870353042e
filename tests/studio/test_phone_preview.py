"""The phone preview's pure rules: sample values, short links of the real length, segment
breaks where the carrier cuts the text."""

from __future__ import annotations

from brandguard.segments import analyze
from studio.phone_preview import PreviewSettings, phone_preview

SETTINGS = PreviewSettings(samples={"first_name": "Zoë", "link": "https://acme.co/cart"},
                           website_domain="acme.co", short_link_prefix="https://go.acme.co/l/",
                           code_length=10)


def _text(preview) -> str:
    return "".join(p.text for s in preview.segments for p in s.pieces)


def test_it_fills_samples_and_shows_links_as_short_links_of_the_real_length():
    preview = phone_preview("Acme: hi {first_name}, see {link} now", SETTINGS)
    assert _text(preview) == "Acme: hi Zoë, see https://go.acme.co/l/xxxxxxxxxx now"
    kinds = {p.text: p.kind for s in preview.segments for p in s.pieces}
    assert kinds["Zoë"] == "merge" and kinds["https://go.acme.co/l/xxxxxxxxxx"] == "link"
    assert preview.encoding == "UCS-2"  # the sample's ë turns the whole text UCS-2
    assert preview.merged and preview.count == 1


def test_a_field_without_a_sample_takes_a_default_or_shows_its_name():
    preview = phone_preview("{product_name} {order_ref} {shop_url}", SETTINGS)
    assert _text(preview) == "Ridge 40L pack [order ref] https://go.acme.co/l/xxxxxxxxxx"
    assert [p.kind for p in preview.segments[0].pieces if p.kind] == ["merge", "missing", "link"]


def test_segments_are_cut_where_the_calculator_cuts_them():
    text = "Acme: " + "word " * 40 + "{first_name}"
    preview = phone_preview(text, PreviewSettings(samples={"first_name": "Jordan"}))
    filled = text.replace("{first_name}", "Jordan")
    analysis = analyze(filled)
    assert preview.count == analysis.segments == 2  # 212 septets: 153 + 59
    cuts = ["".join(p.text for p in s.pieces) for s in preview.segments]
    assert cuts == [filled[a:b] for a, b in analysis.boundaries]


def test_smart_encoding_shows_the_characters_the_phone_receives():
    preview = phone_preview("It’s here", PreviewSettings(smart_encoding=True))
    assert _text(preview) == "It's here" and preview.encoding == "GSM-7"
    assert not preview.merged
