"""A checked licence record as RDF (docs/data-model.md), written straight as N-Quads lines.

Every quad costs about 4 µs and 0.5 KB when a batch is stored, so the record says each thing
once: no duplicate properties (dct:issued beside schema:validFrom) and no class statements
that the property already implies (a `clc:document` object is a document).

Building text instead of term objects keeps mapping at a few microseconds a licence. It is safe
because every IRI here is assembled from checked parts (codes, canonical numbers, https URLs
without IRI-forbidden characters) and every literal goes through `_literal`, which escapes it as
canonical N-Quads does (RDFC-1.0: controls too, not only what N-Quads requires); pyoxigraph
parses the result strictly when it is stored.
"""

from __future__ import annotations

import hashlib
import re

from registry import identifiers
from registry import namespaces as ns
from registry import recordterms as terms
from registry.records import LicenceRecord

# Namespace IRIs are spelled once, in registry/namespaces.py.
_XSD = str(ns.XSD)
# Each term's N-Quads form, from the one list of them (registry/recordterms.py).
_T = {name: str(term) for name, term in terms.by_name().items()}
_STATUS, _ACCESS = str(ns.CLCSTATUS), str(ns.CLCACCESS)


# Canonical N-Quads escapes (RDFC-1.0, as pyoxigraph writes them: ECHAR where N-Quads has one,
# else UCHAR in upper-case hex) for the controls N-Quads does not require escaping: so every
# line written here is canonical already but for its graph name, and the commit hashes a
# record's lines as they are (logleaf.record_hash). \n and \r are escaped before this applies.
CONTROL_ESCAPES = {c: f"\\u{c:04X}" for c in (*range(0x20), 0x7F)} | {
    0x08: "\\b", 0x09: "\\t", 0x0C: "\\f"}


def _literal(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"')
               .replace("\n", "\\n").replace("\r", "\\r"))
    if not escaped.isprintable():       # rare (a tab): and not only controls fail this test
        escaped = escaped.translate(CONTROL_ESCAPES)
    if lang:
        return f'"{escaped}"@{lang}'
    if datatype:
        return f'"{escaped}"^^<{_XSD}{datatype}>'
    return f'"{escaped}"'


def _optional(text: str, lang: str | None = None) -> str:
    """A text's literal; "" (nothing to say) for no text."""
    return text and _literal(text, lang)


def _iri(url: str) -> str:
    """A URL's IRI term; "" (nothing to say) for no URL."""
    return url and f"<{url}>"


def _part(subject: str, link: str, part: str, g: str, values: list[tuple[str, str]]) -> list[str]:
    """A part node (`#premises`, `#document`, `#checksum`): `subject link part`, then the part's
    (predicate, object) values in order, those with nothing to say ("") left out."""
    lines = [f"{subject} {link} {part}{g}"]
    for predicate, value in values:
        if value:
            lines.append(f"{part} {predicate} {value}{g}")
    return lines


def content_lines(rec: LicenceRecord, base: str, public_register: bool) -> list[str]:
    """The record's own statements (without version metadata), one N-Quads line each."""
    key = rec.key
    iri = identifiers.licence_iri(base, key)
    L = f"<{iri}>"
    g = f" <{identifiers.licence_graph_iri(base, key)}> ."
    agency = f"<{identifiers.agency_iri(base, key.issuer)}>"
    number = f"<{identifiers.licence_part_iri(iri, 'identifier')}>"
    out = [
        f"{L} {_T['TYPE']} {_T['EVIDENCE']}{g}",
        f"{L} {_T['TYPE']} {_T['GOVERNMENT_PERMIT']}{g}",
        f"{L} {_T['IDENTIFIER']} {number}{g}",
        f"{number} {_T['NOTATION']} {_literal(rec.printed_number)}{g}",
        f"{L} {_T['DCT_IDENTIFIER']} {_literal(key.number)}{g}",
        f"{L} {_T['CONFORMS_TO']} <{identifiers.licence_type_iri(base, key.type)}>{g}",
        f"{L} {_T['ISSUED_BY']} {agency}{g}",
        f"{L} {_T['VALID_FROM']} {_literal(rec.issued.isoformat(), datatype='date')}{g}",
        f"{L} {_T['STATUS']} <{_STATUS}{rec.status}>{g}",
    ]
    add = out.append
    if rec.valid_until:
        add(f"{L} {_T['VALID_UNTIL']} {_literal(rec.valid_until.isoformat(), datatype='date')}{g}")
    if rec.status_reason:
        add(f"{L} {_T['STATUS_REASON']} {_literal(rec.status_reason, 'th')}{g}")
    name_predicate: str | None
    if rec.holder_type == "juristic":
        H = f"<{identifiers.juristic_person_iri(base, rec.holder_id)}>"
        add(f"{L} {_T['SUBJECT']} {H}{g}")
        add(f"{H} {_T['TYPE']} {_T['LEGAL_ENTITY']}{g}")
        add(f"{H} {_T['DCT_IDENTIFIER']} {_literal(rec.holder_id)}{g}")
        name_predicate = _T["LEGAL_NAME"]
    else:
        # A natural person: never identified by their ID; named only on public registers.
        H = f"<{identifiers.licence_part_iri(iri, 'holder')}>"
        add(f"{L} {_T['SUBJECT']} {H}{g}")
        add(f"{H} {_T['TYPE']} {_T['NATURAL_PERSON']}{g}")
        name_predicate = _T["NAME"] if public_register else None
    if name_predicate:
        if rec.holder_name:
            add(f"{H} {name_predicate} {_literal(rec.holder_name, 'th')}{g}")
        if rec.holder_name_en:
            add(f"{H} {name_predicate} {_literal(rec.holder_name_en, 'en')}{g}")
    if rec.premises_address or rec.province:
        out += _part(L, _T["ADDRESS"], f"<{identifiers.licence_part_iri(iri, 'premises')}>", g,
                     [(_T["FULL_ADDRESS"], _optional(rec.premises_address, "th")),
                      (_T["ADMIN_UNIT"], _optional(rec.province, "th"))])
    if rec.conditions:
        add(f"{L} {_T['CONDITIONS']} {_literal(rec.conditions, 'th')}{g}")
    for required in rec.related_licences:
        add(f"{L} {_T['REQUIRES']} <{identifiers.licence_iri(base, required)}>{g}")
    # Whenever the record says anything of its document, so nothing given is dropped: a
    # checksum without a URL (the agency does not host the file) still lets /verify find the
    # licence from the copy its holder has.
    if (rec.document_url or rec.document_login_url or rec.document_sha256
            or rec.document_media_type):
        D = f"<{identifiers.licence_part_iri(iri, 'document')}>"
        out += _part(L, _T["DOCUMENT"], D, g,
                     [(_T["URL"], _iri(rec.document_url)),
                      (_T["FORMAT"], _optional(rec.document_media_type)),
                      (_T["ACCESS"], f"<{_ACCESS}{rec.document_access}>"),
                      (_T["LOGIN"], _iri(rec.document_login_url))])
        if rec.document_sha256:
            value = _literal(rec.document_sha256, datatype="hexBinary")
            out += _part(D, _T["CHECKSUM"], f"<{identifiers.licence_part_iri(iri, 'checksum')}>", g,
                         [(_T["ALGORITHM"], _T["SHA256"]), (_T["CHECKSUM_VALUE"], value)])
    return out


