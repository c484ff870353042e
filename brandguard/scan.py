"""The shared pass: facts about one text, read once and shared by every rule and tone scorer.

Links, e-mail addresses and merge-field placeholders are "protected": their words are not
copy (a path like /beer-sale or a field named {shot_count} is not the message talking), so
they are blanked out of ``copy``, the text that lexicons, caps and tone look at. Blanking
with spaces keeps every offset equal to an offset into the original text.

Speed matters (the whole check has about 65 microseconds on one core): patterns run on the
lower-cased text without IGNORECASE, lexicons and compliance wording are found by walking
the one list of word tokens instead of running a regex per phrase, and a fact no rule of the
text's message type needs is never computed.
"""

from __future__ import annotations

import re

from brandguard import lexicon, phrasing
from brandguard.lexicon import Hit

# Top-level domains accepted for a bare domain without a scheme. A list keeps "e.g.",
# "U.S." and "3.5" out; schemed URLs accept any host.
_TLDS = (
    "com|net|org|edu|gov|co|io|ly|gl|me|us|uk|ca|de|fr|es|it|nl|eu|au|nz|ie|in|jp|app|shop|"
    "store|info|biz|to|at|gd|gy|cc|ai|sh|link|page|site|online|xyz|club|tv|ws|be|la|gg|li|"
    "im|vip|live|life|fun|top|am|mx|ch|se|no|dk|fi|pl|ru|su|id|mp|ee|st|ink|news|blog|deals|"
    "sale|tech|design"
)
LINK_RE = re.compile(
    rf"""(?ix)
    (?<![\w@.\-/])
    (?:
        https?://(?P<host>[^\s/?\#<>"']+)
      | (?P<bare>(?:[a-z0-9](?:[a-z0-9\-]{{0,61}}[a-z0-9])?\.)+(?:{_TLDS}))(?![\w\-])
    )
    (?:[/?\#][^\s<>"]*)?
    """
)
EMAIL_RE = re.compile(r"(?i)\b[\w.+\-]+@(?:[a-z0-9\-]+\.)+[a-z]{2,}\b")
# "{name}" is the placeholder syntax; anything else made of braces is malformed.
PLACEHOLDER_RE = re.compile(r"\{+[^{}\n]{0,60}\}+|[{}]")
VALID_PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+?1[\s.\-]?)?\(?[2-9]\d{2}\)?[\s.\-]?\d{3}[\s.\-]?\d{4}(?!\d)"
    r"|\b1?-?8(?:00|33|44|55|66|77|88)-[A-Z0-9\-]{4,}\b"
)
_TRAILING_PUNCT = ".,;:!?)]}'\"’”"
_OPENING_PUNCT = "([{<'\"“‘"
_HOST_END = _TRAILING_PUNCT + "."
# Emoji as a reader sees them: emoji-presentation characters, text symbols turned emoji by
# U+FE0F, keycaps, the plain heart. ™ © ® alone are not emoji. The stdlib pattern finds the
# characters an emoji can start with (or, for keycaps, end with); the slower `regex` module
# then reads one grapheme cluster at each, never the whole text.
_EMOJI_START = re.compile(
    "[\u00a9\u00ae\u203c\u2049\u2122\u2139\u2190-\u2bff\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001ffff]|[0-9#*]\ufe0f?\u20e3"
)
_EMOJI_RE = None  # compiled on first use: importing `regex` patterns costs start-up time
# Runs of capitals; whole-word boundaries are checked in Python on the few runs found,
# which is cheaper than asking the regex engine for \b at every position.
_CAPS_RE = re.compile(r"[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’]*[A-ZÀ-ÖØ-Þ]")

Span = tuple[int, int]


class lazy:  # noqa: N801 - reads like @property
    """functools.cached_property without its per-access lock (Python 3.11 takes an RLock)."""

    def __init__(self, fn):
        self.fn = fn
        self.name = fn.__name__

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


class Link:
    __slots__ = ("start", "end", "url", "host")

    def __init__(self, start: int, end: int, url: str, host: str) -> None:
        self.start, self.end, self.url, self.host = start, end, url, host


class Placeholder:
    __slots__ = ("start", "end", "raw", "name")

    def __init__(self, start: int, end: int, raw: str, name: str | None) -> None:
        # name is None when the syntax is malformed
        self.start, self.end, self.raw, self.name = start, end, raw, name


