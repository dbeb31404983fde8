"""The public Merkle log over HTTP (SPEC §12, issue 15 items 2 and 3), read from the store
(registry/logstore.py `LogReader`) and signed by the app's one `CheckpointSigner`
(registry/logsigning.py, built in web/app.py, kept on the app's state).

- `GET /log/checkpoint`: the C2SP tlog-checkpoint (origin `{host}/log`, size, base64 root) as a
  C2SP signed note, `text/plain; charset=utf-8`.
- `GET /log/key`: the current verifier key (`name+keyid+base64`), one line.
- `GET /log/entries?start=&end=`: `{"entries": [{"index": i, "leaf": "<base64>"}]}` for
  [start, end), at most MAX_ENTRIES; a longer range is answered with its first MAX_ENTRIES and
  `"next"`, the start of the following call.
- `GET /log/proof/inclusion?index=&size=`: `{"index", "size", "hashes"}`; `size` defaults to
  the log's size now.
- `GET /log/proof/consistency?first=&second=`: `{"first", "second", "hashes"}`; `second`
  defaults to the log's size now.

Base64 is standard, with padding. Every number is a query parameter read by web/queryparams.py;
a refusal is a 400 `bad-request` naming the parameter (`"parameter"`) with its rule in Thai and
English (web/messages.toml [logapi]).

Caching. The log only grows, so entries and proofs about a tree size the log has reached never
change: they are cached for a day when the request named every number (`end`, `size`,
`second`). The checkpoint, the key and answers about "the log now" change with each upload
or rotation: a few seconds. Every answer carries an ETag (web/conditional.py).

A log key file that is missing or unusable is the operator's to fix, as the credential key is
(resolver/credentials.py): the message naming the file goes to the server's log, the client gets
a 503 naming the command the operator runs.
"""

from __future__ import annotations

import base64

from flask import Blueprint, Response, current_app, jsonify
from werkzeug.wrappers import Response as BaseResponse

from registry import logstore
from registry.errors import BadRequest, RegistryError
from registry.logsigning import LOG_CREATE_COMMAND, CheckpointSigner
from registry.signingkeys import SigningKeyError
from web.conditional import conditional
from web.messages import LANGUAGES, message
from web.queryparams import int_param
from web.state import current_state

bp = Blueprint("public_log", __name__)

MAX_ENTRIES = 1000              # entries per /log/entries call (SPEC §12)
# The largest number a parameter may be: a JSON number every client reads exactly.
MAX_NUMBER = 2**53 - 1
CURRENT_MAX_AGE = 10            # the checkpoint and "now" answers: the log grows at any upload
KEY_MAX_AGE = 60                # the verifier key: changes only at a rotation
FIXED_MAX_AGE = 86400           # entries and proofs about a size the log has: never change
TEXT = "text/plain; charset=utf-8"



class LogKeyUnavailable(RegistryError):
    status = 503
    code = "log-key-unavailable"
    title = "The register cannot sign its log now"


def _refusal(name: str, detail: str, key: str, **values: object) -> BadRequest:
    """A 400 naming the parameter `name`: `detail` for API clients, the [logapi] `key` text in
    both languages for the error page."""
    texts = {lang: message(f"logapi.{key}", lang).format(name=name, **values)
             for lang in LANGUAGES}
    return BadRequest(detail or texts["en"], parameter=name, message=texts)


def _optional(name: str) -> int | None:
    """The parameter `name`: a whole number from 0 to MAX_NUMBER, or None when absent."""
    try:
        return int_param(name, default=None, minimum=0, maximum=MAX_NUMBER)
    except BadRequest as exc:
        raise _refusal(name, exc.detail, "not_number", maximum=MAX_NUMBER) from None


def _required(name: str) -> int:
    value = _optional(name)
    if value is None:
        raise _refusal(name, "", "missing")
    return value


def _reader() -> logstore.LogReader:
    state = current_state()
    return logstore.LogReader(state.repository, state.settings.base_iri)


def _head() -> tuple[int, bytes]:
    return _reader().head()


def _size_now() -> int:
    return _reader().size()


def _signer() -> CheckpointSigner:
    return current_state().log_signer


def _key_unavailable(exc: SigningKeyError) -> LogKeyUnavailable:
    current_app.logger.error("log: %s", exc)       # names the key file: the operator's
    texts = {lang: message("logapi.key_unavailable", lang).format(
        command=f"`{LOG_CREATE_COMMAND}`") for lang in LANGUAGES}
    return LogKeyUnavailable(texts["en"], message=texts)


def _text(body: str, max_age: int) -> BaseResponse:
    response = Response(body, content_type=TEXT)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return conditional(response)


def _json(body: dict, fixed: bool) -> BaseResponse:
    response = jsonify(body)
    response.headers["Cache-Control"] = \
        f"public, max-age={FIXED_MAX_AGE if fixed else CURRENT_MAX_AGE}"
    return conditional(response)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _within(name: str, size: int, current: int) -> None:
    if size > current:
        raise _refusal(name, "", "size_beyond", size=size, current=current)


@bp.get("/log/checkpoint")
def checkpoint() -> BaseResponse:
    size, root = _head()
    try:
        note = _signer().checkpoint_note(size, root)
    except SigningKeyError as exc:
        raise _key_unavailable(exc) from None
    return _text(note, CURRENT_MAX_AGE)


@bp.get("/log/key")
def key() -> BaseResponse:
    try:
        line = _signer().verifier_key()
    except SigningKeyError as exc:
        raise _key_unavailable(exc) from None
    return _text(line + "\n", KEY_MAX_AGE)


@bp.get("/log/entries")
def entries() -> BaseResponse:
    start, end = _required("start"), _required("end")
    if start >= end:
        raise _refusal("end", "", "empty_range", start=start, end=end)
    _within("end", end, _size_now())
    stop = min(end, start + MAX_ENTRIES)
    leaves = _reader().entries(start, stop)
    body: dict = {"entries": [{"index": start + offset, "leaf": _b64(leaf)}
                              for offset, leaf in enumerate(leaves)]}
    if stop < end:
        body["next"] = stop
    return _json(body, fixed=True)


@bp.get("/log/proof/inclusion")
def inclusion_proof() -> BaseResponse:
    index, asked = _required("index"), _optional("size")
    current = _size_now()
    size = current if asked is None else asked
    _within("size", size, current)
    if index >= size:
        raise _refusal("index", "", "index_beyond", index=index, size=size)
    hashes = _reader().inclusion_proof(index, size)
    return _json({"index": index, "size": size, "hashes": [_b64(h) for h in hashes]},
                 fixed=asked is not None)


@bp.get("/log/proof/consistency")
def consistency_proof() -> BaseResponse:
    first, asked = _required("first"), _optional("second")
    current = _size_now()
    second = current if asked is None else asked
    if first == 0:
        raise _refusal("first", "", "first_zero")
    _within("second", second, current)
    if first > second:
        raise _refusal("first", "", "first_after_second", first=first, second=second)
    hashes = _reader().consistency_proof(first, second)
    return _json({"first": first, "second": second, "hashes": [_b64(h) for h in hashes]},
                 fixed=asked is not None)
