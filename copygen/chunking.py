"""Guideline documents → text → retrievable chunks. Pure: no Django, no I/O.

A chunk never spans two headings, so every chunk can be cited by its heading path
("Voice and tone › Words we avoid"). A section longer than ``MAX_CHARS`` is split at the
coarsest boundary that fits (paragraph, then line, then sentence, then word), packed towards
``TARGET_CHARS``, and each continuation starts with ~``OVERLAP_CHARS`` of the previous
chunk so a rule cut in two still reads whole in at least one chunk.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import PurePath

TARGET_CHARS = 500
MAX_CHARS = 800
OVERLAP_CHARS = 80
# A split-off tail shorter than this is folded into the chunk before it (when that fits):
# a 40-character fragment retrieves badly and cites worse.
MIN_TAIL_CHARS = 150
HEADING_SEPARATOR = " › "
MAX_HEADING_CHARS = 300  # GuidelineChunk.heading max_length

TEXT_SUFFIXES = (".md", ".markdown", ".txt")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, ".pdf")


class DocumentError(ValueError):
    """A file we cannot turn into text (wrong type, bad encoding, unreadable PDF)."""


@dataclass(frozen=True)
class Chunk:
    position: int
    heading: str
    text: str


# --- text extraction ------------------------------------------------------------------------


def extract_text(filename: str, data: bytes) -> str:
    """The text of an uploaded guideline file, chosen by its extension."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        try:
            text = data.decode("utf-8-sig")  # tolerate the BOM Windows editors write
        except UnicodeDecodeError as exc:
            raise DocumentError(
                f"{filename} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
            ) from exc
    elif suffix == ".pdf":
        text = _pdf_text(filename, data)
    else:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        raise DocumentError(f"{filename}: unsupported file type; use one of {supported}")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not text.strip():
        raise DocumentError(f"{filename} contains no text")
    return text


