"""Placing text into a SPARQL query where its grammar puts it, found from the query's tokens
(registry/sparqllex.py), so nothing inside a string, an IRI, a comment or an escaped prefixed
name is taken for syntax.

Used to place bound values where the whole query sees them (registry/store/remote.py) and to
give a query sent to a remote store the endpoint's base IRI (opendata/sparqlexec.py).
"""

from __future__ import annotations

import re

from registry.sparqllex import tokens

_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
_IRIREF = re.compile(r'[^<>"{}|^`\\\x00-\x20]*')


def with_inline_data(query: str, block: str) -> str:
    """`block` (a VALUES clause) placed first in the query's top-level group pattern, where
    every FILTER of that group sees its values — as substituting the variables would. A query
    with no group (DESCRIBE <iri>) gets it at the end. Raises LexError for a text that is not
    SPARQL tokens."""
    if not block:
        return query
    read = [t for t in tokens(query, uchar=True) if t.kind in ("KEYWORD", "PUNCT")]
    at = next((i for i, t in enumerate(read) if t.kind == "KEYWORD" and t.value in _FORMS),
              len(read))
    if at < len(read) and read[at].value == "CONSTRUCT" and at + 1 < len(read) \
            and read[at + 1].text == "{":
        at = _after_group(read, at + 1)                      # the template, not the pattern
    depth = 0                   # of parentheses: (EXISTS { … } AS ?x) is no group pattern
    for token in read[at + 1:]:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elif token.text == "{" and depth == 0:
            return f"{query[:token.end]} {block} {query[token.end:]}"
    return query + "\n" + block


def _after_group(read, opening: int) -> int:
    """The index of the `}` that closes the `{` at `opening`."""
    depth = 0
    for index in range(opening, len(read)):
        depth += {"{": 1, "}": -1}.get(read[index].text, 0)
        if depth == 0:
            return index
    return len(read)


def with_base(query: str, base_iri: str) -> str:
    """The query with `BASE <base_iri>` before it, unless its prologue begins with a BASE of its
    own; on the same line, so the store's error messages keep their line numbers."""
    if not _IRIREF.fullmatch(base_iri):
        raise ValueError(f"{base_iri!r} cannot be written as a SPARQL IRI.")
    first = next(tokens(query, uchar=True), None)
    if first is not None and first.kind == "KEYWORD" and first.value == "BASE":
        return query
    return f"BASE <{base_iri}> {query}"
