"""SMS encoding and segment calculator (pure: no Django, no I/O).

Agrees with Twilio's open-source message segment calculator (TwilioDevEd/message-segment-
calculator: SegmentedMessage, Segment, EncodedChar, UnicodeToGSM, SmartEncodingMap), so the
count an approver sees is the count Twilio bills. Clusters come from ``regex`` ``\\X`` (a CRLF
cluster counts as CR + LF); one cluster that is not a single GSM 03.38 character makes the whole
message UCS-2; GSM-7 counts septets (escape-table characters cost 2), UCS-2 UTF-16 code units;
a lone segment holds 160 septets / 70 units, a concatenated one 153 / 67 (6-octet UDH each); no
cluster is ever split; the empty message is one segment. Pure-GSM texts never run ``\\X``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate, pairwise
from typing import NamedTuple

import regex

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"
GSM_SINGLE, GSM_MULTI = 160, 153  # septets per segment, alone / concatenated
UCS_SINGLE, UCS_MULTI = 70, 67  # UTF-16 code units per segment, alone / concatenated
UDH_BITS = 48  # 6-octet user data header in every segment of a concatenated message

# GSM 03.38 default alphabet in septet order; 0x1B is the escape to the extension table and is
# not a character of its own (the calculator's UnicodeToGsm table has no U+001B either).
_GSM7_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_ESCAPES = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C,
                 "~": 0x3D, "]": 0x3E, "|": 0x40, "€": 0x65}  # fmt: skip

GSM7_BASIC: frozenset[str] = frozenset(_GSM7_ALPHABET) - {"\x1b"}
GSM7_EXTENDED: frozenset[str] = frozenset(_GSM7_ESCAPES)
UNICODE_TO_GSM: dict[str, tuple[int, ...]] = {
    **{char: (septet,) for septet, char in enumerate(_GSM7_ALPHABET) if char != "\x1b"},
    **{char: (0x1B, septet) for char, septet in _GSM7_ESCAPES.items()},
}

# Twilio Smart Encoding, entry for entry and in order, from the calculator's
# src/libs/SmartEncodingMap.ts after v1.3.0 (PR #58 un-swapped U+2039/U+203A; U+200C added).
# Its quirks stay: wide spaces become TWO spaces and TAB seven, as the calculator counts them.
SMART_ENCODING_MAP: dict[str, str] = {
    "\u00ab": '"', "\u00bb": '"', "\u201c": '"', "\u201d": '"', "\u02ba": '"', "\u02ee": '"',
    "\u201f": '"', "\u201e": '"', "\u275d": '"', "\u275e": '"', "\u301d": '"', "\u301e": '"',
    "\uff02": '"', "\u2018": "'", "\u2019": "'", "\u02bb": "'", "\u02c8": "'", "\u02bc": "'",
    "\u02bd": "'", "\u02b9": "'", "\u201b": "'", "\uff07": "'", "\u00b4": "'", "\u02ca": "'",
    "\u0060": "'", "\u02cb": "'", "\u275b": "'", "\u275c": "'", "\u0313": "'", "\u0314": "'",
    "\ufe10": "'", "\ufe11": "'", "\u00f7": "/", "\u00bc": "1/4", "\u00bd": "1/2",
    "\u00be": "3/4", "\u29f8": "/", "\u0337": "/", "\u0338": "/", "\u2044": "/", "\u2215": "/",
    "\uff0f": "/", "\u29f9": "\\", "\u29f5": "\\", "\u20e5": "\\", "\ufe68": "\\",
    "\uff3c": "\\", "\u0332": "_", "\uff3f": "_", "\u20d2": "|", "\u20d3": "|", "\u2223": "|",
    "\uff5c": "|", "\u23b8": "|", "\u23b9": "|", "\u23d0": "|", "\u239c": "|", "\u239f": "|",
    "\u23bc": "-", "\u23bd": "-", "\u2015": "-", "\ufe63": "-", "\uff0d": "-", "\u2010": "-",
    "\u2043": "-", "\ufe6b": "@", "\uff20": "@", "\ufe69": "$", "\uff04": "$", "\u01c3": "!",
    "\ufe15": "!", "\ufe57": "!", "\uff01": "!", "\ufe5f": "#", "\uff03": "#", "\ufe6a": "%",
    "\uff05": "%", "\ufe60": "&", "\uff06": "&", "\u201a": ",", "\u0326": ",", "\ufe50": ",",
    "\ufe51": ",", "\uff0c": ",", "\uff64": ",", "\u2768": "(", "\u276a": "(", "\ufe59": "(",
    "\uff08": "(", "\u27ee": "(", "\u2985": "(", "\u2769": ")", "\u276b": ")", "\ufe5a": ")",
    "\uff09": ")", "\u27ef": ")", "\u2986": ")", "\u204e": "*", "\u2217": "*", "\u229b": "*",
    "\u2722": "*", "\u2723": "*", "\u2724": "*", "\u2725": "*", "\u2731": "*", "\u2732": "*",
    "\u2733": "*", "\u273a": "*", "\u273b": "*", "\u273c": "*", "\u273d": "*", "\u2743": "*",
    "\u2749": "*", "\u274a": "*", "\u274b": "*", "\u29c6": "*", "\ufe61": "*", "\uff0a": "*",
    "\u02d6": "+", "\ufe62": "+", "\uff0b": "+", "\u3002": ".", "\ufe52": ".", "\uff0e": ".",
    "\uff61": ".", "\uff10": "0", "\uff11": "1", "\uff12": "2", "\uff13": "3", "\uff14": "4",
    "\uff15": "5", "\uff16": "6", "\uff17": "7", "\uff18": "8", "\uff19": "9", "\u02d0": ":",
    "\u02f8": ":", "\u2982": ":", "\ua789": ":", "\ufe13": ":", "\uff1a": ":", "\u204f": ";",
    "\ufe14": ";", "\ufe54": ";", "\uff1b": ";", "\ufe64": "<", "\uff1c": "<", "\u0347": "=",
    "\ua78a": "=", "\ufe66": "=", "\uff1d": "=", "\ufe65": ">", "\uff1e": ">", "\ufe16": "?",
    "\ufe56": "?", "\uff1f": "?", "\uff21": "A", "\u1d00": "A", "\uff22": "B", "\u0299": "B",
    "\uff23": "C", "\u1d04": "C", "\uff24": "D", "\u1d05": "D", "\uff25": "E", "\u1d07": "E",
    "\uff26": "F", "\ua730": "F", "\uff27": "G", "\u0262": "G", "\uff28": "H", "\u029c": "H",
    "\uff29": "I", "\u026a": "I", "\uff2a": "J", "\u1d0a": "J", "\uff2b": "K", "\u1d0b": "K",
    "\uff2c": "L", "\u029f": "L", "\uff2d": "M", "\u1d0d": "M", "\uff2e": "N", "\u0274": "N",
    "\uff2f": "O", "\u1d0f": "O", "\uff30": "P", "\u1d18": "P", "\uff31": "Q", "\uff32": "R",
    "\u0280": "R", "\uff33": "S", "\ua731": "S", "\uff34": "T", "\u1d1b": "T", "\uff35": "U",
    "\u1d1c": "U", "\uff36": "V", "\u1d20": "V", "\uff37": "W", "\u1d21": "W", "\uff38": "X",
    "\uff39": "Y", "\u028f": "Y", "\uff3a": "Z", "\u1d22": "Z", "\u02c6": "^", "\u0302": "^",
    "\uff3e": "^", "\u1dcd": "^", "\u2774": "{", "\ufe5b": "{", "\uff5b": "{", "\u2775": "}",
    "\ufe5c": "}", "\uff5d": "}", "\uff3b": "[", "\uff3d": "]", "\u02dc": "~", "\u02f7": "~",
    "\u0303": "~", "\u0330": "~", "\u0334": "~", "\u223c": "~", "\uff5e": "~", "\u00a0": "  ",
    "\u2000": "  ", "\u2002": "  ", "\u2003": "  ", "\u2004": "  ", "\u2005": "  ",
    "\u2006": "  ", "\u2007": "  ", "\u2008": "  ", "\u2009": "  ", "\u200a": "  ",
    "\u202f": "  ", "\u205f": "  ", "\u3000": "  ", "\u008d": "  ", "\u009f": "  ",
    "\u0080": "  ", "\u0090": "  ", "\u009b": "  ", "\u0010": "", "\u0009": "       ",
    "\u0000": "", "\u0003": "", "\u0004": "", "\u0017": "", "\u0019": "", "\u0011": "",
    "\u0012": "", "\u0013": "", "\u0014": "", "\u2060": "", "\u2017": "_", "\u2014": "-",
    "\u2013": "-", "\u2039": "<", "\u203a": ">", "\u203c": "!!", "\u2028": " ", "\u2029": " ",
    "\u2026": "...", "\u2001": " ", "\u200b": "", "\u200c": "", "\u3001": ",", "\ufeff": "",
    "\u2022": "-",
}  # fmt: skip
_SMART_TABLE = {ord(char): value for char, value in SMART_ENCODING_MAP.items()}

_GSM_CLASS = re.escape("".join(sorted(GSM7_BASIC | GSM7_EXTENDED)))
_NON_GSM_RE = re.compile(f"[^{_GSM_CLASS}]")
EXTENDED_RE = re.compile(f"[{re.escape(''.join(sorted(GSM7_EXTENDED)))}]")
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")
# Characters that can glue code points into one cluster. A text with none of them splits into
# clusters exactly at code points (checked against \X for every code point and its neighbours).
_JOINER_RE = regex.compile(
    r"[\p{GCB=Extend}\p{GCB=ZWJ}\p{GCB=SpacingMark}\p{GCB=Prepend}\p{GCB=Regional_Indicator}"
    r"\p{GCB=L}\p{GCB=V}\p{GCB=T}\p{GCB=LV}\p{GCB=LVT}]"
)
# Runs of GSM characters not followed by an extender are runs of one-character clusters; \X only
# runs on the rest. Same clusters as a plain \X scan, several times faster on real copy.
_TOKEN_RE = regex.compile(
    rf"([{_GSM_CLASS}]+)(?![\p{{GCB=Extend}}\p{{GCB=ZWJ}}\p{{GCB=SpacingMark}}])|(\X)"
)
_GRAPHEME_RE = regex.compile(r"\X")

_SMART_KEYS_RE = re.compile(f"[{re.escape(''.join(SMART_ENCODING_MAP))}]")

# units, boundaries, units in the last segment, clusters
Bounds = tuple[tuple[int, int], ...]
Layout = tuple[int, Bounds, int, int]
# char offset, unit offset, run of one-char GSM clusters (or ""), other cluster (or "")
Token = tuple[int, int, str, str]
# Largest UCS-2 cluster (in units) for which the calculator's split is plain greedy.
GREEDY_SAFE_UNITS = (2 * UCS_MULTI - UCS_SINGLE) // 2


class NonGsmChar(NamedTuple):
    """A cluster that forces UCS-2: its str index in the original text, the cluster, and its
    Smart Encoding look-alike (None when there is none, e.g. emoji)."""

    index: int  # type: ignore[assignment]  # the contract names it index; shadows tuple.index
    char: str
    replacement: str | None


@dataclass(frozen=True, slots=True)
class SegmentAnalysis:
    """How Twilio will encode and split one message body.

    ``units`` are septets (GSM-7) or UTF-16 code units (UCS-2) of ``sent_text``; ``boundaries``
    are (start, end) str offsets into ``sent_text``, one per segment; ``non_gsm`` lists the
    clusters of the ORIGINAL ``text`` that force UCS-2; ``grapheme_count`` counts clusters of
    ``sent_text`` with CRLF as two, which is what ``characters`` reports.
    """

    text: str
    sent_text: str
    encoding: str
    segments: int
    units: int
    boundaries: Bounds
    non_gsm: tuple[NonGsmChar, ...]
    last_segment_units: int
    grapheme_count: int

    @property
    def units_per_segment(self) -> int:
        if self.encoding == GSM_7:
            return GSM_SINGLE if self.segments == 1 else GSM_MULTI
        return UCS_SINGLE if self.segments == 1 else UCS_MULTI

    @property
    def remaining(self) -> int:
        """Units still free in the last segment (never negative), as the calculator shows."""
        return max(0, self.units_per_segment - self.last_segment_units)

    @property
    def characters(self) -> int:
        """User-perceived characters of ``sent_text``: grapheme clusters, CRLF counting two."""
        return self.grapheme_count

    # Names of the TypeScript calculator, so vectors written against it map one to one.
    @property
    def segments_count(self) -> int:
        return self.segments

    @property
    def encoding_name(self) -> str:
        return self.encoding

    @property
    def number_of_characters(self) -> int:
        """The calculator's numberOfCharacters: septets for GSM-7, clusters for UCS-2."""
        return self.units if self.encoding == GSM_7 else self.grapheme_count

    @property
    def number_of_unicode_scalars(self) -> int:
        return len(self.sent_text)

    @property
    def message_size(self) -> int:
        """Payload bits without the headers (the calculator's messageSize)."""
        return self.units * (7 if self.encoding == GSM_7 else 16)

    @property
    def total_size(self) -> int:
        """Payload bits plus one UDH per segment once concatenated (the calculator's totalSize)."""
        return self.message_size + (UDH_BITS * self.segments if self.segments > 1 else 0)

    @property
    def graphemes(self) -> tuple[str, ...]:
        return tuple(split_graphemes(self.sent_text))

    @property
    def non_gsm_characters(self) -> tuple[str, ...]:
        """The calculator's getNonGsmCharacters(): non-GSM clusters of the text actually sent."""
        if self.sent_text == self.text:
            return tuple(found.char for found in self.non_gsm)
        return tuple(found.char for found in find_non_gsm(self.sent_text))


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM 03.38 basic or extension table."""
    return _NON_GSM_RE.search(text) is None


def smart_encode(text: str) -> str:
    """Apply Twilio Smart Encoding code point by code point (emoji are never touched)."""
    if _SMART_KEYS_RE.search(text) is None:
        return text
    return text.translate(_SMART_TABLE)


def split_graphemes(text: str) -> list[str]:
    """Clusters as the calculator sees them: ``\\X``, with a CRLF cluster split in two."""
    found = _GRAPHEME_RE.findall(text)
    if "\r\n" not in text:
        return found
    return [piece for cluster in found for piece in (cluster if cluster == "\r\n" else (cluster,))]


def find_non_gsm(text: str) -> tuple[NonGsmChar, ...]:
    """Every cluster of ``text`` that forces UCS-2, with its index and GSM look-alike."""
    hits = _hits(text)
    if not hits:
        return ()
    if _joins(hits):
        return _non_gsm_from_tokens(_cluster_tokens(text)[0])
    return _non_gsm_from_hits(hits)


def analyze(text: str, *, smart_encoding: bool = False) -> SegmentAnalysis:
    """Encoding, units and segments of ``text`` exactly as Twilio's calculator counts them."""
    sent = smart_encode(text) if smart_encoding else text
    if _NON_GSM_RE.search(sent) is None:
        non_gsm = () if sent is text else find_non_gsm(text)
        # No GSM character can join another, so GSM clusters are code points.
        heavy = [match.start() for match in EXTENDED_RE.finditer(sent)]
        return _result(text, sent, GSM_7, _flat_layout(sent, heavy, GSM_SINGLE, GSM_MULTI), non_gsm)
    hits = _hits(sent)
    if _joins(hits):
        tokens, units, widest = _cluster_tokens(sent)
        layout = _cluster_layout(sent, tokens, units, widest)
        non_gsm = _non_gsm_from_tokens(tokens) if sent is text else find_non_gsm(text)
    else:
        heavy = [index for index, char in hits if char > "\uffff"]
        layout = _flat_layout(sent, heavy, UCS_SINGLE, UCS_MULTI)
        non_gsm = _non_gsm_from_hits(hits) if sent is text else find_non_gsm(text)
    return _result(text, sent, UCS_2, layout, non_gsm)


