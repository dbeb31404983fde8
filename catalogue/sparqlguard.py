"""What a SPARQL request asks for, decided from its text before anything is evaluated.

The public endpoint is read-only and never calls other services, so two things are refused
before a query reaches a store: updates (INSERT, DELETE, LOAD, DROP …) and `SERVICE`, in any
letter case. The check is lexical: strings, IRIs and comments are blanked first, so a literal
"SERVICE" or an IRI containing it is harmless, while the keyword anywhere in the query is not.
The stores are read-only behind this too (a read-only checkpoint; the remote store's query
endpoint), so the check is the first of two locks, not the only one.
"""

from __future__ import annotations

import re
from enum import Enum

from registry.sparqltext import blank_out

MAX_QUERY_CHARS = 100_000


class QueryForm(str, Enum):
    SELECT = "select"
    ASK = "ask"
    CONSTRUCT = "construct"
    DESCRIBE = "describe"

    @property
    def gives_graph(self) -> bool:
        return self in (QueryForm.CONSTRUCT, QueryForm.DESCRIBE)


class QueryRefused(ValueError):
    """The request is a valid kind of SPARQL this endpoint does not run."""


class UpdateRefused(QueryRefused):
    pass


class ServiceRefused(QueryRefused):
    pass


class NotAQuery(ValueError):
    """The text is not a SPARQL query at all (no query form found)."""


_UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY",
                 "WITH"}
_FORMS = {form.name: form for form in QueryForm}

# A keyword: letters not part of a variable (?x, $x), a prefixed name (ex:word, word:x) or a
# blank node label (_:word).
_WORD = re.compile(r"(?<![\w:?$\-.])([A-Za-z]+)(?![\w:\-])")


def keywords(query: str) -> list[str]:
    return [m.group(1).upper() for m in _WORD.finditer(blank_out(query))]


_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def unescape_codepoints(query: str) -> str:
    """SPARQL 1.1 §19.2: \\uXXXX escapes may be processed before the grammar, anywhere."""
    def char(m: re.Match) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code < 0x110000 else m.group(0)
    return _CODEPOINT.sub(char, query)


def inspect_query(query: str) -> QueryForm:
    """The query's form; raises UpdateRefused, ServiceRefused or NotAQuery.

    Checked as written and with codepoint escapes decoded, so `\\u0053ERVICE` is SERVICE too.
    """
    form = _inspect(query)
    if _CODEPOINT.search(query):
        _inspect(unescape_codepoints(query))
    return form


def _inspect(query: str) -> QueryForm:
    words = keywords(query)
    if "SERVICE" in words:
        raise ServiceRefused("SERVICE (federated query) is not allowed on this endpoint: it "
                             "would make the register call other servers. Query the register's "
                             "own data, or download a dump and join locally.")
    for word in words:
        if word in _FORMS:
            return _FORMS[word]
        if word in _UPDATE_WORDS:
            raise UpdateRefused(f"{word} is a SPARQL Update operation; this endpoint is "
                                "read-only. Agencies publish through /api/v1/uploads.")
        if word not in ("BASE", "PREFIX"):
            break
    raise NotAQuery("No SELECT, ASK, CONSTRUCT or DESCRIBE found after the prologue.")
