"""Contact files (CSV or JSONL) to checked rows. Pure: no Django, no I/O beyond the text given.

Columns: phone, consent_status (granted | revoked | empty), consent_text or text_version +
text_sha256, consented_at (ISO 8601; a time without an offset is read as UTC), source_detail,
ip, user_agent. Every other column whose name can be a merge field (first_name, city…) is an
attribute. A row either becomes a `ContactRow` or a `RowError` with its line number: a bad row
never stops the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import ipaddress
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from delivery.phones import InvalidPhone, PhoneFacts, parse_phone

KNOWN = ("phone", "consent_status", "consent_text", "text_version", "text_sha256",
         "consented_at", "source_detail", "ip", "user_agent")
ALIASES = {"phone_number": "phone", "mobile": "phone", "mobile_phone": "phone",
           "sms_phone": "phone", "consent": "consent_status", "opted_in_at": "consented_at",
           "consent_date": "consented_at", "ip_address": "ip"}
ATTRIBUTE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_VALUE = 500
MAX_CONSENT_TEXT = 5000


class FileError(ValueError):
    """The file as a whole cannot be read (not CSV/JSONL, no phone column)."""


@dataclass(frozen=True, slots=True)
class ContactRow:
    line: int
    facts: PhoneFacts
    attributes: dict[str, str]
    status: str = ""  # granted | revoked | "" (no consent in this row)
    consent_text: str = ""
    text_version: str = ""
    text_sha256: str = ""
    occurred_at: datetime | None = None
    source_detail: str = ""
    ip: str | None = None
    user_agent: str = ""

    @property
    def phone(self) -> str:
        return self.facts.e164

    @property
    def proven(self) -> bool:
        return bool(self.consent_text or (self.text_version and self.text_sha256))


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    phone: str
    reason: str


@dataclass
class Mapping:
    """How each column of the file is read: a known field, an attribute or ignored."""

    columns: dict[str, str] = field(default_factory=dict)  # column -> field | attribute:x
    ignored: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str]]:
        return [*self.columns.items(), *((c, "ignored") for c in self.ignored)]


def detect_format(name: str, text: str) -> str:
    lowered = name.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lowered.endswith((".csv", ".txt")):
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def target_for(column: object) -> str | None:
    """The field a column feeds: a known name, `attribute:<name>`, or None (ignored)."""
    if not isinstance(column, str):
        return None
    key = column.strip().lower().replace(" ", "_").replace("-", "_")
    key = ALIASES.get(key, key)
    if key in KNOWN:
        return key
    return f"attribute:{key}" if ATTRIBUTE_RE.fullmatch(key) else None


def map_columns(headers: list[str]) -> Mapping:
    mapping = Mapping()
    for column in headers:
        target = target_for(column)
        if target is None:
            mapping.ignored.append(column)
        else:
            mapping.columns[column] = target
    if "phone" not in mapping.columns.values():
        raise FileError("no phone column (expected one named phone)")
    return mapping


def raw_rows(text: str, fmt: str) -> tuple[list[str], Iterator[tuple[int, dict | None]]]:
    """(headers, iterator of (line number, raw dict or None for an unreadable line))."""
    text = text.lstrip("\ufeff")  # Excel writes a byte-order mark
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        columns = list(reader.fieldnames or [])
        if not columns:
            raise FileError("the file is empty")

        def csv_rows() -> Iterator[tuple[int, dict | None]]:
            start = reader.line_num + 1
            for row in reader:
                yield start, row
                start = reader.line_num + 1
        return columns, csv_rows()
    lines = text.splitlines()
    headers: list[str] = []
    for line in lines:
        if line.strip():
            try:
                first = json.loads(line)
            except ValueError:
                raise FileError("line 1 is not a JSON object: is this a JSONL file?") from None
            headers = list(first) if isinstance(first, dict) else []
            break

    def json_rows() -> Iterator[tuple[int, dict | None]]:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                yield number, None
                continue
            yield number, value if isinstance(value, dict) else None
    return headers, json_rows()


def read(text: str, fmt: str, *, now: datetime) -> tuple[Mapping, Iterator[ContactRow | RowError]]:
    headers, rows = raw_rows(text, fmt)
    mapping = map_columns(headers)

    def checked() -> Iterator[ContactRow | RowError]:
        for line, raw in rows:
            if raw is None:
                yield RowError(line, "", "not a JSON object")
                continue
            yield check_row(line, raw, mapping, now=now)
    return mapping, checked()


def check_row(line: int, raw: dict, mapping: Mapping, *, now: datetime) -> ContactRow | RowError:
    values: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for column, value in raw.items():
        if column in mapping.columns:
            target: str | None = mapping.columns[column]
        else:  # a JSONL row may carry keys the first line did not have
            target = target_for(column)
        if target is None or value is None:
            continue
        text = str(value).strip()
        if "\x00" in text:
            return RowError(line, str(raw.get("phone", "")), f"{column} contains a NUL character")
        if target.startswith("attribute:"):
            if text:
                attributes[target.split(":", 1)[1]] = text[:MAX_VALUE]
        else:
            values[target] = text
    phone = values.get("phone", "")
    try:
        facts = parse_phone(phone)
    except InvalidPhone as exc:
        return RowError(line, phone, exc.message)
    try:
        return _consent(line, facts, attributes, values, now)
    except ValueError as exc:
        return RowError(line, phone, str(exc))


def _consent(line: int, facts: PhoneFacts, attributes: dict[str, str], values: dict[str, str],
             now: datetime) -> ContactRow:
    status = values.get("consent_status", "").lower()
    status = {"yes": "granted", "true": "granted", "opted_in": "granted", "subscribed": "granted",
              "no": "", "false": "", "none": "", "unsubscribed": "revoked",
              "opted_out": "revoked"}.get(status, status)
    if status not in ("", "granted", "revoked"):
        raise ValueError(f"consent_status must be granted or revoked, not {status!r}")
    consent_text = values.get("consent_text", "")
    if len(consent_text) > MAX_CONSENT_TEXT:
        raise ValueError(f"consent_text is longer than {MAX_CONSENT_TEXT} characters")
    sha = values.get("text_sha256", "").lower()
    if sha and not _SHA256_RE.fullmatch(sha):
        raise ValueError("text_sha256 must be 64 hexadecimal characters")
    if consent_text:
        digest = hashlib.sha256(consent_text.encode()).hexdigest()
        if sha and sha != digest:
            raise ValueError("text_sha256 is not the SHA-256 of consent_text")
        sha = digest
    occurred = _when(values.get("consented_at", ""), now) if status else None
    if status and occurred is None:
        raise ValueError("consented_at is required with a consent_status (the time is part "
                         "of the proof)")
    ip = values.get("ip") or None
    if ip is not None:
        try:
            ip = str(ipaddress.ip_address(ip))
        except ValueError:
            raise ValueError(f"ip {ip!r} is not an IP address") from None
    return ContactRow(line, facts, attributes, status, consent_text,
                      values.get("text_version", "")[:60], sha, occurred,
                      values.get("source_detail", "")[:MAX_VALUE], ip,
                      values.get("user_agent", "")[:MAX_VALUE])


def _when(value: str, now: datetime) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"consented_at {value!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment > now + timedelta(minutes=5):
        raise ValueError("consented_at is in the future")
    if moment.year < 2000:
        raise ValueError("consented_at is before 2000")
    return moment
