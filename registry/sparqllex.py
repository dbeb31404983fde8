"""The SPARQL 1.1 terminals (Query §19.8), read exactly: a tokenizer, not a parser.

What a query asks for (SERVICE, an update, its form) is decided from these tokens
(opendata/sparqlguard.py), and bound values are placed by them (registry/sparqltext.py), so
nothing written inside a string, an IRI, a comment or an escaped prefixed name (`ex:a\\#b`,
`ex:a\\'b`, §19.5 PN_LOCAL_ESC) can pass for syntax, and no syntax can hide inside one.

Two readings of one text, because engines differ on §19.2 codepoint escapes:
- `decode_codepoints(text)` then `tokens(text)`: the specification's reading (and Jena's),
  `\\u0053ERVICE` is SERVICE;
- `tokens(text, uchar=True)` on the text as written: Oxigraph's (0.5), which does not decode
  escapes before parsing but accepts `\\uXXXX` inside strings and IRIs.

Tokens are the longest match at each position, keywords included (case-insensitive, `a` only
in lower case), so `ASKWHERE` is ASK, WHERE as in a JavaCC lexer and `ex:SERVICE` is one
prefixed name. A bare word called like a function where no terminal reads anything (an
engine's own function, such as Oxigraph's ADJUST) is a WORD token, left for the engine to judge.
Anything that is no terminal raises LexError with its line and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

# §19.8 character classes ([164]-[167]), as regex class bodies.
_PN_CHARS_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF"
                  "\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF"
                  "\uFDF0-\uFFFD\U00010000-\U000EFFFF")
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_VARNAME = f"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"                  # [170]-[173]
_PN_LOCAL = (f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})"
             f"(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?")
_ECHAR = r"""\\[tbnrf\\"']"""
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_EXPONENT = r"[eE][+-]?[0-9]+"
_IRI_CHAR = r'[^<>"{}|^`\\\x00-\x20]'

SPARQL_KEYWORDS = frozenset("""
    BASE PREFIX SELECT DISTINCT REDUCED AS CONSTRUCT WHERE DESCRIBE ASK FROM NAMED GROUP BY
    HAVING ORDER ASC DESC LIMIT OFFSET VALUES LOAD SILENT INTO CLEAR DROP CREATE ADD TO MOVE
    COPY INSERT DATA DELETE WITH USING DEFAULT GRAPH ALL OPTIONAL SERVICE BIND UNDEF MINUS UNION
    FILTER STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT
    STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH
    DAY HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512
    COALESCE IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR
    REPLACE EXISTS NOT IN COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR TRUE FALSE
    LATERAL
""".split())   # LATERAL: Oxigraph's SEP-0006 join, which a cube example query uses

# Punctuation, longest first so that `^^` is not read as `^`, `^`.
_PUNCTUATION = ("^^", "<=", ">=", "!=", "&&", "||", "{", "}", "(", ")", "[", "]", ";", ",", ".",
                "=", "<", ">", "!", "+", "-", "*", "/", "^", "|", "?")


_KEYWORD_CHOICES = "|".join(sorted((re.escape(k) for k in SPARQL_KEYWORDS), key=len, reverse=True))
_KEYWORD = re.compile(f"(?i:{_KEYWORD_CHOICES})|a")
_PUNCT = re.compile("|".join(re.escape(p) for p in _PUNCTUATION))
# A bare word called like a function that is no SPARQL 1.1 keyword: a function of the engine's
# (Oxigraph's ADJUST, SPARQL 1.2's LANGDIR, TRIPLE …), which the engine judges. Only where no
# terminal reads anything, so a keyword, a prefixed name or `true` stays what it is; the guard
# treats a WORD that contains SERVICE as SERVICE.
_FUNCTION_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?=[ \t\r\n]*\()")
# A prefix is read as the whole run of its characters (possessive: each character is looked at
# once); the run is a PN_PREFIX when a `:` follows and it does not end with `.`.
_PREFIX_RUN = re.compile(f"[{_PN_CHARS_BASE}][{_PN_CHARS}.]*+")
_LOCAL = re.compile(_PN_LOCAL)
_BLANK = re.compile(f"_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?")
_VAR = re.compile(f"[?$]{_VARNAME}")
_LANGTAG = re.compile("@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")
_NUMBERS = (("DOUBLE", re.compile(f"[+-]?(?:[0-9]+\\.[0-9]*{_EXPONENT}|\\.[0-9]+{_EXPONENT}"
                                   f"|[0-9]+{_EXPONENT})")),
            ("DECIMAL", re.compile("[+-]?[0-9]*\\.[0-9]+")),
            ("INTEGER", re.compile("[+-]?[0-9]+")))
_BRACKETS = {"(": ("NIL", re.compile("\\([ \\t\\r\\n]*\\)")),
             "[": ("ANON", re.compile("\\[[ \\t\\r\\n]*\\]"))}


def _literals(uchar: bool) -> dict[str, list[tuple[str, re.Pattern]]]:
    """IRIREF and the four string forms, by their first character."""
    string_char = f"{_ECHAR}|{_UCHAR}" if uchar else _ECHAR
    iri_char = f"{_IRI_CHAR}|{_UCHAR}" if uchar else _IRI_CHAR
    return {
        "<": [("IRIREF", re.compile(f"<(?:{iri_char})*>"))],
        "'": [("STRING_LITERAL_LONG1",
               re.compile(f"'''(?:(?:'|'')?(?:[^'\\\\]|{string_char}))*'''")),
              ("STRING_LITERAL1", re.compile(f"'(?:[^'\\\\\\n\\r]|{string_char})*'"))],
        '"': [("STRING_LITERAL_LONG2",
               re.compile(f'"""(?:(?:"|"")?(?:[^"\\\\]|{string_char}))*"""')),
              ("STRING_LITERAL2", re.compile(f'"(?:[^"\\\\\\n\\r]|{string_char})*"'))],
    }


_LITERALS = {False: _literals(False), True: _literals(True)}
_SKIP = re.compile(r"(?:[ \t\r\n]+|#[^\r\n]*)*")      # [162] WS and §19.6 comments


class Token(NamedTuple):
    kind: str           # a §19.8 terminal name, or KEYWORD / PUNCT / WORD
    text: str           # as written (a KEYWORD's `value` is upper case)
    start: int
    end: int

    @property
    def value(self) -> str:
        return self.text.upper() if self.kind == "KEYWORD" and self.text != "a" else self.text


class LexError(ValueError):
    def __init__(self, text: str, at: int, what: str):
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        super().__init__(f"{what} at line {line}, column {column}: "
                         f"{text[at:at + 20]!r} is no SPARQL token.")
        self.at, self.line, self.column = at, line, column


def tokens(text: str, *, uchar: bool = False) -> Iterator[Token]:
    """The tokens of `text`, comments and white space skipped. `uchar`: accept `\\uXXXX` in
    strings and IRIs (Oxigraph's reading of a text whose escapes were not decoded)."""
    literals = _LITERALS[uchar]
    no_prefix_before = 0        # a prefix run from here on has been seen to end without `:`
    at = _skip(text, 0)
    while at < len(text):
        first = text[at]
        candidates: list[tuple[str, int]] = []
        for kind, pattern in literals.get(first, ()):
            found = pattern.match(text, at)
            if found:
                candidates.append((kind, found.end()))
        if first in "?$":
            found = _VAR.match(text, at)
            if found:
                candidates.append(("VAR1" if first == "?" else "VAR2", found.end()))
        elif first == "_":
            found = _BLANK.match(text, at)
            if found:
                candidates.append(("BLANK_NODE_LABEL", found.end()))
        elif first == "@":
            found = _LANGTAG.match(text, at)
            if found:
                candidates.append(("LANGTAG", found.end()))
        elif first in "0123456789.+-":
            for kind, pattern in _NUMBERS:
                found = pattern.match(text, at)
                if found:
                    candidates.append((kind, found.end()))
        elif first in _BRACKETS:
            kind, pattern = _BRACKETS[first]
            found = pattern.match(text, at)
            if found:
                candidates.append((kind, found.end()))
        if at >= no_prefix_before:
            name = _prefixed_name(text, at)
            if isinstance(name, tuple):
                candidates.append(name)
            elif name is not None:
                no_prefix_before = name
        found = (first.isalpha() and _KEYWORD.match(text, at)) or _PUNCT.match(text, at)
        if found:
            candidates.append(("KEYWORD" if found.re is _KEYWORD else "PUNCT", found.end()))
        if not candidates and first.isascii() and first.isalpha():
            word = _FUNCTION_WORD.match(text, at)
            if word:
                candidates.append(("WORD", word.end()))
        if not candidates:
            raise LexError(text, at, "Unexpected character")
        kind, end = max(candidates, key=lambda c: c[1])      # the longest; no two tie
        yield Token(kind, text[at:end], at, end)
        at = _skip(text, end)


def _skip(text: str, at: int) -> int:
    """Where the white space and comments from `at` end (_SKIP matches even nothing)."""
    skipped = _SKIP.match(text, at)
    return skipped.end() if skipped else at


def _prefixed_name(text: str, at: int) -> tuple[str, int] | int | None:
    """(PNAME_LN or PNAME_NS, end) at `at`; else the end of the prefix run that found no `:`
    (no prefixed name starts before it), or None."""
    if text[at] == ":":
        colon = at
    else:
        run = _PREFIX_RUN.match(text, at)
        if run is None:
            return None
        colon = run.end()
        if colon >= len(text) or text[colon] != ":" or text[colon - 1] == ".":
            return colon
    local = _LOCAL.match(text, colon + 1)
    return ("PNAME_LN", local.end()) if local else ("PNAME_NS", colon + 1)


def decode_codepoints(text: str) -> str:
    """§19.2: `\\uXXXX` and `\\UXXXXXXXX` replaced by their characters, before tokenizing. As
    in Java (JLS 3.3), a backslash written twice starts no escape (`\\\\u0041` stays) and a
    pair of escaped UTF-16 surrogates (`\\ud800\\udc00`, as JSON writes) is one character; a
    lone surrogate is left as written (and is then no token)."""
    out: list[str] = []
    at = 0
    while True:
        slash = text.find("\\", at)
        if slash < 0:
            out.append(text[at:])
            return "".join(out)
        out.append(text[at:slash])
        code, after = _codepoint(text, slash)
        if code is not None and 0xD800 <= code <= 0xDBFF:
            low, low_after = _codepoint(text, after)
            if low is not None and 0xDC00 <= low <= 0xDFFF:
                code, after = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00), low_after
        if code is None or 0xD800 <= code <= 0xDFFF:
            out.append(text[slash:slash + 2])       # not an escape: both characters stay
            at = slash + 2
        else:
            out.append(chr(code))
            at = after


def _codepoint(text: str, at: int) -> tuple[int | None, int]:
    """The code point of the escape at `at` and where the escape ends (None: no escape)."""
    width = {"\\u": 4, "\\U": 8}.get(text[at:at + 2])
    digits = text[at + 2:at + 2 + width] if width else ""
    if not width or len(digits) != width or not all(c in _HEX for c in digits) \
            or int(digits, 16) >= 0x110000:
        return None, at
    return int(digits, 16), at + 2 + width


_HEX = frozenset("0123456789abcdefABCDEF")