def legacy_digest(lines: list[str]) -> str:
    """The fingerprint (`clc:recordDigest`) versions stored before the public log carry: the
    SHA-256 of the record's sorted N-Quads lines, written as `_literal` wrote them then (every
    control raw but line feed and return). New versions carry `logleaf.record_hash`; the commit
    still tells an old version unchanged by this one (only when the new one differs)."""
    return hashlib.sha256("\n".join(sorted(map(_as_before, lines))).encode()).hexdigest()


_LEGACY_ESCAPE = re.compile(r"\\(u00[01][0-9A-F]|u007F|[btf]|.)")
_LEGACY_CHARS = {"b": "\b", "t": "\t", "f": "\f"}


def _as_before(line: str) -> str:
    """A line with the control escapes `_literal` did not write before the log made raw again
    (escapes are read left to right, so an escaped backslash before a `t` stays as it is)."""
    if "\\" not in line:
        return line

    def raw(escape: re.Match[str]) -> str:
        code = escape.group(1)
        if code in _LEGACY_CHARS:
            return _LEGACY_CHARS[code]
        if len(code) == 5 and code not in ("u000A", "u000D"):
            return chr(int(code[1:], 16))
        return escape.group(0)

    return _LEGACY_ESCAPE.sub(raw, line)


def superseded_line(licence_iri: str, next_version: int, version_graph: str) -> str:
    """The mark a replaced record carries in its `…/version/N` graph: the version that replaced
    it. Current records never carry it, so queries leave old versions out by it cheaply
    (docs/sparql-examples.md)."""
    return (f"<{licence_iri}> {_T['SUPERSEDED_BY_VERSION']} "
            f"{_literal(str(next_version), datatype='integer')} <{version_graph}> .")


def version_lines(rec: LicenceRecord, base: str, *, version: int, record_digest: str | None,
                  timestamp: str, agency: str, upload_iri: str, previous_status: str | None
                  ) -> list[str]:
    """Version metadata and the `prov:Activity` that made this version (SPEC §3 "every change").

    A new licence was made by its upload, whose activity already says who and when, so it points
    there. An amendment gets an activity of its own (`#change-N`) with what only it knows: the
    previous status and the reason.

    `record_digest` None: no `clc:recordDigest` — the commit's versions name their log entry
    instead (`clc:logIndex`), whose leaf holds the record's hash; a fingerprint of its own is
    written only where there is no log (tools, benchmarks of the register before it).
    """
    iri = identifiers.licence_iri(base, rec.key)
    L = f"<{iri}>"
    g = f" <{identifiers.licence_graph_iri(base, rec.key)}> ."
    out = [f"{L} {_T['VERSION']} {_literal(str(version), datatype='integer')}{g}"]
    if record_digest is not None:
        out.append(f"{L} {_T['RECORD_DIGEST']} {_literal(record_digest)}{g}")
    out.append(f"{L} {_T['MODIFIED']} {_literal(timestamp, datatype='dateTime')}{g}")
    if previous_status is None:
        out.append(f"{L} {_T['WAS_GENERATED_BY']} <{upload_iri}>{g}")
        return out
    A = f"<{iri}#change-{version}>"
    out += [
        f"{L} {_T['WAS_GENERATED_BY']} {A}{g}",
        f"{A} {_T['TYPE']} {_T['ACTIVITY']}{g}",
        f"{A} {_T['WAS_ASSOCIATED_WITH']} <{identifiers.agency_iri(base, agency)}>{g}",
        f"{A} {_T['IS_PART_OF']} <{upload_iri}>{g}",
        f"{A} {_T['PREVIOUS_STATUS']} <{_STATUS}{previous_status}>{g}",
    ]
    if rec.status_reason:
        out.append(f"{A} {_T['STATUS_REASON']} {_literal(rec.status_reason, 'th')}{g}")
    return out
