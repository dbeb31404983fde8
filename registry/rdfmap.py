"""A checked licence record as RDF (docs/data-model.md), written straight as N-Quads lines.

Every quad costs about 4 µs and 0.5 KB when a batch is stored, so the record says each thing
once: no duplicate properties (dct:issued beside schema:validFrom) and no class statements
that the property already implies (a `clc:document` object is a document).

Building text instead of term objects keeps mapping at a few microseconds a licence. It is safe
because every IRI here is assembled from checked parts (codes, canonical numbers, https URLs
without IRI-forbidden characters) and every literal goes through `_literal`, which escapes it as
N-Quads requires; pyoxigraph parses the result strictly when it is stored.
"""

from __future__ import annotations

import hashlib

from . import identifiers
from . import namespaces as ns
from .records import LicenceRecord

# Namespace IRIs are spelled once, in registry/namespaces.py.
_CLC, _XSD = str(ns.CLC), str(ns.XSD)
_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_P = {  # predicate → its N-Quads form
    name: f"<{iri}>" for name, iri in {
        "identifier": "http://www.w3.org/ns/adms#identifier",
        "notation": "http://www.w3.org/2004/02/skos/core#notation",
        "dct_identifier": "http://purl.org/dc/terms/identifier",
        "conformsTo": "http://purl.org/dc/terms/conformsTo",
        "issuedBy": "https://schema.org/issuedBy",
        "validFrom": "https://schema.org/validFrom",
        "validUntil": "https://schema.org/validUntil",
        "status": "http://www.w3.org/ns/adms#status",
        "statusReason": _CLC + "statusReason",
        "subject": "http://purl.org/dc/terms/subject",
        "legalName": "http://www.w3.org/ns/legal#legalName",
        "name": "http://xmlns.com/foaf/0.1/name",
        "address": "http://www.w3.org/ns/locn#address",
        "fullAddress": "http://www.w3.org/ns/locn#fullAddress",
        "adminUnitL1": "http://www.w3.org/ns/locn#adminUnitL1",
        "conditions": _CLC + "conditions",
        "document": _CLC + "document",
        "url": "https://schema.org/url",
        "format": "http://purl.org/dc/terms/format",
        "checksum": "http://spdx.org/rdf/terms#checksum",
        "algorithm": "http://spdx.org/rdf/terms#algorithm",
        "checksumValue": "http://spdx.org/rdf/terms#checksumValue",
        "accessRights": "http://purl.org/dc/terms/accessRights",
        "loginPage": _CLC + "loginPage",
        "version": _CLC + "version",
        "recordDigest": _CLC + "recordDigest",
        "modified": "http://purl.org/dc/terms/modified",
        "wasGeneratedBy": "http://www.w3.org/ns/prov#wasGeneratedBy",
        "wasAssociatedWith": "http://www.w3.org/ns/prov#wasAssociatedWith",
        "isPartOf": "http://purl.org/dc/terms/isPartOf",
        "previousStatus": _CLC + "previousStatus",
    }.items()
}
_C = {  # classes
    name: f"<{iri}>" for name, iri in {
        "Evidence": "http://data.europa.eu/m8g/Evidence",
        "GovernmentPermit": "https://schema.org/GovernmentPermit",
        "LegalEntity": "http://www.w3.org/ns/legal#LegalEntity",
        "Person": "http://www.w3.org/ns/person#Person",
        "Activity": "http://www.w3.org/ns/prov#Activity",
    }.items()
}
_SHA256 = "<http://spdx.org/rdf/terms#checksumAlgorithm_sha256>"
_STATUS, _ACCESS = str(ns.CLCSTATUS), str(ns.CLCACCESS)


def _literal(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"')
               .replace("\n", "\\n").replace("\r", "\\r"))
    if lang:
        return f'"{escaped}"@{lang}'
    if datatype:
        return f'"{escaped}"^^<{_XSD}{datatype}>'
    return f'"{escaped}"'


