"""The shared pass (brandguard.scan.Scan) against slow, obviously correct definitions, and the
deferred tone dimensions against scoring them all at once, on random texts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from brandguard import check, lexicon
from brandguard.checks.base import Subject
from brandguard.compiled import compile_policy
from brandguard.lexicon import TOKEN_RE, Hit
from brandguard.scan import PLACEHOLDER_RE, Scan, blank
from brandguard.segments import analyze
from brandguard.tone import score_tone
from tests.brandguard.equivalence import _PIECES, _SEPARATORS, CONTEXTS, POLICIES

_TEXTS = st.one_of(
    st.lists(st.sampled_from(_PIECES + _SEPARATORS), max_size=40).map("".join),
    st.text(max_size=120),
    st.lists(st.sampled_from(_PIECES + [" ", "İ", "ß", "Σ", "’", "_"]), max_size=30).map(
        lambda parts: "".join(p.upper() if i % 3 == 0 else p for i, p in enumerate(parts))),
)


def _tokens(low: str) -> list[tuple[str, int, int]]:
    return [(m.group().replace("’", "'"), m.start(), m.end()) for m in TOKEN_RE.finditer(low)]


def _hits(index: lexicon._Index, tokens: list[tuple[str, int, int]], low: str) -> dict:
    """Every entry tried at every token: the definition, without the first-word index."""
    found: dict[str, list[Hit]] = {}
    entries = [e for bucket in index.entries.values() for e in bucket]
    words = [w for w, _s, _e in tokens]
    for i, (_word, start, _end) in enumerate(tokens):
        for entry in entries:
            phrase = entry.phrase.split()
            if words[i:i + len(phrase)] != phrase:
                continue
            last = i + len(phrase) - 1
            gaps = [low[tokens[k][2]:tokens[k + 1][1]] for k in range(i, last)]
            if all(not gap.strip(lexicon._GAP_CHARS) for gap in gaps):
                found.setdefault(entry.lexicon, []).append(
                    Hit(start, tokens[last][2], entry.phrase, entry.weight))
    return found


def _resolved(raw: dict, benign: dict) -> dict:
    """Longest match first, nothing inside a kept match, nothing touching a benign phrase."""
    out = {}
    for name, hits in raw.items():
        kept: list[Hit] = []
        for hit in sorted(hits, key=lambda h: (h.start, h.start - h.end)):
            if kept and hit.start < kept[-1].end:
                continue
            if any(hit.start < b.end and b.start < hit.end for b in benign.get(name, [])):
                continue
            kept.append(hit)
        out[name] = kept
    return out


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_the_shared_pass_equals_its_definition(text):
    scan = Scan(text)
    assert [(p.start, p.end) for p in scan.placeholders] == [
        m.span() for m in PLACEHOLDER_RE.finditer(text)]
    spans = sorted([m.span() for m in PLACEHOLDER_RE.finditer(text)]
                   + [(link.start, link.end) for link in scan.links] + list(scan.emails))
    assert scan.protected == spans
    assert scan.copy == blank(text, spans)
    assert len(scan.copy_low) == len(scan.low) == len(text)
    tokens = _tokens(scan.copy_low)
    assert scan.tokens.words == [w for w, _s, _e in tokens]
    offsets = scan.tokens.offsets()  # then the end of the text
    assert offsets[:2 * len(tokens)] == [x for _w, s, e in tokens for x in (s, e)]
    raw = _hits(lexicon._ALWAYS, tokens, scan.copy_low)
    benign = _hits(lexicon._BENIGN, tokens, scan.copy_low)
    assert scan.hits == {name: hits for name, hits in _resolved(raw, benign).items()}


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.sampled_from(sorted(POLICIES)), st.sampled_from(sorted(CONTEXTS)))
def test_tone_read_later_equals_tone_scored_at_once(text, policy_name, context_name):
    policy, context = POLICIES[policy_name], CONTEXTS[context_name]
    report = check(text, policy, context, fix=False)
    subject = Subject(text, policy, context, compile_policy(policy),
                      analyze(text, smart_encoding=policy.smart_encoding))
    assert report.tone == score_tone(subject)
    assert [f.rule for f in report.findings] == [f.rule for f in check(text, policy, context)
                                                  .findings]
