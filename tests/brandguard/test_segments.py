"""Vectors for brandguard.segments: docs/domain.md §1 and the test suite of Twilio's message
segment calculator (tests/index.test.js, segments.test.js, methods.test.js, charDetails.test.js),
whose numbers the analysis must reproduce."""

from __future__ import annotations

import dataclasses

import pytest

from brandguard.segments import (
    GSM7_BASIC,
    GSM7_EXTENDED,
    SMART_ENCODING_MAP,
    UNICODE_TO_GSM,
    NonGsmChar,
    SegmentAnalysis,
    analyze,
    is_gsm7,
    smart_encode,
)

DIGITS = "1234567890" * 40
WINK = "\U0001f61c"
GRIN = "\U0001f600"
ITALY = "\U0001f1ee\U0001f1f9"
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
TRIPLE_ACCENT = "\u00e9\u0301\u0301\u0301"

# The calculator's UnicodeToGSM.ts, as code points: one septet, and escape pairs.
CALCULATOR_BASIC = {
    0x0A, 0x0D, *range(0x20, 0x5B), 0x5F, *range(0x61, 0x7B), 0xA1, 0xA3, 0xA4, 0xA5, 0xA7,
    0xBF, 0xC4, 0xC5, 0xC6, 0xC7, 0xC9, 0xD1, 0xD6, 0xD8, 0xDC, 0xDF, 0xE0, 0xE4, 0xE5, 0xE6,
    0xE8, 0xE9, 0xEC, 0xF1, 0xF2, 0xF6, 0xF8, 0xF9, 0xFC, 0x393, 0x394, 0x398, 0x39B, 0x39E,
    0x3A0, 0x3A3, 0x3A6, 0x3A8, 0x3A9,
}  # fmt: skip
CALCULATOR_ESCAPES = {0x0C, 0x5B, 0x5C, 0x5D, 0x5E, 0x7B, 0x7C, 0x7D, 0x7E, 0x20AC}

# tests/index.test.js TestData: body, encoding, segments, messageSize, totalSize,
# numberOfCharacters, numberOfUnicodeScalars.
CALCULATOR_BASIC_VECTORS = [
    (DIGITS[:160], "GSM-7", 1, 1120, 1120, 160, 160),
    (DIGITS[:161], "GSM-7", 2, 1127, 1223, 161, 161),
    (DIGITS[:307], "GSM-7", 3, 2149, 2293, 307, 307),
    (WINK + DIGITS[1:69], "UCS-2", 1, 1120, 1120, 69, 69),
    (WINK + DIGITS[1:70], "UCS-2", 2, 1136, 1232, 70, 70),
    (WINK + DIGITS[1:134], "UCS-2", 3, 2160, 2304, 134, 134),
    (ITALY + DIGITS[1:67], "UCS-2", 1, 1120, 1120, 67, 68),
    (ITALY + DIGITS[1:68], "UCS-2", 2, 1136, 1232, 68, 69),
    (RAINBOW_FLAG + DIGITS[1:65], "UCS-2", 1, 1120, 1120, 65, 68),
    (RAINBOW_FLAG + DIGITS[1:66], "UCS-2", 2, 1136, 1232, 66, 69),
]


@pytest.mark.parametrize(
    ("body", "encoding", "segments", "message_bits", "total_bits", "characters", "scalars"),
    CALCULATOR_BASIC_VECTORS,
)
def test_it_reproduces_the_calculator_basic_vectors(
    body, encoding, segments, message_bits, total_bits, characters, scalars
):
    result = analyze(body)
    assert result.encoding == encoding
    assert result.segments == segments
    assert result.message_size == message_bits
    assert result.total_size == total_bits
    assert result.number_of_characters == characters
    assert result.number_of_unicode_scalars == scalars


@pytest.mark.parametrize("escape", sorted(GSM7_EXTENDED - {"\f"}))
def test_an_extension_character_costs_two_septets_at_the_one_segment_limit(escape):
    assert analyze(escape + DIGITS[:158]).segments == 1
    assert analyze(escape + DIGITS[:158]).message_size == 1120
    two = analyze(escape + DIGITS[:159])
    assert (two.encoding, two.segments, two.message_size, two.total_size) == (
        "GSM-7",
        2,
        1127,
        1223,
    )


@pytest.mark.parametrize("char", ["Á", "Ú", "ú", "ç", "í", "Í", "ó", "Ó"])
def test_seventy_single_unit_ucs2_characters_fit_one_segment_and_71_need_two(char):
    assert analyze(char * 70).segments == 1
    assert analyze(char * 71).segments == 2
    assert analyze(char * 70).encoding == "UCS-2"


def test_an_extension_character_costs_one_unit_in_ucs2():
    assert analyze(GRIN + "]" * 68).segments == 1
    assert analyze(GRIN + "]" * 69).segments == 2
    assert analyze(GRIN + "]" * 68).units == 70