def content_lines(rec: LicenceRecord, base: str, public_register: bool) -> list[str]:
    """The record's own statements (without version metadata), one N-Quads line each."""
    key = rec.key
    iri = identifiers.licence_iri(base, key)
    L = f"<{iri}>"
    g = f" <{identifiers.licence_graph_iri(base, key)}> ."
    agency = f"<{identifiers.agency_iri(base, key.issuer)}>"
    out = [
        f"{L} {_RDF_TYPE} {_C['Evidence']}{g}",
        f"{L} {_RDF_TYPE} {_C['GovernmentPermit']}{g}",
        f"{L} {_P['identifier']} <{iri}#identifier>{g}",
        f"<{iri}#identifier> {_P['notation']} {_literal(rec.printed_number)}{g}",
        f"{L} {_P['dct_identifier']} {_literal(key.number)}{g}",
        f"{L} {_P['conformsTo']} <{identifiers.licence_type_iri(base, key.type)}>{g}",
        f"{L} {_P['issuedBy']} {agency}{g}",
        f"{L} {_P['validFrom']} {_literal(rec.issued.isoformat(), datatype='date')}{g}",
        f"{L} {_P['status']} <{_STATUS}{rec.status}>{g}",
    ]
    add = out.append
    if rec.valid_until:
        add(f"{L} {_P['validUntil']} {_literal(rec.valid_until.isoformat(), datatype='date')}{g}")
    if rec.status_reason:
        add(f"{L} {_P['statusReason']} {_literal(rec.status_reason, 'th')}{g}")
    if rec.holder_type == "juristic":
        H = f"<{base}/id/juristic-person/{rec.holder_id}>"
        add(f"{L} {_P['subject']} {H}{g}")
        add(f"{H} {_RDF_TYPE} {_C['LegalEntity']}{g}")
        add(f"{H} {_P['dct_identifier']} {_literal(rec.holder_id)}{g}")
        name_predicate = _P["legalName"]
    else:
        # A natural person: never identified by their ID; named only on public registers.
        H = f"<{iri}#holder>"
        add(f"{L} {_P['subject']} {H}{g}")
        add(f"{H} {_RDF_TYPE} {_C['Person']}{g}")
        name_predicate = _P["name"] if public_register else None
    if name_predicate:
        if rec.holder_name:
            add(f"{H} {name_predicate} {_literal(rec.holder_name, 'th')}{g}")
        if rec.holder_name_en:
            add(f"{H} {name_predicate} {_literal(rec.holder_name_en, 'en')}{g}")
    if rec.premises_address or rec.province:
        P = f"<{iri}#premises>"
        add(f"{L} {_P['address']} {P}{g}")
        if rec.premises_address:
            add(f"{P} {_P['fullAddress']} {_literal(rec.premises_address, 'th')}{g}")
        if rec.province:
            add(f"{P} {_P['adminUnitL1']} {_literal(rec.province, 'th')}{g}")
    if rec.conditions:
        add(f"{L} {_P['conditions']} {_literal(rec.conditions, 'th')}{g}")
    # Whenever the record says anything of its document (validation refuses a checksum or
    # media type without a URL: clcshape:document-url-required), so nothing given is dropped.
    if (rec.document_url or rec.document_login_url or rec.document_sha256
            or rec.document_media_type):
        D = f"<{iri}#document>"
        add(f"{L} {_P['document']} {D}{g}")
        if rec.document_url:
            add(f"{D} {_P['url']} <{rec.document_url}>{g}")
        if rec.document_media_type:
            add(f"{D} {_P['format']} {_literal(rec.document_media_type)}{g}")
        add(f"{D} {_P['accessRights']} <{_ACCESS}{rec.document_access}>{g}")
        if rec.document_login_url:
            add(f"{D} {_P['loginPage']} <{rec.document_login_url}>{g}")
        if rec.document_sha256:
            C = f"<{iri}#checksum>"
            add(f"{D} {_P['checksum']} {C}{g}")
            add(f"{C} {_P['algorithm']} {_SHA256}{g}")
            add(f"{C} {_P['checksumValue']} {_literal(rec.document_sha256, datatype='hexBinary')}{g}")
    return out


def digest(lines: list[str]) -> str:
    """A fingerprint of a record's content, to tell an unchanged re-upload from an amendment."""
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def version_lines(rec: LicenceRecord, base: str, *, version: int, record_digest: str,
                  timestamp: str, agency: str, upload_iri: str, previous_status: str | None
                  ) -> list[str]:
    """Version metadata and the `prov:Activity` that made this version (SPEC §3 "every change").

    A new licence was made by its upload, whose activity already says who and when, so it points
    there. An amendment gets an activity of its own (`#change-N`) with what only it knows: the
    previous status and the reason.
    """
    iri = identifiers.licence_iri(base, rec.key)
    L = f"<{iri}>"
    g = f" <{identifiers.licence_graph_iri(base, rec.key)}> ."
    out = [
        f"{L} {_P['version']} {_literal(str(version), datatype='integer')}{g}",
        f"{L} {_P['recordDigest']} {_literal(record_digest)}{g}",
        f"{L} {_P['modified']} {_literal(timestamp, datatype='dateTime')}{g}",
    ]
    if previous_status is None:
        out.append(f"{L} {_P['wasGeneratedBy']} <{upload_iri}>{g}")
        return out
    A = f"<{iri}#change-{version}>"
    out += [
        f"{L} {_P['wasGeneratedBy']} {A}{g}",
        f"{A} {_RDF_TYPE} {_C['Activity']}{g}",
        f"{A} {_P['wasAssociatedWith']} <{identifiers.agency_iri(base, agency)}>{g}",
        f"{A} {_P['isPartOf']} <{upload_iri}>{g}",
        f"{A} {_P['previousStatus']} <{_STATUS}{previous_status}>{g}",
    ]
    if rec.status_reason:
        out.append(f"{A} {_P['statusReason']} {_literal(rec.status_reason, 'th')}{g}")
    return out
