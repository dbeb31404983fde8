"""Related licences (SPEC §13, issue 16): the licences a licence depends on, `dct:requires`.

A cell of the `related_licences` column (or a JSON/RDF upload's values, joined by the readers)
names each required licence by its IRI (`{BASE}/id/licence/…`, Unicode or percent-encoded) or
as `issuer/type/number`, where issuer and type are the first two segments and the number is the
rest (it may hold `/`: `dbd/factory-licence/123/2567`). Several are separated by `;`, `|` or a
new line. Numbers are canonicalised (SPEC §2), so every way of writing one leads to one key.

Checked here, row by row: each reference is well formed (`related-licence-reference`) and is not
the licence itself (`related-licence-self`). That each exists — in the register's current
licences or in the same batch (`related-licence-exists`) — needs the store: `missing_targets`
says which keys to look up, `missing_problems` words what was not found
(publishing/service.py does the one batched lookup).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from registry import identifiers
from registry.problems import Problem, problem
from registry.records import LicenceRecord

FIELD = "related_licences"
SEPARATORS = re.compile(r"[;|\r\n]+")


def split_references(text: str) -> list[str]:
    """The references of one cell, trimmed, empty ones left out."""
    return [part.strip() for part in SEPARATORS.split(text or "") if part.strip()]


def parse_reference(reference: str, base: str) -> identifiers.LicenceKey:
    """The key a reference names. Raises InvalidCode, InvalidNumber or UnicodeDecodeError."""
    if "://" in reference and not base:
        # No base known (`licence-registry validate` checks files without a register): any
        # register's licence IRI is read by its path; publishing always knows its base.
        _scheme, found, path = reference.partition("/id/licence/")
        if not found:
            raise identifiers.InvalidCode(f"{reference!r} is not a licence IRI.")
        return identifiers.parse_licence_path(path)
    if "://" in reference:
        return identifiers.parse_licence_iri(base, reference)
    return identifiers.parse_licence_path(reference)


def read_references(row: int | str, text: str, base: str,
                    own: identifiers.LicenceKey | None
                    ) -> tuple[tuple[identifiers.LicenceKey, ...], list[Problem]]:
    """(the distinct keys a cell names, in order; the problems of its references). `own` is
    the row's own key when it is known (a reference to it is `related-licence-self`)."""
    keys: dict[identifiers.LicenceKey, None] = {}
    problems: list[Problem] = []
    for reference in split_references(text):
        shown = reference[:200]
        try:
            key = parse_reference(reference, base)
        except (identifiers.InvalidCode, identifiers.InvalidNumber, UnicodeDecodeError):
            where = f"{base or '{BASE}'}/id/licence/…"
            problems.append(problem(
                row, FIELD, "related-licence-reference",
                f"Got {shown!r}. Write the licence's link ({where}) or issuer/type/number.",
                f"ค่าที่ได้รับ {shown!r} ให้ระบุลิงก์ของใบอนุญาต ({where}) "
                "หรือ หน่วยงาน/ประเภท/เลขที่"))
            continue
        if own is not None and key == own:
            problems.append(problem(row, FIELD, "related-licence-self",
                                    f"Got {shown!r}, which is this licence ({own.path}).",
                                    f"ค่าที่ได้รับ {shown!r} คือใบอนุญาตฉบับนี้เอง ({own.path})"))
            continue
        keys.setdefault(key)
    return tuple(keys), problems


def missing_targets(records: Iterable[LicenceRecord]) -> set[identifiers.LicenceKey]:
    """The required licences that are not in the batch itself: the store must have them."""
    records = list(records)
    in_batch = {rec.key for rec in records}
    return {key for rec in records for key in rec.related_licences if key not in in_batch}


def missing_problems(records: Iterable[LicenceRecord], missing: set[identifiers.LicenceKey],
                     base: str) -> list[Problem]:
    """One `related-licence-exists` violation per reference to a licence in `missing`."""
    found = []
    for rec in records:
        for key in rec.related_licences:
            if key in missing:
                iri = identifiers.licence_iri(base, key)
                found.append(problem(
                    rec.row, FIELD, "related-licence-exists",
                    f"{key.path} ({iri}) is neither in the register nor in this upload.",
                    f"ไม่พบ {key.path} ({iri}) ทั้งในทะเบียนและในข้อมูลที่นำเข้าชุดนี้"))
    return found