def _pdf_text(filename: str, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        # pypdf signals damaged files with its own errors and, on odd inputs, built-ins.
        raise DocumentError(f"{filename} is not a readable PDF: {exc}") from exc
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise DocumentError(f"{filename} has no extractable text (a scanned PDF needs OCR)")
    return text


# --- sections -------------------------------------------------------------------------------

_ATX_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
# "Words we avoid:" on a line of its own, in plain text: short, no list marker, no sentence.
_COLON_HEADING = re.compile(r"^(?![-*+•]|\d+[.)])([^\n.!?:]{2,60}):[ \t]*$")


@dataclass(frozen=True)
class Section:
    path: tuple[str, ...]
    body: str


def split_sections(text: str) -> list[Section]:
    """Sections in order, each with its heading path; text before any heading has path ()."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    markdown = _has_atx_headings(lines)
    sections: list[Section] = []
    path: list[tuple[int, str]] = []  # (level, title) of the open headings
    body: list[str] = []
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _heading(lines, i, markdown)
        if heading is None:
            body.append(line)
            continue
        sections.append(Section(tuple(title for _, title in path), "\n".join(body)))
        body = []
        level, title = heading
        path = [(lvl, t) for lvl, t in path if lvl < level] + [(level, title)]
    sections.append(Section(tuple(title for _, title in path), "\n".join(body)))
    return [s for s in sections if s.body.strip()]


def _has_atx_headings(lines: list[str]) -> bool:
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and _ATX_HEADING.match(line):
            return True
    return False


def _heading(lines: list[str], i: int, markdown: bool) -> tuple[int, str] | None:
    line = lines[i]
    if markdown:
        match = _ATX_HEADING.match(line)
        return (len(match.group(1)), _clean_title(match.group(2))) if match else None
    # Plain text has no levels: colon headings are flat and must open a block (blank line
    # or start of file before them) so "Note: ..." inside a paragraph is not mistaken.
    match = _COLON_HEADING.match(line.strip())
    starts_block = i == 0 or not lines[i - 1].strip()
    has_body = i + 1 < len(lines)
    if match and starts_block and has_body:
        return (1, _clean_title(match.group(1)))
    return None


def _clean_title(title: str) -> str:
    title = re.sub(r"[*_`]+", "", title)  # **bold** or `code` markers add nothing to a path
    return re.sub(r"\s+", " ", title).strip()


# --- chunks ---------------------------------------------------------------------------------


def chunk_document(text: str) -> list[Chunk]:
    """Chunks in document order, positions 0, 1, 2, … across the whole document."""
    chunks: list[Chunk] = []
    for section in split_sections(text):
        heading = HEADING_SEPARATOR.join(section.path)[:MAX_HEADING_CHARS]
        for piece in split_section_text(section.body):
            chunks.append(Chunk(position=len(chunks), heading=heading, text=piece))
    return chunks


def split_section_text(
    body: str, *, target: int = TARGET_CHARS, limit: int = MAX_CHARS, overlap: int = OVERLAP_CHARS
) -> list[str]:
    """One section's body as chunk texts of at most ``limit`` characters."""
    body = _tidy(body)
    if not body:
        return []
    if len(body) <= limit:
        return [body]
    # Groups leave room for the overlap (and the space after it), so no continuation can
    # exceed the limit.
    ceiling = limit - overlap - 1
    groups = _pack(_pieces(body, ceiling, level=0), target - overlap, ceiling)
    texts = [groups[0].strip()]
    for group in groups[1:]:
        tail = _tail(texts[-1], overlap)
        texts.append(f"{tail} {group.strip()}" if tail else group.strip())
    return texts


def _tidy(body: str) -> str:
    lines = [line.rstrip() for line in body.strip().split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


# Boundaries from coarse to fine. Each pattern is kept with the piece before it, so
# "".join(pieces) == text and packing preserves the original spacing.
_BOUNDARIES = (
    re.compile(r"\n\s*\n"),  # paragraphs
    re.compile(r"\n"),  # lines (list items)
    re.compile(r"(?<=[.!?])[\"')\]]*\s+"),  # sentences
    re.compile(r"\s+"),  # words
)


def _pieces(text: str, limit: int, level: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    if level == len(_BOUNDARIES):
        return [text[i:i + limit] for i in range(0, len(text), limit)]  # one giant "word"
    out: list[str] = []
    for part in _split_keeping(text, _BOUNDARIES[level]):
        out.extend(_pieces(part, limit, level + 1))
    return out


def _split_keeping(text: str, boundary: re.Pattern[str]) -> list[str]:
    parts, start = [], 0
    for match in boundary.finditer(text):
        if match.end() > start and match.start() > start:
            parts.append(text[start:match.end()])
            start = match.end()
    parts.append(text[start:])
    return [p for p in parts if p]


def _pack(pieces: list[str], target: int, ceiling: int) -> list[str]:
    """Greedy: grow each group while that brings it closer to ``target`` without passing
    ``ceiling``; then fold a short last group into the one before it if that fits."""
    groups: list[str] = []
    current = ""
    for piece in pieces:
        if current:
            size, grown = len(current.strip()), len((current + piece).strip())
            if grown > ceiling or grown - target > target - size:
                groups.append(current)
                current = ""
        current += piece
    if current.strip():
        groups.append(current)
    if len(groups) > 1 and len(groups[-1].strip()) < MIN_TAIL_CHARS:
        merged = groups[-2] + groups[-1]
        if len(merged.strip()) <= ceiling:
            groups[-2:] = [merged]
    return groups


def _tail(text: str, size: int) -> str:
    """The last ≤ ``size`` characters of ``text``, starting at a sentence or word start."""
    if len(text) <= size:
        return text
    tail = text[-size:]
    sentence = re.search(r"[.!?][\"')\]]*\s+(?=\S)", tail)
    if sentence and len(tail) - sentence.end() >= size // 4:
        return tail[sentence.end():].strip()
    word = re.search(r"\s+(?=\S)", tail)
    return tail[word.end():].strip() if word else ""
