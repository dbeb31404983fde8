"""The SPARQL 1.1 tokenizer (registry/sparqllex.py), terminal by terminal, and what is read from
its tokens: the guard's decision (opendata/sparqlguard.py) and text placed into a query
(registry/sparqltext.py)."""

from __future__ import annotations

import pytest

from opendata.sparqlguard import NotAQuery, QueryForm, ServiceRefused, UpdateRefused, inspect_query
from registry.sparqllex import LexError, decode_codepoints, tokens
from registry.sparqltext import with_base, with_inline_data

PN_LOCAL_ESCAPES = "_~.-!$&'()*+,;=/?#@%"


def kinds(text: str, **options) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokens(text, **options)]


# Each text is exactly one token of its terminal (§19.8).
@pytest.mark.parametrize("kind, text", [
    ("IRIREF", "<http://e/a#b>"),
    ("IRIREF", "<>"),
    ("IRIREF", "<x>"),
    ("IRIREF", "<http://e/SERVICE?q='x'&y=#z>"),
    ("PNAME_NS", "ex:"),
    ("PNAME_NS", ":"),
    ("PNAME_NS", "a.b-c_d:"),
    ("PNAME_NS", "ก.ข:"),
    ("PNAME_LN", "ex:a"),
    ("PNAME_LN", ":a"),
    ("PNAME_LN", "ex:1"),
    ("PNAME_LN", "ex::a:"),
    ("PNAME_LN", "ex:a.b"),
    ("PNAME_LN", "ex:%4Fk"),
    ("PNAME_LN", "ex:a%20b"),
    ("PNAME_LN", "ex:SERVICE"),
    ("PNAME_LN", "SERVICE:x"),
    ("PNAME_LN", "ex:ทะเบียน"),
    *[("PNAME_LN", f"ex:a\\{c}b") for c in PN_LOCAL_ESCAPES],
    *[("PNAME_LN", f"ex:\\{c}") for c in PN_LOCAL_ESCAPES],
    ("BLANK_NODE_LABEL", "_:b0"),
    ("BLANK_NODE_LABEL", "_:0b"),
    ("BLANK_NODE_LABEL", "_:a.b"),
    ("VAR1", "?x"),
    ("VAR1", "?1"),
    ("VAR1", "?SERVICE"),
    ("VAR1", "?ตัวแปร"),
    ("VAR2", "$x"),
    ("LANGTAG", "@th"),
    ("LANGTAG", "@en-GB"),
    ("LANGTAG", "@zh-Hant-TW"),
    ("INTEGER", "42"),
    ("INTEGER", "+42"),
    ("INTEGER", "-42"),
    ("DECIMAL", "4.2"),
    ("DECIMAL", ".2"),
    ("DECIMAL", "-.2"),
    ("DOUBLE", "4.2e1"),
    ("DOUBLE", "4.E-1"),
    ("DOUBLE", ".2e+10"),
    ("DOUBLE", "1e5"),
    ("STRING_LITERAL1", "'a \"b\" SERVICE { # }'"),
    ("STRING_LITERAL1", "''"),
    ("STRING_LITERAL1", r"'\t\b\n\r\f\\\"\''"),
    ("STRING_LITERAL2", '"a \'b\' SERVICE { # }"'),
    ("STRING_LITERAL2", r'"\"SERVICE\""'),
    ("STRING_LITERAL_LONG1", "'''a\nSERVICE '' ' }'''"),
    ("STRING_LITERAL_LONG1", "''''''"),
    ("STRING_LITERAL_LONG1", r"'''\''''"),
    ("STRING_LITERAL_LONG2", '"""a\n"SERVICE" "" }"""'),
    ("STRING_LITERAL_LONG2", r'"""\""""'),
    ("NIL", "()"),
    ("NIL", "( \n\t)"),
    ("ANON", "[]"),
    ("ANON", "[ \r\n]"),
    ("KEYWORD", "SELECT"),
    ("KEYWORD", "sErViCe"),
    ("KEYWORD", "a"),
    ("KEYWORD", "true"),
    ("KEYWORD", "ENCODE_FOR_URI"),
    ("KEYWORD", "isIRI"),
    ("KEYWORD", "SHA256"),
    ("KEYWORD", "STRSTARTS"),
    ("KEYWORD", "GROUP_CONCAT"),
    *[("PUNCT", p) for p in ("^^", "<=", ">=", "!=", "&&", "||", "{", "}", "(", ")", "[", "]",
                              ";", ",", ".", "=", "<", ">", "!", "+", "-", "*", "/", "^", "|",
                              "?")],
])
def test_each_terminal_is_one_token(kind, text):
    assert kinds(text) == [(kind, text)]


