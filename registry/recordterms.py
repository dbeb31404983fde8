"""The terms of a licence record (docs/data-model.md), each IRI named once: registry/rdfmap.py
writes them (as N-Quads text), publishing/rdfinput.py reads uploaded RDF with them."""

from __future__ import annotations

import pyoxigraph as ox

from registry.namespaces import (
    ADMS,
    CLC,
    CV,
    DCT,
    FOAF,
    LEGAL,
    LOCN,
    PERSON,
    PROV,
    RDF,
    SCHEMA,
    SKOS,
    SPDX,
)

TYPE = RDF.type

# Classes
EVIDENCE = CV.Evidence
GOVERNMENT_PERMIT = SCHEMA.GovernmentPermit
LEGAL_ENTITY = LEGAL.LegalEntity
NATURAL_PERSON = PERSON.Person
ACTIVITY = PROV.Activity
SHA256 = SPDX.checksumAlgorithm_sha256

# The licence
IDENTIFIER = ADMS.identifier
NOTATION = SKOS.notation
DCT_IDENTIFIER = DCT.identifier
CONFORMS_TO = DCT.conformsTo
ISSUED_BY = SCHEMA.issuedBy
PUBLISHER = DCT.publisher              # read as ISSUED_BY
VALID_FROM = SCHEMA.validFrom
ISSUED = DCT.issued                    # read as VALID_FROM
VALID_UNTIL = SCHEMA.validUntil
STATUS = ADMS.status
STATUS_REASON = CLC.statusReason
SUBJECT = DCT.subject
CONDITIONS = CLC.conditions
REQUIRES = DCT.requires                # another licence this one depends on (its IRI)
# The holder and the premises
LEGAL_NAME = LEGAL.legalName
NAME = FOAF.name
ADDRESS = LOCN.address
FULL_ADDRESS = LOCN.fullAddress
ADMIN_UNIT = LOCN.adminUnitL1
# The document
DOCUMENT = CLC.document
URL = SCHEMA.url
FORMAT = DCT.format
CHECKSUM = SPDX.checksum
ALGORITHM = SPDX.algorithm
CHECKSUM_VALUE = SPDX.checksumValue
ACCESS = DCT.accessRights
LOGIN = CLC.loginPage
# Set by the register on commit
VERSION = CLC.version
RECORD_DIGEST = CLC.recordDigest
MODIFIED = DCT.modified
WAS_GENERATED_BY = PROV.wasGeneratedBy
WAS_ASSOCIATED_WITH = PROV.wasAssociatedWith
IS_PART_OF = DCT.isPartOf
PREVIOUS_STATUS = CLC.previousStatus
SUPERSEDED_BY_VERSION = CLC.supersededByVersion    # in a replaced record (…/version/N) only
STATUS_COUNTER = CLC.statusCounter    # its fixed status-list position (registry/statusstore.py)
LOG_INDEX = CLC.logIndex            # its entry in the Merkle log (registry/logstore.py)


def by_name() -> dict[str, ox.NamedNode]:
    """Every term above by its name here (TYPE, LEGAL_NAME, …)."""
    return {name: term for name, term in globals().items() if isinstance(term, ox.NamedNode)}
