"""Links: public shorteners are filtered by carriers; other domains need the brand's consent.

Domains match exactly, the domain or a subdomain of it: "acme.co" is not "t.co" and
"summitoutfitters.com.evil.io" is not "summitoutfitters.com".
"""

from __future__ import annotations

from brandguard.checks.base import Subject, finding
from brandguard.report import Finding
from brandguard.scan import Link, host_in

# Shared public shorteners (docs/domain.md §3). Carriers filter them because spammers
# share the same domains (Twilio error 30963); a brand's own branded short domain is fine.
PUBLIC_SHORTENERS = frozenset((
    "bit.ly", "bitly.com", "tinyurl.com", "goo.gl", "t.co", "ow.ly", "is.gd", "v.gd",
    "buff.ly", "tiny.cc", "rebrand.ly", "cutt.ly", "shorturl.at", "rb.gy", "t.ly", "tr.im",
    "bl.ink", "lnkd.in", "s.id", "x.co", "soo.gd", "clck.ru", "u.to", "shorte.st", "adf.ly",
    "j.mp", "dlvr.it", "po.st", "mcaf.ee", "t2m.io", "qr.ae", "bit.do", "short.gy",
    "tinu.be", "shrtco.de", "gg.gg",
))


def is_public_shortener(host: str) -> bool:
    return host_in(host, PUBLIC_SHORTENERS)


def check_links(s: Subject) -> list[Finding]:
    links = s.scan.links
    if not links:
        return []
    shortened = [link for link in links if is_public_shortener(link.host)]
    found = [_shortener_finding(s, shortened)] if shortened else []
    allowed = s.compiled.allowed_domains
    if not allowed:
        return found  # the brand keeps no allow-list
    foreign = [
        link for link in links
        if link not in shortened and not host_in(link.host, s.compiled.allowed_set)
    ]
    if foreign:
        hosts = ", ".join(sorted({link.host for link in foreign}))
        found.append(finding(
            "LINK_DOMAIN",
            f"Link domain {hosts} is not on the brand's list ({', '.join(allowed)}).",
            [(link.start, link.end) for link in foreign],
            fix=f"Link to {allowed[0]} or add the domain to the brand policy.",
        ))
    return found


def _shortener_finding(s: Subject, links: list[Link]) -> Finding:
    hosts = ", ".join(sorted({link.host for link in links}))
    own = s.compiled.allowed_domains
    target = f"a full link on {own[0]}" if own else "the brand's own domain"
    return finding(
        "PUBLIC_SHORTENER",
        f"Public URL shortener {hosts}: carriers filter shared shortener domains "
        "(Twilio 30963).",
        [(link.start, link.end) for link in links],
        fix=f"Use {target} or a branded short domain the brand owns.",
    )


CHECKS = (check_links,)
