"""Checking a licence credential someone hands us (SPEC §11, issue 14 item 4): its proof, its
issuer, its revocation and suspension bits, and its effective status at a given moment.

The checks, in order, each failing with a stable problem code (registry/credentialwords.py
gives each one's words in Thai and English):

1. the credential's proof (registry/dataintegrity.py `verify`) against the assertion methods
   of the register's DID document: only Multikey keys the document lists under
   `assertionMethod`, whose id is the document's DID followed by '#';
2. the credential's `issuer` is that DID;
3. each `credentialStatus` entry (a BitstringStatusListEntry for `revocation` and one for
   `suspension`): its status list credential is taken from the source (never from the
   network), its proof checked the same way, its issuer the same DID, its `id` the URL the
   entry names, its `statusPurpose` the entry's; the list is decoded (bounded,
   registry/statuslist.py) and the bit at the entry's index read;
4. the effective status: `revoked` if the revocation bit is set, else `suspended` if the
   suspension bit is, else `expired` when `validUntil` is before `now`, else `not-yet-valid`
   when `validFrom` is after it, else `active`. Anything that stops the status being known
   makes it `unknown`.

Where the DID document and the status lists come from is a `CredentialSource`: the register's
own store (`IssuerSource`, through the CredentialIssuer that signs them) or a bundle folder
made by `licence-registry credential-bundle` (`BundleSource`, registry/credentialbundle.py).
Contexts come only from the bundled loader: nothing is fetched. The clock is the caller's.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from registry import dataintegrity, statuslist
from registry.credentialwords import problem_words, status_words
from registry.jsonldcontexts import DocumentLoader
from registry.signingkeys import SigningKeyError

ENTRY_TYPE = "BitstringStatusListEntry"
LIST_TYPE = "BitstringStatusListCredential"
# The register's credentials carry two entries; a stranger's with many more would make us
# decode many lists.
MAX_STATUS_ENTRIES = 4
MAX_TEXT = 300                      # longest subject text kept for the summary
_LIST_PATH = re.compile(r"/status/(revocation|suspension)/(\d{1,9})")
# xsd:dateTime with seconds and a time zone (what VC 2.0 asks of validFrom and validUntil).
_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)")


class CredentialSource(Protocol):
    """Where the register's DID document and signed status lists come from."""

    did: str
    loader: DocumentLoader

    def did_document(self) -> dict | None: ...

    def status_list(self, url: str) -> Any:
        """The status list credential at `url` (parsed JSON), or None when there is none."""


def list_address(base: str, url: str) -> tuple[str, int] | None:
    """(purpose, n) of a status list URL under `base`; None for any other URL."""
    prefix = base.rstrip("/")
    if not isinstance(url, str) or not url.startswith(prefix + "/status/"):
        return None
    found = _LIST_PATH.fullmatch(url[len(prefix):])
    return (found.group(1), int(found.group(2))) if found else None


class IssuerSource:
    """The register's own store, through its signer (what the register would serve)."""

    def __init__(self, issuer: Any):       # a registry.credentialissue.CredentialIssuer
        self.issuer = issuer
        self.did = issuer.did
        self.loader = issuer.loader

    def did_document(self) -> dict | None:
        try:
            return self.issuer.did_document()
        except (SigningKeyError, OSError):        # no key file: nothing the register signed
            return None

    def status_list(self, url: str) -> Any:
        address = list_address(self.issuer.base, url)
        if address is None:
            return None
        try:
            issued = self.issuer.status_list_credential(*address)
        except (SigningKeyError, OSError):
            return None
        return None if issued is None else json.loads(issued.body)


@dataclass(frozen=True)
class Problem:
    """One thing wrong, by its stable code; `detail` is the technical reason (English)."""

    code: str
    detail: str = ""

    @property
    def th(self) -> str:
        return problem_words(self.code)[0]

    @property
    def en(self) -> str:
        return problem_words(self.code)[1]

    def as_json(self) -> dict:
        return {"code": self.code, "th": self.th, "en": self.en, "detail": self.detail}


@dataclass(frozen=True)
class LicenceSummary:
    """What the credential says the licence is (its credentialSubject), as plain text."""

    iri: str = ""
    number: str = ""
    licence_type: str = ""
    issuer: str = ""
    holder: str = ""

    def as_json(self) -> dict:
        return {"iri": self.iri, "number": self.number, "licence_type": self.licence_type,
                "issued_by": self.issuer, "holder": self.holder}