class Scan:
    """The shared pass over one text: every fact the scanners and the tone scorers read.

    ``__init__`` reads the text once, in order: lower case, placeholders, links, e-mail
    addresses, the protected spans they make, the copy with them blanked, its word tokens
    (words, lower-cased, gaps and offsets: brandguard.phrasing.Tokens), the hits of every
    always-on lexicon over those tokens, the emoji and the ALL-CAPS words. Those facts are
    never changed afterwards. Facts only some checks need (compliance wording, phones,
    on-demand lexicons) are derived from them on first use and memoised.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        low = text.lower()
        if len(low) != len(text):  # "İ" lower-cases to two characters; keep offsets equal
            low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        self.low = low = low.replace("’", "'")
        self.placeholders = placeholders = (
            find_placeholders(text) if "{" in text or "}" in text else []
        )
        self.links = links = find_links(text) if "." in text else []
        self.emails = emails = (
            [m.span() for m in EMAIL_RE.finditer(text)] if "@" in text else []
        )
        if placeholders or links or emails:
            protected = [(p.start, p.end) for p in placeholders]
            protected += [(link.start, link.end) for link in links]
            protected += emails
            protected.sort()
            self.copy = copy = blank(text, protected)
            copy_low = copy.lower()
            if len(copy_low) != len(low):
                copy_low = blank(low, protected)
            else:
                copy_low = copy_low.replace("’", "'")
        else:
            protected, copy, copy_low = [], text, low
        self.protected = protected
        self.copy, self.copy_low = copy, copy_low
        self.tokens = tokens = phrasing.Tokens(copy_low)
        self.hits: dict[str, list[Hit]] = lexicon.scan(tokens)
        self.emoji = [] if text.isascii() else find_emoji(text)
        self.caps_words = caps_words(copy)

    def hits_for(self, name: str) -> list[Hit]:
        if lexicon.is_on_demand(name):
            memo = self.__dict__.setdefault("_on_demand", {})
            if name not in memo:
                memo[name] = lexicon.scan_on_demand(self.tokens, name)
            return memo[name]
        return self.hits.get(name, [])

    @lazy
    def optout_instructions(self) -> list[Span]:
        return phrasing.optout_instructions(self.tokens)

    @lazy
    def nonstandard_optouts(self) -> list[tuple[Span, str]]:
        return phrasing.nonstandard_optouts(self.tokens, self.text)

    @lazy
    def help_instructions(self) -> list[Span]:
        return phrasing.help_instructions(self.tokens)

    @lazy
    def rates_disclosures(self) -> list[Span]:
        return phrasing.rates_disclosures(self.tokens)

    @lazy
    def frequency_disclosures(self) -> list[Span]:
        return phrasing.frequency_disclosures(self.tokens)

    @lazy
    def phones(self) -> list[Span]:
        return [m.span() for m in PHONE_RE.finditer(self.text)]

    @lazy
    def boilerplate(self) -> list[Span]:
        """Compliance wording; tone ignores it (STOP is not the brand being grim)."""
        return sorted(self.optout_instructions + self.help_instructions)


def find_placeholders(text: str) -> list[Placeholder]:
    """PLACEHOLDER_RE.finditer, run only from each brace: every match starts at one, and
    the regex engine would otherwise try a match at every character of the text."""
    out = []
    at = _next_brace(text, 0)
    while at != -1:
        m = PLACEHOLDER_RE.match(text, at)  # never None: a lone brace matches
        assert m is not None
        valid = VALID_PLACEHOLDER_RE.fullmatch(m.group())
        out.append(Placeholder(m.start(), m.end(), m.group(), valid and valid.group(1)))
        at = _next_brace(text, m.end())
    return out


def _next_brace(text: str, start: int) -> int:
    opening, closing = text.find("{", start), text.find("}", start)
    if opening == -1 or closing == -1:
        return max(opening, closing)
    return min(opening, closing)


def find_emoji(text: str) -> list[Span]:
    found: list[Span] = []
    done, size = 0, len(text)
    for hint in _EMOJI_START.finditer(text):
        start = hint.start()
        if start < done:
            continue  # inside the cluster just read (a ZWJ sequence, a flag)
        after = start + 1
        if after == size or text[after].isascii():
            # An ASCII character (or the end) always starts a new grapheme cluster, so the
            # cluster is this one character and whether it is an emoji depends on it alone:
            # asked of `regex` once per character, not once per occurrence.
            if _lone_emoji(text[start]):
                found.append((start, after))
                done = after
            continue
        m = _emoji_re().match(text, start)
        if m is not None:
            found.append(m.span())
            done = m.end()
    return found


_LONE: dict[str, bool] = {}


def _lone_emoji(char: str) -> bool:
    known = _LONE.get(char)
    if known is None:
        known = _LONE[char] = _emoji_re().match(char) is not None
    return known


def caps_words(copy: str) -> list[tuple[int, int, str]]:
    """Whole words in capitals (two letters or more)."""
    size = len(copy)
    out = []
    for m in _CAPS_RE.finditer(copy):
        start, end = m.span()
        if (start and copy[start - 1].isalnum()) or (end < size and copy[end].isalnum()):
            continue
        out.append((start, end, m.group()))
    return out


def _emoji_re():
    global _EMOJI_RE
    if _EMOJI_RE is None:
        import regex

        _EMOJI_RE = regex.compile(
            r"(?=\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|[0-9#*]\uFE0F?\u20E3"
            r"|\u2764)\X"
        )
    return _EMOJI_RE


def find_links(text: str) -> list[Link]:
    """Links, found from each dot between two word characters: a text without such a dot
    holds no domain, and the regex only ever runs on the word around such a dot."""
    out: list[Link] = []
    done = -1
    i = text.find(".")
    last = len(text) - 1
    while i != -1:
        if done < i < last and text[i + 1].isalnum() and text[i - 1].isalnum():
            start = max(text.rfind(" ", 0, i), text.rfind("\n", 0, i)) + 1
            while text[start] in _OPENING_PUNCT:
                start += 1
            m = LINK_RE.match(text, start)
            if m is not None and m.end() > i:
                link = _link(text, m)
                if link is not None:
                    out.append(link)
                done = m.end()
        i = text.find(".", max(i, done) + 1)  # dots up to ``done`` are inside a link
    return out


def _link(text: str, m: re.Match[str]) -> Link | None:
    start, end = m.span()
    while end > start and text[end - 1] in _TRAILING_PUNCT:
        end -= 1
    bare = m.group("bare")
    if bare and _looks_like_missing_space(bare):
        return None
    host = (m.group("host") or bare or "").lower()
    if "@" in host:
        host = host.rsplit("@", 1)[-1]
    if ":" in host:
        host = host.split(":", 1)[0]
    host = host.rstrip(_HOST_END)
    if "." not in host:
        return None
    return Link(start, end, text[start:end], host)


def _looks_like_missing_space(bare: str) -> bool:
    """"Ends today.Shop now" is a sentence missing a space, not the domain today.shop: a
    capitalised top-level domain after a lower-case label."""
    label, _, tld = bare.rpartition(".")
    return tld[:1].isupper() and not tld.isupper() and not label[-1:].isupper()


def blank(text: str, spans: list[Span]) -> str:
    """Spaces over the spans, so offsets into the result are offsets into ``text``."""
    if not spans:
        return text
    parts = []
    pos = 0
    for start, end in spans:
        if start < pos:
            start = pos
        parts.append(text[pos:start])
        parts.append(" " * max(0, end - start))
        pos = max(pos, end)
    parts.append(text[pos:])
    return "".join(parts)


def inside_any(start: int, end: int, spans: list[Span]) -> bool:
    for s, e in spans:  # a plain loop: any() over a generator costs more for 1-3 spans
        if s <= start and end <= e:
            return True
    return False


def overlaps_any(start: int, end: int, spans: list[Span]) -> bool:
    for s, e in spans:
        if start < e and s < end:
            return True
    return False


def host_matches(host: str, domain: str) -> bool:
    """Exact domain match: the domain itself or a subdomain of it ("acme.co" is not "t.co")."""
    domain = domain.lower().strip().strip(".")
    return host == domain or host.endswith("." + domain)


def host_in(host: str, domains: frozenset[str]) -> bool:
    """host_matches against a set, one lookup per label: a.b.bit.ly, b.bit.ly, bit.ly, ly."""
    while True:
        if host in domains:
            return True
        dot = host.find(".")
        if dot == -1:
            return False
        host = host[dot + 1:]
