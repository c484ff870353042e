"""The phone preview: a text as a recipient would see it, with sample merge values, links
as the short links delivery will make, and where each segment starts. Pure: no Django, no
I/O; the caller passes the samples and the short-link base."""

from __future__ import annotations

from dataclasses import dataclass, field

from brandguard.scan import VALID_PLACEHOLDER_RE
from brandguard.segments import analyze, smart_encode

# Used for a field the brand gave no sample for. A reviewer reads "Jordan" more easily than
# "{first_name}", and an unknown field stays visible as [its name].
DEFAULT_SAMPLES = {
    "first_name": "Jordan", "last_name": "Lee", "name": "Jordan Lee",
    "product_name": "Ridge 40L pack", "product": "Ridge 40L pack", "category": "backpacks",
    "city": "Denver", "store": "Denver Union Station", "code": "SUMMIT15",
    "discount_code": "SUMMIT15", "order_number": "10482", "order_id": "10482",
}
LINK_NAMES = ("link", "url")


def is_link(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def is_link_field(name: str) -> bool:
    return name in LINK_NAMES or name.endswith(("_link", "_url"))


def default_sample(name: str, website_domain: str) -> str:
    if is_link_field(name):
        return f"https://{website_domain or 'example.com'}/"
    return DEFAULT_SAMPLES.get(name, "")


def effective_samples(names, samples: dict[str, str], website_domain: str) -> dict[str, str]:
    """Each name's sample: the brand's own, else the default (may be "" for an unknown)."""
    return {name: samples.get(name) or default_sample(name, website_domain) for name in names}


@dataclass(frozen=True)
class PreviewSettings:
    samples: dict[str, str] = field(default_factory=dict)
    website_domain: str = ""
    short_link_prefix: str = "https://example.com/l/"  # everything before the code
    code_length: int = 10
    smart_encoding: bool = False

    @property
    def example_link(self) -> str:
        return self.short_link_prefix + "x" * self.code_length


@dataclass(frozen=True)
class Piece:
    text: str
    kind: str = ""  # "", "merge" (a sample value), "link" (a short link), "missing"


@dataclass(frozen=True)
class Segment:
    number: int
    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class Preview:
    segments: tuple[Segment, ...]
    encoding: str
    units: int
    characters: int
    merged: bool  # the text had placeholders, so the preview used sample values

    @property
    def count(self) -> int:
        return len(self.segments)


def _fill(text: str, settings: PreviewSettings) -> list[Piece]:
    pieces: list[Piece] = []
    pos = 0
    for match in VALID_PLACEHOLDER_RE.finditer(text):
        pieces.append(Piece(text[pos:match.start()]))
        name = match.group(1)
        value = settings.samples.get(name) or default_sample(name, settings.website_domain)
        if is_link(value):
            pieces.append(Piece(settings.example_link, "link"))
        elif value:
            pieces.append(Piece(value, "merge"))
        else:
            pieces.append(Piece(f"[{name.replace('_', ' ')}]", "missing"))
        pos = match.end()
    pieces.append(Piece(text[pos:]))
    return [p for p in pieces if p.text]


def phone_preview(text: str, settings: PreviewSettings) -> Preview:
    """The text as sent (smart encoding applied when the brand has it on), cut into the
    segments the carrier will join on the phone."""
    pieces = _fill(text, settings)
    if settings.smart_encoding:  # a per-character table, so piece by piece is the same
        pieces = [Piece(smart_encode(p.text), p.kind) for p in pieces]
    sent = "".join(p.text for p in pieces)
    analysis = analyze(sent)
    segments = tuple(Segment(n, tuple(_cut(pieces, start, end)))
                     for n, (start, end) in enumerate(analysis.boundaries, start=1))
    return Preview(segments=segments or (Segment(1, ()),), encoding=analysis.encoding,
                   units=analysis.units, characters=analysis.characters,
                   merged=any(p.kind for p in pieces))


def _cut(pieces: list[Piece], start: int, end: int) -> list[Piece]:
    """The parts of ``pieces`` between offsets ``start`` and ``end`` of their joined text."""
    out, pos = [], 0
    for piece in pieces:
        a, b = pos, pos + len(piece.text)
        pos = b
        lo, hi = max(a, start), min(b, end)
        if lo < hi:
            out.append(Piece(piece.text[lo - a:hi - a], piece.kind))
    return out
