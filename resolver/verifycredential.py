"""`POST /verify` with a credential (SPEC §11, issue 14 item 4): check a licence credential
against the register's own DID document and status lists (registry/credentialcheck.py) and
answer with its effective status — JSON for API clients, a page in the visitor's language for
a browser. Called by resolver/verify.py for a JSON body (CREDENTIAL_MEDIA_TYPES) or a form's
`credential` field.

Status codes: 200 whenever the credential could be checked, verified or not (`verified` and
`problems` say which; an unverified credential is an answer, not an error); 400 for a body that
is not JSON or not a credential; 413 for a body larger than a credential can be; 503 when the
register has no signing key file (nothing to check against). Nothing is
fetched: contexts are the bundled ones, and the DID document and status lists are the
register's own. The answer is `no-store`: it is about the visitor's credential.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from registry.credentialcheck import IssuerSource, Problem, check_credential, parse_credential
from registry.dataintegrity import MAX_DOCUMENT_CHARS
from registry.dates import thai_today
from registry.errors import BadRequest, RegistryError
from web.page import preferred_language
from web.rdfresponse import document_headers
from web.state import current_state

CREDENTIAL_MEDIA_TYPES = frozenset({"application/json", "application/vc", "application/ld+json",
                                    "application/vc+ld+json"})
# A credential of the register is a few KB; its text may be Thai (3 bytes a character).
MAX_CREDENTIAL_BYTES = MAX_DOCUMENT_CHARS * 4
THAILAND = dt.timezone(dt.timedelta(hours=7))
PASTE_SHOWN = 20_000          # how much of a refused paste the form shows again


class CredentialTooLarge(RegistryError):
    status = 413
    code = "credential-too-large"
    title = "The credential is too large"


class CannotCheck(RegistryError):
    """The register's own DID document is missing (no key file): the register's fault, not the
    credential's."""

    status = 503
    code = "credential-check-unavailable"
    title = "The register cannot check credentials now"


def read_credential_body() -> bytes:
    """The raw body, refused (413) beyond MAX_CREDENTIAL_BYTES before or while it is read."""
    declared = request.content_length
    if declared is not None and declared > MAX_CREDENTIAL_BYTES:
        raise CredentialTooLarge(f"A credential is at most {MAX_CREDENTIAL_BYTES:,} bytes.")
    body = request.stream.read(MAX_CREDENTIAL_BYTES + 1)
    if len(body) > MAX_CREDENTIAL_BYTES:
        raise CredentialTooLarge(f"A credential is at most {MAX_CREDENTIAL_BYTES:,} bytes.")
    return body


def checking_now() -> dt.datetime:
    """Now, by the app's clock: the real moment, or, for an app given a clock (tests, a
    replay), noon in Thailand on the clock's day."""
    state = current_state()
    if state.clock is thai_today:
        return dt.datetime.now(dt.UTC)
    return dt.datetime.combine(state.clock(), dt.time(12), THAILAND)


def answer_credential(text: str | bytes, browser: bool,
                      page: Callable[..., ResponseReturnValue]) -> ResponseReturnValue:
    """Check the credential in `text` and answer; `page(template, status, **context)` renders
    a page (resolver/verify.py `_page`)."""
    document, problem = parse_credential(text)
    if problem is not None:
        return _refuse(problem, text, browser, page)
    result = check_credential(document, IssuerSource(current_state().credentials),
                              checking_now())
    if result.problems and result.problems[0].code in ("not-a-credential", "too-large"):
        return _refuse(result.problems[0], text, browser, page)
    if result.problems and result.problems[0].code == "no-did-document":
        raise CannotCheck("The register has no signing key to check credentials against; its "
                          "operator runs `licence-registry init`.")
    if browser:
        return page("verify_credential.html", 200, result=result, lang_words=_words(
            result.problems, result.effective_status))
    response = jsonify(result.as_json())
    response.headers["Cache-Control"] = "no-store"
    return document_headers(response)


def _refuse(problem: Problem, text: str | bytes, browser: bool,
            page: Callable[..., ResponseReturnValue]) -> ResponseReturnValue:
    status = 413 if problem.code == "too-large" else 400
    if browser:
        pasted = text if isinstance(text, str) else text.decode("utf-8", "replace")
        return page("verify_credential.html", status, result=None, refused=problem,
                    pasted=pasted[:PASTE_SHOWN], lang_words=_words([problem], None))
    detail = f"{problem.en} ({problem.detail})" if problem.detail else problem.en
    extra = {"problem": problem.as_json()}
    if status == 413:
        raise CredentialTooLarge(detail, **extra)
    raise BadRequest(detail, **extra)


def _words(problems, status: str | None) -> dict:
    """The check's own words (registry/credentialwords.py) in the visitor's language."""
    column = 0 if preferred_language() == "th" else 1
    from registry.credentialwords import problem_words, status_words

    return {"problems": [(p.code, problem_words(p.code)[column], p.detail) for p in problems],
            "status": status_words(status)[column] if status else ""}