def test_pipes_and_braces_fill_exactly_one_ucs2_segment_next_to_a_non_gsm_symbol():
    body = "|" * 24 + "{" + "|" * 28 + "∞" + "|" * 10 + "^" + "|" * 5
    result = analyze(body)
    assert (result.encoding, result.units, result.segments, result.remaining) == (
        "UCS-2",
        70,
        1,
        0,
    )


def test_a_crlf_cluster_counts_as_two_characters():
    assert analyze("\rabcde\r\n123").number_of_characters == 11
    assert analyze("\nabcde\n\n123\n").number_of_characters == 12
    assert analyze("\r\n").characters == 2
    assert analyze("a\r\nb").graphemes == ("a", "\r", "\n", "b")


def test_stacked_accents_are_one_character_of_four_units():
    result = analyze(TRIPLE_ACCENT)
    assert (result.number_of_characters, result.number_of_unicode_scalars) == (1, 4)
    assert analyze(TRIPLE_ACCENT + "a" * 66).segments == 1
    assert analyze(TRIPLE_ACCENT + "a" * 67).segments == 2


def test_the_last_of_307_septets_sits_alone_in_the_third_segment():
    result = analyze(DIGITS[:307])
    assert result.boundaries == ((0, 153), (153, 306), (306, 307))
    assert result.sent_text[306:] == "7"


def test_the_last_of_135_units_sits_alone_in_the_third_ucs2_segment():
    body = WINK + DIGITS[1:134]
    result = analyze(body)
    assert result.boundaries == ((0, 66), (66, 133), (133, 134))
    assert body[133:] == "4"
    assert result.remaining == 66


def test_161_septets_split_after_the_153rd():
    result = analyze("A" * 161)
    assert result.boundaries == ((0, 153), (153, 161))
    assert (result.units_per_segment, result.remaining) == (153, 145)


def test_it_names_the_non_gsm_characters_like_the_calculator():
    assert analyze("más").non_gsm_characters == ("á",)
    assert analyze("más").non_gsm == (NonGsmChar(1, "á", None),)


def test_an_extension_character_before_the_split_moves_whole_to_the_next_segment():
    result = analyze("a" * 152 + "€" + "a" * 152)
    assert result.segments == 3
    assert result.boundaries[0] == (0, 152)
    assert result.sent_text[slice(*result.boundaries[1])].startswith("€")


def test_runs_of_escape_pairs_never_split_so_153_brackets_need_three_segments():
    result = analyze("]" * 153)
    assert (result.units, result.segments) == (306, 3)
    assert result.boundaries == ((0, 76), (76, 152), (152, 153))


def test_the_empty_message_is_one_gsm_segment():
    result = analyze("")
    assert (result.encoding, result.segments, result.units, result.boundaries) == (
        "GSM-7",
        1,
        0,
        ((0, 0),),
    )
    assert (result.remaining, result.characters, result.non_gsm) == (160, 0, ())


@pytest.mark.parametrize("body", ["A" * 160, "é" * 160, "Ç" * 160, "€" * 80])
def test_160_septets_are_one_segment(body):
    assert analyze(body).segments == 1


@pytest.mark.parametrize("body", ["A" * 161, "€" * 80 + "a"])
def test_161_septets_are_two_segments(body):
    assert analyze(body).segments == 2


def test_an_emoji_costs_two_units():
    assert analyze(GRIN).units == 2
    assert analyze(GRIN * 35).segments == 1
    assert analyze(GRIN * 35 + "a").segments == 2


def test_a_zwj_family_is_one_character_and_never_split():
    result = analyze("a" * 60 + FAMILY * 3)
    assert result.characters == 63
    assert result.segments == 2
    cut = result.boundaries[0][1]
    assert cut == 60
    assert result.sent_text[cut:].startswith(FAMILY)


def test_a_flag_is_one_cluster_of_four_units():
    result = analyze(ITALY)
    assert (result.units, result.characters) == (4, 1)
    assert result.non_gsm == (NonGsmChar(0, ITALY, None),)


def test_capital_c_cedilla_is_gsm_but_small_c_cedilla_is_not():
    assert analyze("Çelik").encoding == "GSM-7"
    assert analyze("çelik").encoding == "UCS-2"
    assert analyze("Zoë").non_gsm == (NonGsmChar(2, "ë", None),)


@pytest.mark.parametrize(
    "char", ["á", "í", "ó", "ú", "â", "ê", "`", "\t", "\u00a0", "“", "”", "‘", "’", "–", "—", "…"]
)
def test_lookalikes_are_not_gsm(char):
    assert not is_gsm7(char)
    assert analyze("Hi " + char).encoding == "UCS-2"


def test_the_gsm_tables_match_the_calculator():
    assert {ord(char) for char in GSM7_BASIC} == CALCULATOR_BASIC
    assert {ord(char) for char in GSM7_EXTENDED} == CALCULATOR_ESCAPES
    assert UNICODE_TO_GSM["@"] == (0x00,)
    assert UNICODE_TO_GSM["€"] == (0x1B, 0x65)
    assert UNICODE_TO_GSM["Ç"] == (0x09,)