def _result(
    text: str, sent: str, encoding: str, layout: Layout, non_gsm: tuple[NonGsmChar, ...]
) -> SegmentAnalysis:
    units, bounds, last, count = layout
    return SegmentAnalysis(text, sent, encoding, len(bounds), units, bounds, non_gsm, last, count)


def _hits(text: str) -> list[tuple[int, str]]:
    return [(match.start(), match.group()) for match in _NON_GSM_RE.finditer(text)]


def _joins(hits: list[tuple[int, str]]) -> bool:
    # Joiners are never GSM, so looking at the non-GSM characters alone is enough.
    return _JOINER_RE.search("".join(char for _, char in hits)) is not None


def _non_gsm_from_hits(hits: list[tuple[int, str]]) -> tuple[NonGsmChar, ...]:
    get = SMART_ENCODING_MAP.get
    return tuple(NonGsmChar(index, char, get(char)) for index, char in hits)


def _non_gsm_from_tokens(tokens: list[Token]) -> tuple[NonGsmChar, ...]:
    return tuple(
        NonGsmChar(start, cluster, _replacement(cluster))
        for start, _units, _run, cluster in tokens
        if cluster and (len(cluster) > 1 or cluster not in UNICODE_TO_GSM)
    )


def _replacement(cluster: str) -> str | None:
    if len(cluster) == 1:
        return SMART_ENCODING_MAP.get(cluster)
    encoded = cluster.translate(_SMART_TABLE)
    return encoded if encoded != cluster and is_gsm7(encoded) else None


