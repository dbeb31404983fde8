"""Reading SPARQL text without a parser: what is inside strings, IRIs and comments is not syntax.

Used to refuse SERVICE and updates before evaluation (catalogue/sparqlguard.py) and to place
bound values where the whole query sees them (registry/store/remote.py).
"""

from __future__ import annotations

import re

# Lexical pieces that may contain any word or brace without it being syntax.
_SKIPPED = re.compile(
    r'''"""(?:[^"\\]|\\.|"(?!""))*"""'''       # long strings
    r"""|'''(?:[^'\\]|\\.|'(?!''))*'''"""
    r'''|"(?:[^"\\\n\r]|\\.)*"'''              # short strings
    r"""|'(?:[^'\\\n\r]|\\.)*'"""
    r'''|<[^<>"{}|^`\\\x00-\x20]*>'''          # IRIs (a `<` followed by a space is less-than)
    r"""|\#[^\n\r]*""",                        # comments
    re.DOTALL)
_WHERE = re.compile(r"(?<![\w:?$])WHERE\s*\{", re.IGNORECASE)
_FORM = re.compile(r"(?<![\w:?$])(SELECT|ASK)(?![\w:])", re.IGNORECASE)


def blank_out(query: str) -> str:
    """The query with strings, IRIs and comments replaced by spaces (same length)."""
    return _SKIPPED.sub(lambda m: " " * len(m.group(0)), query)


def with_inline_data(query: str, block: str) -> str:
    """`block` (a VALUES clause) placed first in the query's top-level group pattern, where
    every FILTER of that group sees its values — as substituting the variables would. A query
    with no group (DESCRIBE <iri>) gets it at the end."""
    if not block:
        return query
    text = blank_out(query)
    found = _WHERE.search(text)
    if found:
        at = found.end()
    else:
        form = _FORM.search(text)
        brace = text.find("{", form.end()) if form else -1
        if brace < 0:
            return query + "\n" + block
        at = brace + 1
    return f"{query[:at]} {block} {query[at:]}"
