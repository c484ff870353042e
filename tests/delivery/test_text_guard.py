"""The guard's memo (delivery.services.text_guard) against the full brandguard check: for
any text, merge values and short-link codes, reusing a verdict must give exactly what
checking the text itself gives."""

from __future__ import annotations

import itertools
import string

from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

import brandguard
from delivery.services import text_guard
from delivery.services.rendering import CODE_LENGTH, Rendered, new_code, render
from delivery.services.text_guard import guard_rendered

WORDS = ["Acme", "Outdoors:", "your", "cart", "is", "waiting", "FREE", "SALE", "!!", "now",
         "Reply", "STOP", "to", "opt", "out", "congrats", "you", "won", "a", "prize",
         "guaranteed", "sexy", "beer", "act", "last", "chance", "account", "suspended",
         "Text", "HELP", "for", "help.", "Msg&data", "rates", "may", "apply.", "😀", "Zoë",
         "code", "expires", "in", "5", "min", "acme.co/deals", "bit.ly/x", "$$", "www"]
BANNED = ["sexy", "guaranteed", "abcdefghij", "7q7q7q7q7q", "xx/l/"]
TEMPLATES = st.lists(st.sampled_from(WORDS + ["{first_name}", "{link}", "{link}!",
                                              "({link})"]), min_size=1, max_size=14)
VALUES = st.one_of(st.sampled_from(WORDS), st.text(
    st.sampled_from(string.ascii_letters + string.digits + " !.'’$/"), max_size=12))
LINKS = st.sampled_from(["https://acme.co/cart/123", "https://shop.acme.co/x?y=1",
                         "https://evil.example/win", "https://bit.ly/abc"])
ALNUM = string.ascii_letters + string.digits
CODES = st.one_of(
    st.text(st.sampled_from(ALNUM), min_size=CODE_LENGTH, max_size=CODE_LENGTH),
    st.sampled_from(["ABCDEFGHIJ", "abcdefghij", "GUARANTEED", "2125550123", "7q7q7q7q7q",
                     "SEXYSEXYSE", "0000000000", "XXXXXXXXXX"]),
)
BASES = st.sampled_from(["http://127.0.0.1:8000", "https://go.acme.co", "http://localhost:8000",
                         "https://acme.co/s", "https://bit.ly"])
_keys = itertools.count()


def with_codes(rendered: Rendered, codes: list[str]) -> Rendered:
    """`rendered` with its codes replaced, in order (the same shape, other codes)."""
    text, links = rendered.text, {}
    for old, new in zip(rendered.links, codes, strict=False):
        text = text.replace(f"/l/{old}", f"/l/{new}", 1)
        links[new] = rendered.links[old]
    return Rendered(text, links, rendered.shape)


def policy_of(required: bool, overrides: bool) -> brandguard.Policy:
    return brandguard.Policy(
        brand_name="Acme Outdoors", banned_phrases=BANNED, allowed_link_domains=["acme.co"],
        required_phrases=["Reply STOP"] if required else [], website_domain="acme.co",
        support_contact="help@acme.example", max_segments=2,
        severity_overrides={"ALL_CAPS": "block", "LINK_DOMAIN": "off"} if overrides else {},
        merge_fields={"first_name": brandguard.MergeField(12)})


@settings(max_examples=300, deadline=None)
@given(template=TEMPLATES, name=VALUES, link=LINKS, base=BASES, first=st.booleans(),
       required=st.booleans(), overrides=st.booleans(),
       code_sets=st.lists(st.lists(CODES, min_size=3, max_size=3), min_size=3, max_size=3))
def test_a_reused_verdict_is_the_full_checks_verdict(template, name, link, base, first,
                                                      required, overrides, code_sets):
    policy, key = policy_of(required, overrides), ("test", next(_keys))
    merge = {"first_name": name, "link": link}
    with override_settings(SHORT_LINK_BASE_URL=base):
        rendered = render(" ".join(template), merge)
        for codes in code_sets:  # the first fills the memo, the second proves it, then reuse
            other = with_codes(rendered, codes)
            if len(other.links) < len(rendered.links):
                continue  # the same code twice in one text: render never does that
            memoised = guard_rendered(other, policy, first_message=first, policy_key=key)
            full = guard_rendered(other, policy, first_message=first)
            assert memoised == full


def test_one_shape_is_checked_in_full_until_its_links_are_shown_to_hold_their_codes():
    policy, key = policy_of(False, False), ("test", next(_keys))
    template = "Acme Outdoors: {first_name}, your cart is waiting {link} Reply STOP to opt out"
    merge = {"first_name": "Sam", "link": "https://acme.co/cart/1"}
    with override_settings(SHORT_LINK_BASE_URL="https://go.acme.co"):
        texts = [render(template, merge) for _ in range(3)]
        results = [guard_rendered(t, policy, first_message=True, policy_key=key) for t in texts]
    entries = [e for k, e in text_guard._VERDICTS.items() if k[0] == key]
    assert len(entries) == 1 and entries[0].reusable is True
    assert all(r.passed and r.encoding == "GSM-7" and r.segments == 1 for r in results)
    assert len({t.text for t in texts}) == 3  # three codes, one verdict


def test_a_link_brandguard_cannot_read_as_one_is_never_reused():
    policy, key = policy_of(False, False), ("test", next(_keys))
    merge = {"first_name": "Sam", "link": "https://acme.co/cart/1"}
    with override_settings(SHORT_LINK_BASE_URL="http://localhost:8000"):  # no dot: no link
        for _ in range(3):
            guard_rendered(render("Hi {first_name} {link}", merge), policy,
                           first_message=False, policy_key=key)
    entries = [e for k, e in text_guard._VERDICTS.items() if k[0] == key]
    assert [e.reusable for e in entries] == [False]


@given(st.integers(0, 50))
def test_codes_are_ten_characters_of_letters_and_digits(_):
    code = new_code()
    assert len(code) == CODE_LENGTH and set(code) <= set(ALNUM)