def _utf16_length(text: str) -> int:
    return len(text) + (len(_ASTRAL_RE.findall(text)) if max(text) > "\uffff" else 0)


def _cluster_tokens(text: str) -> tuple[list[Token], int, int]:
    """Tokens (char offset, unit offset, run of one-char GSM clusters, other cluster) of a
    UCS-2 text, its UTF-16 length, and the largest cluster in units."""
    tokens: list[Token] = []
    chars = units = widest = 0
    for run, cluster in _TOKEN_RE.findall(text):
        if cluster == "\r\n":  # the calculator counts CR and LF apart
            run, cluster = cluster, ""
        tokens.append((chars, units, run, cluster))
        if run:
            chars += len(run)
            units += len(run)
        else:
            cost = _utf16_length(cluster)
            chars += len(cluster)
            units += cost
            widest = max(widest, cost)
    return tokens, units, widest


def _flat_layout(sent: str, heavy: list[int], single: int, multi: int) -> Layout:
    """Layout of a text whose clusters are its code points, costing one unit each or two at
    the ``heavy`` offsets (GSM escape pairs, UTF-16 surrogate pairs)."""
    size = len(sent)
    units = size + len(heavy)
    if units <= single:
        return units, ((0, size),), units, size
    bounds, last = _greedy_split(_heavy_tokens(sent, heavy), units, size, multi)
    return units, bounds, last, size


