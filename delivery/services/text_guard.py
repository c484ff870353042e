"""The brandguard re-check of a rendered text exactly as it will be sent, and a per-process
memo of its verdict for texts that can differ only in their short-link codes.

A campaign renders one approved variant for many people, and brandguard.check is a pure
function of the text, the policy and the context. The memo's key is the text's shape
(delivery.services.rendering.Rendered.shape: the variant's words and the merge values
exactly, each short link without its code), the policy version and whether this is the
person's first text. A verdict is reused for another code only where no code can change it:

1. brandguard reads the whole short link, code included, as one link. Links are protected
   (blanked out of the copy that lexicons, capitals, tone and sentiment read). This is not
   assumed but shown once per shape, from check's own answer: under a probe policy that
   allows no link domain, every short link gets a LINK_DOMAIN finding whose span covers
   its code. Until then (and where it fails) every text is checked in full.
2. What reads the raw text instead: the brand's phrases (banned, required, its name, its
   support contact), matched as whole words. A code is letters and digits after "/", so a
   match that touched it without covering it would start or end inside a word, which a
   whole-word pattern cannot; covering it, the lower-cased code is part of a phrase. A
   person whose code is part of one (vanishingly rare; a code is 10 of 62 characters) gets
   the full check. The remaining fixed patterns over the raw text are message-type rules
   (a HELP reply's contact, an opt-out confirmation's prices) that marketing texts skip.
3. Every code has the same length and is GSM-7, so encoding, segments and every span are
   the same. A verdict whose finding messages quote a code is never reused.

tests/delivery/test_text_guard.py compares the memo with the full check on random texts,
merge values and codes, adversarial ones included.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import brandguard
from brandguard.checks.links import is_public_shortener
from delivery.links import destination_allowed, destination_host
from delivery.services.rendering import CODE_LENGTH, Rendered, short_link_base

_CACHE_LIMIT = 4096
_PROBE_DOMAIN = "probe.invalid"  # RFC 2606: can never be a short-link host
_LINK_RULES = frozenset({"LINK_DOMAIN", "PUBLIC_SHORTENER"})


@dataclass(frozen=True, slots=True)
class GuardResult:
    passed: bool
    encoding: str
    segments: int
    findings: list[dict]


@dataclass(frozen=True, slots=True)
class _Verdict:
    encoding: str
    segments: int
    findings: tuple[dict, ...]  # brandguard's blocking findings (to_dict)


@dataclass(slots=True)
class _Entry:
    verdict: _Verdict
    reusable: bool | None  # None: not yet shown that codes cannot change it (point 1)


_VERDICTS: dict[tuple, _Entry] = {}
_SENT_POLICIES: dict[tuple, brandguard.Policy] = {}
_PHRASES: dict[tuple, str] = {}
_DESTINATIONS: dict[tuple, tuple[dict, ...]] = {}


def guard_rendered(rendered: Rendered, policy: brandguard.Policy, *, first_message: bool,
                   policy_key: tuple | None = None) -> GuardResult:
    """Re-check the text as sent. Our own short-link host is allowed next to the brand's
    domains; each destination must itself be on the brand's domains and no public shortener
    (a redirect through bit.ly is still a shared-shortener link to the carrier's crawler).

    `policy_key` names `policy` immutably (selectors.guard_policy_key); with it, verdicts
    are memoised as the module docstring says. Without it every text is checked in full."""
    sent_policy = _sent_policy(policy, _host(short_link_base()), policy_key)
    context = _CONTEXTS[first_message]
    if policy_key is None or not rendered.shape or not _inert(rendered, policy, policy_key):
        verdict = _check(rendered.text, sent_policy, context)
    else:
        verdict = _memoised(rendered, sent_policy, context, (policy_key, first_message))
    blocking = [dict(f) for f in verdict.findings]
    for url in rendered.links.values():
        blocking += _destination(url, policy, policy_key)
    return GuardResult(not blocking, verdict.encoding, verdict.segments, blocking)


_CONTEXTS = {first: brandguard.MessageContext(message_type="marketing", first_message=first)
             for first in (False, True)}


@lru_cache(maxsize=64)
def _host(base: str) -> str:
    return urlsplit(base).hostname or ""


def _destination(url: str, policy: brandguard.Policy, policy_key: tuple | None
                 ) -> list[dict]:
    """_destination_findings of one URL (a pure function of it and the policy, memoised
    per policy key: a campaign links most people to the same few pages)."""
    if policy_key is None:
        return _destination_findings([url], policy)
    key = (*policy_key, url)
    found = _DESTINATIONS.get(key)
    if found is None:
        if len(_DESTINATIONS) >= _CACHE_LIMIT:
            _DESTINATIONS.clear()
        found = _DESTINATIONS[key] = tuple(_destination_findings([url], policy))
    return [dict(f) for f in found]


def _check(text: str, policy: brandguard.Policy, context: brandguard.MessageContext
           ) -> _Verdict:
    report = brandguard.check(text, policy, context, fix=False)
    blocking = tuple(f.to_dict() for f in report.findings
                     if f.severity == brandguard.Severity.BLOCK)
    return _Verdict(report.analysis.encoding, report.analysis.segments, blocking)


def _memoised(rendered: Rendered, policy: brandguard.Policy,
              context: brandguard.MessageContext, key: tuple) -> _Verdict:
    key = (*key, rendered.shape)
    entry = _VERDICTS.get(key)
    if entry is not None and entry.reusable is None:
        entry.reusable = _codes_inside_links(rendered, policy, context)
    if entry is not None and entry.reusable:
        return entry.verdict
    verdict = _check(rendered.text, policy, context)
    if entry is None:
        if len(_VERDICTS) >= _CACHE_LIMIT:
            _VERDICTS.clear()
        quoted = any(code in f["message"] or code in f["fix"]
                     for code in rendered.links for f in verdict.findings)
        # Without links the key is the exact text: nothing to show (point 1).
        _VERDICTS[key] = _Entry(verdict, False if quoted else (None if rendered.links
                                                               else True))
    return verdict


def _codes_inside_links(rendered: Rendered, policy: brandguard.Policy,
                        context: brandguard.MessageContext) -> bool:
    """Point 1: does brandguard read each short link, code and all, as one link?"""
    probe = dataclasses.replace(policy, allowed_link_domains=[_PROBE_DOMAIN],
                                website_domain="", severity_overrides={})
    report = brandguard.check(rendered.text, probe, context, fix=False)
    spans = [span for f in report.findings if f.rule in _LINK_RULES for span in f.spans]
    return all(any(start <= code_start and code_end <= end for start, end in spans)
               for code_start, code_end in _code_spans(rendered))


def _code_spans(rendered: Rendered) -> Iterable[tuple[int, int]]:
    at = 0
    for piece in rendered.shape:
        if isinstance(piece, tuple):  # (base,): the link is base + "/l/" + code
            start = at + len(piece[0]) + len("/l/")
            at = start + CODE_LENGTH
            yield start, at
        else:
            at += len(piece)


def _inert(rendered: Rendered, policy: brandguard.Policy, policy_key: tuple) -> bool:
    """Point 2: no code is part of one of the brand's phrases."""
    if not rendered.links:
        return True
    phrases = _PHRASES.get(policy_key)
    if phrases is None:
        if len(_PHRASES) >= _CACHE_LIMIT:
            _PHRASES.clear()
        phrases = _PHRASES[policy_key] = "\n".join(p.lower().replace("’", "'") for p in (
            *policy.banned_phrases, *policy.required_phrases, policy.brand_name,
            policy.support_contact, policy.website_domain, *policy.allowed_link_domains))
    return not any(code.lower() in phrases for code in rendered.links)


def _sent_policy(policy: brandguard.Policy, host: str, policy_key: tuple | None
                 ) -> brandguard.Policy:
    """The policy with our short-link host allowed (built once per policy and host)."""
    if policy_key is None:
        return _with_host(policy, host)
    key = (*policy_key, host)
    sent = _SENT_POLICIES.get(key)
    if sent is None:
        if len(_SENT_POLICIES) >= _CACHE_LIMIT:
            _SENT_POLICIES.clear()
        sent = _SENT_POLICIES[key] = _with_host(policy, host)
    return sent


def _with_host(policy: brandguard.Policy, host: str) -> brandguard.Policy:
    return dataclasses.replace(policy,
                               allowed_link_domains=[*policy.allowed_link_domains, host])


def _destination_findings(destinations, policy: brandguard.Policy) -> list[dict]:
    allowed = [*policy.allowed_link_domains, policy.website_domain]
    found = []
    for url in destinations:
        host = destination_host(url)
        if host is None:
            found.append({"rule": "LINK_DOMAIN", "severity": "block",
                          "message": "link destination is not a plain http(s) URL on a host "
                                     "(credentials, escapes or spaces in it)"})
        elif is_public_shortener(host):
            found.append({"rule": "PUBLIC_SHORTENER", "severity": "block",
                          "message": f"link destination {host} is a public shortener "
                                     "(Twilio 30963)"})
        elif not destination_allowed(url, allowed):
            found.append({"rule": "LINK_DOMAIN", "severity": "block",
                          "message": f"link destination {host} is not a brand domain"})
    return found
