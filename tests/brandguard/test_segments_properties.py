"""Property tests for brandguard.segments, against a literal, bit-level port of Twilio's
calculator (SegmentedMessage._buildSegments, Segment.addHeader, EncodedChar.sizeInBits) that
shares no code or table with the module under test."""

from __future__ import annotations

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from brandguard.segments import SMART_ENCODING_MAP, analyze, split_graphemes

BASIC = "\n\r !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
BASIC += "abcdefghijklmnopqrstuvwxyz"
BASIC += "¡£¤¥§¿ÄÅÆÇÉÑÖØÜßàäåæèéìñòöøùüΓΔΘΛΞΠΣΦΨΩ"
ESCAPES = "\f^{}\\[~]|€"
ODD = [
    "ç", "á", "ê", "`", "\t", "\u00a0", "“", "”", "’", "–", "—", "…", "•", "中", "\u200b",
    "\U0001f600", "\U0001f389", "\u2764", "\ufe0f", "\u200d", "\u0301", "\u0303",
    "\U0001f3fd", "\U0001f1fa", "\U0001f1f8", "\U0001f468", "\U0001f469", "\u1100", "\u1161",
    "\u11a8", "\uac00", "\u0915", "\u094d", "\u0937", "\u0600", "\uff21",
]  # fmt: skip
ALPHABET = list(BASIC) + list(ESCAPES) + ODD


@st.composite
def texts(draw) -> str:
    """Mixed characters around one long run, so segment edges get exercised at every size."""
    parts = draw(st.lists(st.sampled_from([*ALPHABET, "\r\n"]), max_size=60))
    filler = draw(st.sampled_from(["a", "]", "ç", "\U0001f600", " ", "a\u0301"]))
    parts.insert(draw(st.integers(0, len(parts))), filler * draw(st.integers(0, 340)))
    return "".join(parts)


short_texts = st.text(alphabet=st.sampled_from(ALPHABET), max_size=80)

GSM_SEPTETS = {char: 1 for char in BASIC} | {char: 2 for char in ESCAPES}
UDH, UDH_BITS, MAX_BITS = object(), 8, 1120  # UserDataHeader.sizeInBits() is 8, six of them


def _js_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _bits(char: str, ucs2: bool) -> int:
    if ucs2:
        return 16 * _js_length(char)
    return 7 * GSM_SEPTETS[char]


def _size(segment: list) -> int:
    return sum(UDH_BITS if item is UDH else item[1] for item in segment)


def calculator(text: str, smart: bool = False) -> tuple[str, list[str]]:
    """Encoding and per-segment text, computed the way SegmentedMessage.ts does it."""
    if smart:
        text = "".join(SMART_ENCODING_MAP.get(char, char) for char in text)
    chars: list[str] = []
    for cluster in regex.findall(r"\X", text):
        chars.extend(cluster if cluster == "\r\n" else [cluster])
    ucs2 = any(_js_length(char) >= 2 or char not in GSM_SEPTETS for char in chars)
    segments: list[list] = [[]]
    with_header = [False]
    for char in chars:
        item = (char, _bits(char, ucs2))
        if MAX_BITS - _size(segments[-1]) < item[1]:
            segments.append([UDH] * 6)
            with_header.append(True)
            if not with_header[-2]:
                segments[-2][:0] = [UDH] * 6
                moved = []
                while MAX_BITS - _size(segments[-2]) < 0:
                    moved.insert(0, segments[-2].pop())
                segments[-1].extend(moved)
                with_header[-2] = True
        segments[-1].append(item)
    pieces = ["".join(item[0] for item in segment if item is not UDH) for segment in segments]
    return ("UCS-2" if ucs2 else "GSM-7"), pieces


def _cluster_edges(text: str) -> set[int]:
    edges, at = {0}, 0
    for cluster in split_graphemes(text):
        at += len(cluster)
        edges.add(at)
    return edges


@settings(max_examples=400, deadline=None)
@given(texts(), st.booleans())
def test_analyze_agrees_with_the_calculator(text, smart):
    result = analyze(text, smart_encoding=smart)
    encoding, pieces = calculator(text, smart)
    assert result.encoding == encoding
    assert result.segments == len(pieces)
    assert [result.sent_text[start:end] for start, end in result.boundaries] == pieces


@settings(max_examples=300, deadline=None)
@given(texts(), st.booleans())
def test_boundaries_never_split_a_grapheme(text, smart):
    result = analyze(text, smart_encoding=smart)
    edges = _cluster_edges(result.sent_text)
    assert all(start in edges and end in edges for start, end in result.boundaries)


@settings(max_examples=300, deadline=None)
@given(texts(), st.booleans())
def test_boundaries_cover_the_sent_text_contiguously(text, smart):
    result = analyze(text, smart_encoding=smart)
    starts = [start for start, _ in result.boundaries]
    ends = [end for _, end in result.boundaries]
    assert starts[0] == 0
    assert ends[-1] == len(result.sent_text)
    assert starts[1:] == ends[:-1]
    assert all(start <= end for start, end in result.boundaries)


@settings(max_examples=300, deadline=None)
@given(texts(), st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=20))
def test_segments_never_decrease_as_characters_are_appended(text, tail):
    previous = analyze(text).segments
    for char in tail:
        text += char
        current = analyze(text).segments
        assert current >= previous
        previous = current


@settings(max_examples=300, deadline=None)
@given(texts())
def test_units_match_the_encoding(text):
    result = analyze(text)
    if result.encoding == "UCS-2":
        assert result.units == _js_length(text)
    else:
        assert result.units == sum(GSM_SEPTETS[char] for char in text)


@settings(max_examples=300, deadline=None)
@given(short_texts, st.booleans())
def test_non_gsm_points_at_the_clusters_that_force_ucs2(text, smart):
    result = analyze(text, smart_encoding=smart)
    starts = _cluster_edges(text)
    for found in result.non_gsm:
        assert found.index in starts
        assert text[found.index : found.index + len(found.char)] == found.char
    assert (analyze(text).encoding == "UCS-2") == bool(result.non_gsm)


@settings(max_examples=200, deadline=None)
@given(texts())
def test_smart_encoding_never_adds_segments_to_a_gsm_message(text):
    if analyze(text).encoding == "GSM-7":
        assert analyze(text, smart_encoding=True) == analyze(text)