def _heavy_tokens(text: str, heavy: list[int]) -> list[Token]:
    """Tokens of a text whose characters cost one unit, or two at the ``heavy`` offsets."""
    tokens: list[Token] = []
    units = done = 0
    for index in heavy:
        if index > done:
            tokens.append((done, units, text[done:index], ""))
            units += index - done
        tokens.append((index, units, "", text[index]))
        units += 2
        done = index + 1
    if done < len(text):
        tokens.append((done, units, text[done:], ""))
    return tokens


def _cluster_layout(sent: str, tokens: list[Token], units: int, widest: int) -> Layout:
    clusters = sum(len(run) if run else 1 for _chars, _units, run, _cluster in tokens)
    if units <= UCS_SINGLE:
        return units, ((0, len(sent)),), units, clusters
    if widest > GREEDY_SAFE_UNITS:
        bounds, last = _exact_split(tokens, len(sent))
    else:
        bounds, last = _greedy_split(tokens, units, len(sent), UCS_MULTI)
    return units, bounds, last, clusters


def _greedy_split(tokens: list[Token], units: int, size: int, cap: int) -> tuple[Bounds, int]:
    """Each segment takes the longest prefix that fits ``cap``: a cut inside a run of one-unit
    clusters falls anywhere, otherwise before the cluster that does not fit.

    That is what the calculator's "fill 160/70, add the header, move the overflow on" comes to
    while no cluster exceeds GREEDY_SAFE_UNITS: what moves (under 3 + one cluster, or 7 + one
    in GSM-7) plus the cluster that overflowed still fits the next segment.
    """
    unit_starts = [token[1] for token in tokens]
    bounds = []
    char_at = unit_at = 0
    while unit_at + cap < units:
        limit = unit_at + cap
        chars, first_unit, run, _cluster = tokens[bisect_right(unit_starts, limit) - 1]
        if run:
            end_unit, end_char = limit, chars + limit - first_unit
        else:
            end_unit, end_char = first_unit, chars
        bounds.append((char_at, end_char))
        char_at, unit_at = end_char, end_unit
    bounds.append((char_at, size))
    return tuple(bounds), units - unit_at


