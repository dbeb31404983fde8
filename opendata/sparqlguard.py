"""What a SPARQL request asks for, decided from its tokens before anything is evaluated.

The public endpoint is read-only and never calls other services, so two things are refused
before a query reaches a store: updates (INSERT, DELETE, LOAD, DROP …) and `SERVICE`. The
decision is made from the SPARQL 1.1 terminals (registry/sparqllex.py), read both as the
specification reads them (codepoint escapes decoded first: `\\u0053ERVICE` is SERVICE) and as
Oxigraph reads them (not decoded); a text that is not SPARQL tokens in either reading is
refused as a bad query, never passed on.

Oxigraph's parser also reads a keyword where a prefixed name begins with it when the name does
not fit there: `SERVICEex:a { }` and `service:x { }` call `ex:a` and `:x` (measured with
pyoxigraph 0.5.13). A standard lexer reads one prefixed name in each, so a prefixed name is
refused as SERVICE too when its prefix contains `service` followed by (`silent` and) a prefix
the query declares; `service:x` with no empty prefix declared, or `dcat:DataService`, is not.

The query processes cannot open a network connection at all (opendata/netlock.py), so this
check is the first of two locks, not the only one.
"""

from __future__ import annotations

from enum import StrEnum

from registry.sparqllex import LexError, Token, decode_codepoints, tokens

MAX_QUERY_CHARS = 100_000


class QueryForm(StrEnum):
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
    """The text is not a SPARQL query at all (no query form found, or no SPARQL tokens)."""


UPDATE_WORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE",
                          "COPY", "WITH"})
_FORMS = {form.name: form for form in QueryForm}
_SERVICE_MESSAGE = ("SERVICE (federated query) is not allowed on this endpoint: it would make "
                    "the register call other servers. Query the register's own data, or "
                    "download a dump and join locally.")


def readings(query: str) -> list[tuple[list[Token], LexError | None]]:
    """The query's tokens as Oxigraph reads it and as the specification does (one reading when
    it has no codepoint escape); each with the error that ended it early, if any."""
    texts = [(query, True)]
    if "\\u" in query or "\\U" in query:
        texts.append((decode_codepoints(query), False))
    found: list[tuple[list[Token], LexError | None]] = []
    for text, uchar in texts:
        read: list[Token] = []
        try:
            read.extend(tokens(text, uchar=uchar))
            found.append((read, None))
        except LexError as exc:
            found.append((read, exc))
    return found


def inspect_query(query: str) -> QueryForm:
    """The query's form; raises ServiceRefused, UpdateRefused or NotAQuery (in that order of
    precedence: a SERVICE before a bad token is still SERVICE)."""
    found = readings(query)
    for read, _ in found:
        if calls_service(read):
            raise ServiceRefused(_SERVICE_MESSAGE)
    for read, _ in found:
        for token in read:
            if token.kind == "KEYWORD" and token.value in UPDATE_WORDS:
                raise UpdateRefused(f"{token.value} is a SPARQL Update operation; this endpoint "
                                    "is read-only. Agencies publish through /api/v1/uploads.")
    for _, error in found:
        if error is not None:
            raise NotAQuery(f"Not a SPARQL query: {error}")
    forms = {query_form(read) for read, _ in found}
    if len(forms) > 1:
        raise NotAQuery("The query reads as a different query with its \\u escapes decoded; "
                        "write the characters themselves.")
    return forms.pop()


def calls_service(read: list[Token]) -> bool:
    """Whether any engine could read a SERVICE call in these tokens (see the module's text)."""
    declared = {read[i + 1].text[:-1] for i, token in enumerate(read[:-1])
                if token.kind == "KEYWORD" and token.value == "PREFIX"
                and read[i + 1].kind == "PNAME_NS"}
    for token in read:
        if token.kind == "KEYWORD" and token.value == "SERVICE":
            return True
        if token.kind == "WORD" and "service" in token.text.lower():
            return True
        if token.kind in ("PNAME_LN", "PNAME_NS"):
            prefix = token.text[:token.text.index(":")]
            for at in range(len(prefix) - 6):
                if prefix[at:at + 7].lower() != "service":
                    continue
                rest = prefix[at + 7:]
                if rest in declared or (rest[:6].lower() == "silent" and rest[6:] in declared):
                    return True
    return False


def query_form(read: list[Token]) -> QueryForm:
    """The first keyword after the prologue (BASE <iri> | PREFIX p: <iri>)*."""
    at = 0
    while at < len(read) and read[at].kind == "KEYWORD" and read[at].value in ("BASE", "PREFIX"):
        shape = ("IRIREF",) if read[at].value == "BASE" else ("PNAME_NS", "IRIREF")
        if tuple(t.kind for t in read[at + 1:at + 1 + len(shape)]) != shape:
            wanted = "an <IRI>" if len(shape) == 1 else "a prefix (ex:) and an <IRI>"
            raise NotAQuery(f"{read[at].value} must be followed by {wanted}.")
        at += 1 + len(shape)
    if at < len(read) and read[at].kind == "KEYWORD" and read[at].value in _FORMS:
        return _FORMS[read[at].value]
    raise NotAQuery("No SELECT, ASK, CONSTRUCT or DESCRIBE found after the prologue.")