def test_extension_characters_cost_two_septets_each():
    assert analyze("{first_name}").units == 14
    assert analyze("\f^{}\\[~]|€").units == 20


@pytest.mark.parametrize(("char", "value"), list(SMART_ENCODING_MAP.items()))
def test_smart_encoding_replaces_each_mapped_character(char, value):
    assert analyze(char, smart_encoding=True).sent_text == value
    assert "".join(analyze(char, smart_encoding=True).graphemes) == value
    assert analyze(char).sent_text == char


def test_smart_encoding_replaces_all_mapped_characters_at_once():
    body = "".join(SMART_ENCODING_MAP)
    assert analyze(body, smart_encoding=True).sent_text == "".join(SMART_ENCODING_MAP.values())


def test_every_smart_encoding_value_is_gsm():
    assert all(is_gsm7(value) for value in SMART_ENCODING_MAP.values())


def test_smart_encoding_straightens_quotes_dashes_and_ellipsis():
    body = "Summit Outfitters: “Last call” – it’s 20% off… Reply STOP to opt out"
    raw = analyze(body)
    smart = analyze(body, smart_encoding=True)
    assert raw.encoding == "UCS-2"
    assert smart.encoding == "GSM-7"
    assert smart.sent_text == (
        'Summit Outfitters: "Last call" - it\'s 20% off... Reply STOP to opt out'
    )
    assert smart.units == len(smart.sent_text)
    assert smart.non_gsm == raw.non_gsm
    assert [found.replacement for found in raw.non_gsm] == ['"', '"', "-", "'", "..."]


def test_smart_encoding_keeps_emoji_and_the_message_ucs2():
    result = analyze("“Go” 🎉", smart_encoding=True)
    assert result.sent_text == '"Go" 🎉'
    assert result.encoding == "UCS-2"
    assert result.non_gsm[-1] == NonGsmChar(5, "🎉", None)
    assert result.non_gsm_characters == ("🎉",)


def test_smart_encoding_follows_the_calculator_quirks():
    assert smart_encode("a\u00a0b") == "a  b"
    assert smart_encode("\t") == " " * 7
    assert smart_encode("‹›") == "<>"
    assert smart_encode("a\u200bb\u200cc\ufeffd") == "abcd"
    assert smart_encode("\u200d") == "\u200d"


def test_non_gsm_lists_every_forcing_character_with_its_index():
    body = "Hi Zoë — 🎉 ready?"
    assert analyze(body).non_gsm == (
        NonGsmChar(5, "ë", None),
        NonGsmChar(7, "—", "-"),
        NonGsmChar(9, "🎉", None),
    )


def test_non_gsm_reports_a_combined_cluster_once_at_its_start():
    body = "Cafe\u0301 " + "\U0001f44d\U0001f3fd"
    found = analyze(body).non_gsm
    assert found == (NonGsmChar(3, "e\u0301", None), NonGsmChar(6, "\U0001f44d\U0001f3fd", None))


def test_a_combining_lookalike_is_replaced_inside_its_cluster():
    assert analyze("n\u0303").non_gsm == (NonGsmChar(0, "n\u0303", "n~"),)


def test_units_count_utf16_code_units_not_code_points():
    body = "Trail time " + FAMILY
    result = analyze(body)
    assert result.units == len(body.encode("utf-16-le")) // 2
    assert result.units != len(body)


def test_remaining_and_units_per_segment_follow_the_segment_count():
    gsm = analyze("a" * 10)
    assert (gsm.units_per_segment, gsm.remaining) == (160, 150)
    ucs = analyze("ç" * 68)
    assert (ucs.units_per_segment, ucs.remaining) == (70, 2)
    two = analyze("ç" * 71)
    assert (two.units_per_segment, two.remaining) == (67, 63)


def test_calculator_names_alias_the_pythonic_fields():
    result = analyze("Hello 🎉")
    assert result.segments_count == result.segments == 1
    assert result.encoding_name == result.encoding == "UCS-2"


def test_the_analysis_is_a_frozen_dataclass():
    result = analyze("hello")
    assert isinstance(result, SegmentAnalysis)
    assert dataclasses.is_dataclass(result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.segments = 9  # type: ignore[misc]


def test_merge_field_values_can_switch_the_encoding():
    template = "Hi {first_name}, your Summit Outfitters order shipped."
    assert analyze(template.replace("{first_name}", "Çelik")).encoding == "GSM-7"
    assert analyze(template.replace("{first_name}", "Zoë")).encoding == "UCS-2"


def test_a_single_absurd_cluster_leaves_the_first_segment_empty_like_the_calculator():
    zalgo = "a" + "\u0301" * 80  # 81 units: no segment can hold it
    result = analyze(zalgo)
    assert result.segments == 2
    assert result.boundaries == ((0, 0), (0, 81))
