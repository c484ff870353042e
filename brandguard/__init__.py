"""brandguard: an exact, explainable guard engine for SMS copy.

The pure engine (this package minus models/admin/services) needs no Django: importing
``brandguard`` never touches the ORM, so copygen, delivery and the benchmark can use it
directly.
"""

from brandguard.engine import check
from brandguard.policy import MergeField, MessageContext, Policy
from brandguard.report import Driver, Edit, Finding, Report, ToneScore
from brandguard.rules import RULES, RuleSpec, Severity, Tier

__all__ = [
    "RULES",
    "Driver",
    "Edit",
    "Finding",
    "MergeField",
    "MessageContext",
    "Policy",
    "Report",
    "RuleSpec",
    "Severity",
    "Tier",
    "ToneScore",
    "check",
]