@dataclass(frozen=True)
class CheckResult:
    verified: bool                           # the credential's proof and issuer are the register's
    effective_status: str                    # a key of credentialwords.STATUS_WORDS
    checked: dt.datetime
    licence: LicenceSummary = field(default_factory=LicenceSummary)
    problems: tuple[Problem, ...] = ()
    verification_method: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None

    @property
    def complete(self) -> bool:
        """Verified, and the status known."""
        return self.verified and self.effective_status != "unknown"

    @property
    def status_th(self) -> str:
        return status_words(self.effective_status)[0]

    @property
    def status_en(self) -> str:
        return status_words(self.effective_status)[1]

    def as_json(self) -> dict:
        return {"verified": self.verified, "effective_status": self.effective_status,
                "status_words": {"th": self.status_th, "en": self.status_en},
                "licence": self.licence.as_json(),
                "valid_from": self.valid_from, "valid_until": self.valid_until,
                "verification_method": self.verification_method,
                "problems": [p.as_json() for p in self.problems],
                "checked": self.checked.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def parse_credential(text: str | bytes) -> tuple[Any, Problem | None]:
    """The JSON of a credential, or the problem (not-json, too-large, not-a-credential)."""
    if len(text) > dataintegrity.MAX_DOCUMENT_CHARS * 4:
        return None, Problem("too-large", f"larger than {dataintegrity.MAX_DOCUMENT_CHARS} "
                             "characters")
    try:
        document = json.loads(text, parse_int=_bounded_int, parse_constant=_refuse_constant)
    except RecursionError:
        return None, Problem("not-a-credential", "nested too deeply")
    except (ValueError, UnicodeDecodeError) as exc:
        return None, Problem("not-json", str(exc)[:200])
    if not isinstance(document, dict):
        return None, Problem("not-a-credential", "a credential is a JSON object")
    return document, None


def _bounded_int(text: str) -> int:
    if len(text) > 30:                  # int() of a huge digit string is slow
        raise ValueError(f"a number of {len(text)} digits")
    return int(text)


def _refuse_constant(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


# --- keys -------------------------------------------------------------------------------------

def assertion_keys(did_document: Any, did: str) -> dict[str, bytes]:
    """Verification method id → raw Ed25519 public key, for the Multikeys the DID document
    `did` lists under assertionMethod (and only those whose id is `did#…`)."""
    if not isinstance(did_document, dict) or did_document.get("id") != did:
        return {}
    methods = did_document.get("verificationMethod")
    asserted = did_document.get("assertionMethod")
    if not isinstance(methods, list) or not isinstance(asserted, list):
        return {}
    named = {m for m in asserted if isinstance(m, str)}
    keys: dict[str, bytes] = {}
    for method in [*methods, *(m for m in asserted if isinstance(m, dict))]:
        if not isinstance(method, dict) or method.get("type") != "Multikey":
            continue
        method_id = method.get("id")
        if not isinstance(method_id, str) or not method_id.startswith(did + "#"):
            continue
        if method not in asserted and method_id not in named:
            continue
        try:
            keys[method_id] = dataintegrity.decode_public_multikey(
                str(method.get("publicKeyMultibase")))
        except dataintegrity.DataIntegrityError:
            continue
    return keys


def _issuer_of(document: dict) -> Any:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _proof_problem(document: dict, did: str, keys: dict[str, bytes], loader: DocumentLoader,
                   other_issuer: str) -> tuple[Problem | None, str | None]:
    """The problem with `document`'s proof or issuer (None when both are the register's), and
    the verification method it names."""
    # The issuer first: "not this register's" says more than "the signature does not match".
    if _issuer_of(document) != did:
        return Problem(other_issuer, f"issuer {str(_issuer_of(document))[:200]!r}, not "
                       f"{did}"), None
    result = dataintegrity.verify(document, public_key_for=keys.get, loader=loader)
    method = result.verification_method
    if method is not None and not method.startswith(did + "#"):
        return Problem(other_issuer, f"signed by {method[:200]!r}, not by {did}"), method
    if not result.verified:
        return Problem(result.code, result.reason), method
    return None, method


# --- the check --------------------------------------------------------------------------------

def check_credential(document: Any, source: CredentialSource, now: dt.datetime) -> CheckResult:
    """Check `document` (parsed JSON) against `source` at `now` (an aware datetime)."""
    if not isinstance(document, dict) or not _is_credential(document):
        return CheckResult(False, "unknown", now, problems=(Problem(
            "not-a-credential", "a credential is a JSON object whose type includes "
            "VerifiableCredential and which has a credentialSubject"),))
    summary = _summary(document.get("credentialSubject"))
    valid_from, valid_until = _text(document.get("validFrom")), _text(document.get("validUntil"))

    def result(verified: bool, status: str, *problems: Problem,
               method: str | None = None) -> CheckResult:
        return CheckResult(verified, status, now, summary, problems, method,
                           valid_from or None, valid_until or None)

    did_document = source.did_document()
    keys = assertion_keys(did_document, source.did)
    if not keys:
        return result(False, "unknown", Problem("no-did-document", f"no assertion keys for "
                                                f"{source.did}"))
    problem, method = _proof_problem(document, source.did, keys, source.loader, "other-issuer")
    if problem is not None:
        return result(False, "unknown", problem, method=method)
    try:
        window = _moment(document.get("validFrom")), _moment(document.get("validUntil"))
    except ValueError as exc:
        return result(True, "unknown", Problem("invalid-dates", str(exc)), method=method)
    bits, problems = _status_bits(document.get("credentialStatus"), source, keys)
    if problems:
        return result(True, "unknown", *problems, method=method)
    return result(True, _effective(bits, window, now), method=method)


def _is_credential(document: dict) -> bool:
    types = document.get("type")
    types = types if isinstance(types, list) else [types]
    return "VerifiableCredential" in types and isinstance(document.get("credentialSubject"),
                                                          dict)


def _effective(bits: dict[str, bool], window: tuple[dt.datetime | None, dt.datetime | None],
               now: dt.datetime) -> str:
    valid_from, valid_until = window
    if bits.get(statuslist.REVOCATION):
        return "revoked"
    if bits.get(statuslist.SUSPENSION):
        return "suspended"
    if valid_until is not None and valid_until < now:
        return "expired"
    if valid_from is not None and valid_from > now:
        return "not-yet-valid"
    return "active"


def _moment(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    problem = f"{str(value)[:60]!r} is not a date-time with a time zone"
    if not isinstance(value, str) or not _DATETIME.fullmatch(value):
        raise ValueError(problem)
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(problem) from None
    if moment.tzinfo is None:
        raise ValueError(problem)
    return moment


def _status_bits(entries: Any, source: CredentialSource, keys: dict[str, bytes]
                 ) -> tuple[dict[str, bool], list[Problem]]:
    """The bit of each purpose, or the problems that stop them being read."""
    entries = entries if isinstance(entries, list) else [entries] if entries else []
    if len(entries) > MAX_STATUS_ENTRIES:
        return {}, [Problem("status-entry-invalid", f"{len(entries)} status entries; at most "
                            f"{MAX_STATUS_ENTRIES} are read")]
    bits: dict[str, bool] = {}
    problems: list[Problem] = []
    for entry in entries:
        purpose = entry.get("statusPurpose") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or entry.get("type") != ENTRY_TYPE \
                or purpose not in statuslist.PURPOSES or purpose in bits:
            problems.append(Problem("status-entry-invalid", "each entry is one "
                                    f"{ENTRY_TYPE} for revocation or suspension"))
            continue
        try:
            bit = _read_bit(entry, purpose, source, keys)
        except _StatusProblem as exc:
            problems.append(exc.problem)
            continue
        bits[purpose] = bit
    missing = [p for p in statuslist.PURPOSES if p not in bits]
    if missing and not problems:
        problems.append(Problem("status-missing", f"no {' and no '.join(missing)} entry"))
    return bits, problems


class _StatusProblem(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.problem = Problem(code, detail)


def _read_bit(entry: dict, purpose: str, source: CredentialSource,
              keys: dict[str, bytes]) -> bool:
    try:
        index = statuslist.entry_index(entry)
    except statuslist.StatusListError as exc:
        raise _StatusProblem("status-entry-invalid", str(exc)[:200]) from None
    url = entry.get("statusListCredential")
    if not isinstance(url, str):
        raise _StatusProblem("status-entry-invalid", "the entry names no statusListCredential")
    listed = source.status_list(url)
    if listed is None:
        raise _StatusProblem("status-list-unavailable", f"no status list {url[:200]!r} in "
                             "the source")
    if not isinstance(listed, dict):
        raise _StatusProblem("status-list-invalid", "the status list is not a JSON object")
    problem, _ = _proof_problem(listed, source.did, keys, source.loader,
                                "status-list-other-issuer")
    if problem is not None:
        code = problem.code if problem.code == "status-list-other-issuer" \
            else "status-list-unverified"
        raise _StatusProblem(code, f"{url[:200]}: {problem.detail}")
    named = listed.get("type")
    types = named if isinstance(named, list) else [named]
    subject = listed.get("credentialSubject")
    if LIST_TYPE not in types or listed.get("id") != url or not isinstance(subject, dict):
        raise _StatusProblem("status-list-invalid", f"{url[:200]} is not the "
                             f"{LIST_TYPE} the entry names")
    if subject.get("statusPurpose") != purpose:
        raise _StatusProblem("status-list-purpose", f"{url[:200]} is a list for "
                             f"{str(subject.get('statusPurpose'))[:40]!r}, not {purpose!r}")
    try:
        return statuslist.StatusList.decode(str(subject.get("encodedList"))).get(index)
    except statuslist.StatusListError as exc:
        raise _StatusProblem("status-list-invalid", f"{url[:200]}: {exc}") from None


# --- the subject, as plain text ----------------------------------------------------------------

def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("id") or value.get("@value") or value.get("th") or value.get("en")
    if isinstance(value, list):
        value = value[0] if value else ""
    return value[:MAX_TEXT] if isinstance(value, str) else ""


def _summary(subject: Any) -> LicenceSummary:
    if not isinstance(subject, dict):
        return LicenceSummary()
    holder = subject.get("licenceHolder")
    name = ""
    if isinstance(holder, dict):
        for term in ("legalName", "personName"):
            name = name or _text(holder.get(term))
    return LicenceSummary(_text(subject.get("id")), _text(subject.get("number")),
                          _text(subject.get("licenceType")), _text(subject.get("issuedBy")),
                          name)