# How a text splits: the longest token at each position; comments and white space between.
@pytest.mark.parametrize("text, expected", [
    ("ex:a\\#b ?o", [("PNAME_LN", "ex:a\\#b"), ("VAR1", "?o")]),
    ("ex:a#b ?o\n?p", [("PNAME_LN", "ex:a"), ("VAR1", "?p")]),
    ("ex:a\\'b 'x'", [("PNAME_LN", "ex:a\\'b"), ("STRING_LITERAL1", "'x'")]),
    ("ex:a. ?b", [("PNAME_LN", "ex:a"), ("PUNCT", "."), ("VAR1", "?b")]),
    ("_:a. ?b", [("BLANK_NODE_LABEL", "_:a"), ("PUNCT", "."), ("VAR1", "?b")]),
    ("SERV#c\nICE", LexError),
    ("SERVICE#c\n<x>", [("KEYWORD", "SERVICE"), ("IRIREF", "<x>")]),
    ("ASKWHERE{}", [("KEYWORD", "ASK"), ("KEYWORD", "WHERE"), ("PUNCT", "{"), ("PUNCT", "}")]),
    ("SERVICESILENT", [("KEYWORD", "SERVICE"), ("KEYWORD", "SILENT")]),
    ("SERVICEex:a", [("PNAME_LN", "SERVICEex:a")]),
    ("?a<?b", [("VAR1", "?a"), ("PUNCT", "<"), ("VAR1", "?b")]),
    ("?a < ?b>", [("VAR1", "?a"), ("PUNCT", "<"), ("VAR1", "?b"), ("PUNCT", ">")]),
    ("'''a''''", LexError),                           # a lone quote after the string
    ("''' a'", [("STRING_LITERAL1", "''"), ("STRING_LITERAL1", "' a'")]),  # no closing '''
    ('"x"^^<t>', [("STRING_LITERAL2", '"x"'), ("PUNCT", "^^"), ("IRIREF", "<t>")]),
    ('"x"@en', [("STRING_LITERAL2", '"x"'), ("LANGTAG", "@en")]),
    ("1.", [("INTEGER", "1"), ("PUNCT", ".")]),
    ("?x-1", [("VAR1", "?x"), ("INTEGER", "-1")]),
    ("abs", [("KEYWORD", "abs")]),
    ("A", LexError),                                # `a` is the one lower-case-only keyword
    ("hello", LexError),
    ("ex:a\\q", LexError),                          # not a PN_LOCAL_ESC
    ("'\\q'", LexError),                            # not an ECHAR
    ("'a\nb'", LexError),                           # a short string ends on its line
    ("<a b>", LexError),
    ("\\u0053ERVICE", LexError),                    # escapes are decoded before, not here
    ("'\\u0027'", LexError),
    ("{\u00a0}", LexError),                         # only §19 WS is white space
    ("# only a comment", []),
])
def test_texts_split_into_the_longest_tokens(text, expected):
    if expected is LexError:
        with pytest.raises(LexError):
            kinds(text)
    else:
        assert kinds(text) == expected


def test_oxigraph_reading_takes_uchar_escapes_in_strings_and_iris():
    assert kinds("'\\u0027' <http://e/\\u0041>", uchar=True) == [
        ("STRING_LITERAL1", "'\\u0027'"), ("IRIREF", "<http://e/\\u0041>")]
    with pytest.raises(LexError):
        kinds("\\u0053ERVICE", uchar=True)