def _exact_split(tokens: list[Token], size: int) -> tuple[Bounds, int]:
    """Segment.ts/_buildSegments step by step, in units instead of bits, for texts holding a
    cluster too big for _greedy_split: the first segment fills to 70; on its first overflow it
    gets its header and the clusters that no longer fit move, unchecked, to the next segment;
    later segments fill to 67. Literal on purpose, so absurd clusters overflow as it does."""
    costs: list[int] = []
    widths: list[int] = []
    for _chars, _units, run, cluster in tokens:
        costs += [1] * len(run) if run else [_utf16_length(cluster)]
        widths += [1] * len(run) if run else [len(cluster)]
    starts, used = [0], [0]
    cap = UCS_SINGLE
    for index, cost in enumerate(costs):
        filled = used[-1]
        if filled + cost <= cap:
            used[-1] = filled + cost
        elif len(starts) == 1:
            keep = index
            while filled > UCS_MULTI:
                keep -= 1
                filled -= costs[keep]
            used[0] = filled
            starts.append(keep)
            used.append(sum(costs[keep:index]) + cost)
            cap = UCS_MULTI
        else:
            starts.append(index)
            used.append(cost)
    offsets = [0, *accumulate(widths)]
    return tuple(pairwise([offsets[index] for index in starts] + [size])), used[-1]
