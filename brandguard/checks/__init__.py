"""One module per family of rules; each exposes CHECKS, run in the order listed here."""

from brandguard.checks import (
    compliance,
    content,
    length,
    links,
    merge_fields,
    phrases,
    shaft,
    spam,
    tone,
)

ALL_CHECKS = (
    *compliance.CHECKS,
    *links.CHECKS,
    *shaft.CHECKS,
    *content.CHECKS,
    *spam.CHECKS,
    *length.CHECKS,
    *phrases.CHECKS,
    *merge_fields.CHECKS,
    *tone.CHECKS,
)