def test_a_lex_error_names_line_and_column():
    with pytest.raises(LexError) as caught:
        kinds("SELECT *\n{ ?s ?p %% }")
    assert (caught.value.line, caught.value.column) == (2, 9)
    assert "line 2, column 9" in str(caught.value)


@pytest.mark.parametrize("text, decoded", [
    ("\\u0053ERVIC\\u0045", "SERVICE"),
    ("\\U00000053", "S"),
    ("\\\\u0041", "\\\\u0041"),                      # an escaped backslash starts no escape
    ("\\ud800\\udc00", "\U00010000"),               # a surrogate pair, as JSON writes it
    ("\\ud800 x", "\\ud800 x"),                     # a lone surrogate stays (and is no token)
    ("\\u00", "\\u00"),
    ("\\uZZZZ", "\\uZZZZ"),
    ("\\U00110000", "\\U00110000"),
    ("\\u005C#", "\\#"),
    ("ex:a\\#b", "ex:a\\#b"),
    ("tail\\", "tail\\"),
])
def test_codepoint_escapes_are_decoded_first(text, decoded):
    assert decode_codepoints(text) == decoded


# The guard's decisions

@pytest.mark.parametrize("query, outcome", [
    ("SELECT * WHERE { ?s ?p ?o }", QueryForm.SELECT),
    ("BASE <http://b/> PREFIX ex: <http://e/> DESCRIBE ex:x", QueryForm.DESCRIBE),
    ("PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:a\\#b ?o . SERVICE <http://127.0.0.1:1/> "
     "{ ?x ?y ?z } }", ServiceRefused),
    ("PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:a\\'b ?o . SERVICE <http://127.0.0.1:1/> "
     "{ ?x ?y ?z } ?s ex:c\\'d ?o }", ServiceRefused),
    ("PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:a\\#b ?o }", QueryForm.SELECT),
    ("SELECT * { SERV#c\nICE <http://127.0.0.1:1/> { } }", NotAQuery),
    ("SELECT * { SERVICE#c\n<http://127.0.0.1:1/> { } }", ServiceRefused),
    ("SELECT * { SERVIC\\u0045 <http://127.0.0.1:1/> { } }", ServiceRefused),
    ("SELECT * { ?s ?p '\\u0027 } SERVICE <http://127.0.0.1:1/> {} #' }", ServiceRefused),
    # Oxigraph reads a keyword at the start of a prefixed name that does not fit where it is.
    ("PREFIX ex: <http://127.0.0.1:1/> SELECT * { SERVICEex:a { } }", ServiceRefused),
    ("PREFIX ex: <http://127.0.0.1:1/> SELECT * { SERVICESILENTex:a { } }", ServiceRefused),
    ("PREFIX : <http://127.0.0.1:1/> SELECT * { ?s ?p ?o . service:x { } }", ServiceRefused),
    ("PREFIX : <http://127.0.0.1:1/> SELECT * { ?s ?p truEservice:x { } }", ServiceRefused),
    ("PREFIX service: <http://e/> SELECT ?service { ?service service:x ?y }", QueryForm.SELECT),
    ("PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT * { ?s a dcat:DataService }",
     QueryForm.SELECT),
    ("SELECT * { ?s ?p ?o } # SERVICE <http://127.0.0.1:1/> { }", QueryForm.SELECT),
    ("SELECT * { ?s ?p ?o LATERAL { SELECT ?o { ?o ?q ?r } LIMIT 1 } }", QueryForm.SELECT),
    ("SELECT * { ?s ?p ?o LATERAL { SERVICE <http://127.0.0.1:1/> { ?o ?q ?r } } }",
     ServiceRefused),
    ("INSERT DATA { <http://e/a> <http://e/b> 'x\\q' }", UpdateRefused),
    ("PREFIX ex: <http://e/> \\u0044ROP ALL", UpdateRefused),
    ("PREFIX ex: SELECT * {}", NotAQuery),
    ("SELECT * { ?s ?p 'unterminated }", NotAQuery),
    ("SELECT * { ?s ?p '\\u0027' }", NotAQuery),    # per §19.2 the escape ends the string
])
def test_guard(query, outcome):
    if isinstance(outcome, QueryForm):
        assert inspect_query(query) is outcome
    else:
        with pytest.raises(outcome):
            inspect_query(query)


def test_a_bad_token_is_refused_naming_where():
    with pytest.raises(NotAQuery, match="line 2, column 12"):
        inspect_query("SELECT *\nWHERE { ?s ~ ?o }")


# Text placed into a query

VALUES = "VALUES ?t { <x:y> }"


@pytest.mark.parametrize("query, expected", [
    ("SELECT ?s { { SELECT ?x WHERE { ?x ?p ?o } } }",
     "SELECT ?s { VALUES ?t { <x:y> }  { SELECT ?x WHERE { ?x ?p ?o } } }"),
    ("SELECT (EXISTS { ?a ?b ?c } AS ?e) WHERE { ?s ?p ?o }",
     "SELECT (EXISTS { ?a ?b ?c } AS ?e) WHERE { VALUES ?t { <x:y> }  ?s ?p ?o }"),
    ("PREFIX ex: <http://e/> SELECT * { ?s ex:a\\#b '{' }",
     "PREFIX ex: <http://e/> SELECT * { VALUES ?t { <x:y> }  ?s ex:a\\#b '{' }"),
    ("# WHERE {\nASK FROM <http://g/> { }",
     "# WHERE {\nASK FROM <http://g/> { VALUES ?t { <x:y> }  }"),
    ("CONSTRUCT { ?s ?p '}' } WHERE { ?s ?p ?o }",
     "CONSTRUCT { ?s ?p '}' } WHERE { VALUES ?t { <x:y> }  ?s ?p ?o }"),
])
def test_values_go_first_in_the_top_level_group(query, expected):
    assert with_inline_data(query, VALUES) == expected


@pytest.mark.parametrize("query, expected", [
    ("SELECT * { <x> ?p ?o }", "BASE <http://h/sparql> SELECT * { <x> ?p ?o }"),
    ("PREFIX e: <e/> ASK {}", "BASE <http://h/sparql> PREFIX e: <e/> ASK {}"),
    ("# BASE\nbase <http://o/> ASK {}", "# BASE\nbase <http://o/> ASK {}"),
])
def test_the_endpoint_base_goes_first_unless_the_query_has_its_own(query, expected):
    assert with_base(query, "http://h/sparql") == expected


def test_a_base_that_is_no_iri_is_refused():
    with pytest.raises(ValueError):
        with_base("ASK {}", "http://h/> SERVICE <http://x/")


# --- Words that are no SPARQL 1.1 keyword: the engine's own functions -----------------------------

def test_every_example_query_passes_the_guard():
    """The query page offers these; each uses Oxigraph's ADJUST or plain SPARQL 1.1, and must
    be read as a query of its form (with the CRLF line ends a browser's textarea sends too)."""
    from opendata.examples import load_examples

    examples = load_examples()
    assert examples
    for example in examples:
        for text in (example.query, example.query.replace("\n", "\r\n")):
            assert isinstance(inspect_query(text), QueryForm), example.id


@pytest.mark.parametrize("text, kinds", [
    ('ADJUST(?d, "PT7H")', ["WORD", "PUNCT", "VAR1", "PUNCT", "STRING_LITERAL2", "PUNCT"]),
    ("TRIPLE (?x)", ["WORD", "PUNCT", "VAR1", "PUNCT"]),
    ("true", ["KEYWORD"]),
    ("SELECT", ["KEYWORD"]),
    ("STRLEN(?x)", ["KEYWORD", "PUNCT", "VAR1", "PUNCT"]),
    ("ex:ADJUST", ["PNAME_LN"]),
])
def test_bare_words_are_words_unless_a_longer_terminal_reads_them(text, kinds):
    assert [t.kind for t in tokens(text)] == kinds


@pytest.mark.parametrize("query", [
    "SELECT * { FILTER(XSERVICE(1)) }",
    "SELECT * { BIND(ySeRvIcE (1) AS ?x) }",
])
def test_a_word_that_contains_service_is_refused_as_service(query):
    with pytest.raises(ServiceRefused):
        inspect_query(query)
