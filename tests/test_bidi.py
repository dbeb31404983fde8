"""Direction controls and invisible characters in stored text (issue 10, item 5).

A U+202E RIGHT-TO-LEFT OVERRIDE in a printed number, a holder's name or a condition made the
licence page show text reversed. Now: one function decides what is hidden
(registry/hiddentext.py); every page shows every stored value direction-isolated (`<bdi>`, or
FSI…PDI where no element may go) and flags a value holding hidden characters, in Thai and
English; an upload carrying one gets the warning `text-hidden-characters` (row, field, rule);
a direction control in a licence number is refused (SPEC §2 step 7 names it).

Pages are read back with the standard library's HTML parser into a small tree, so the checks
are about elements, not about how the templates space them.
"""

from __future__ import annotations

import dataclasses
import io
import unicodedata
from urllib.parse import quote

import pytest

from ops.demo import demo_rows, rows_to_csv
from publishing.keys import issue_key
from publishing.pipeline import commit
from registry import identifiers
from registry.bootstrap import load_catalogue
from registry.hiddentext import (
    DIRECTION_CONTROLS,
    FLAG_EN,
    FLAG_TH,
    FSI,
    HIDDEN_RANGES,
    PDI,
    bdi,
    has_hidden_characters,
    hidden_characters,
    isolate,
)
from registry.problems import WARNING, rule_texts
from registry.validation import FREE_TEXT_COLUMNS, ValidationContext, check_batch, check_row
from web.state import state_of

from .support.htmltree import Node, parse
from .support.stores import BASE

RLO, PDF, RLI, ZWSP = "\u202e", "\u202c", "\u2067", "\u200b"
LRM, RLM, ALM = "\u200e", "\u200f", "\u061c"

RULE = "text-hidden-characters"


# --- One decision: what is hidden -------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("", []),
    ("บริษัท ไทยเจริญ จำกัด", []),
    ("Thai Charoen Co., Ltd.", []),
    ("123/2567 (ฉบับที่ ๒)", []),
    ("line one\nline two\ttab", []),                 # control characters have their own rule
    ("no\u00a0break space", []),                      # a visible space (Zs)
    ("\u0600\u06dd", []),                             # Cf but drawn: prepended concatenation marks
    ("heart \u2764\ufe0f", []),                       # variation selector: emoji presentation
    ("ก\u0e33", []),                                  # Thai sara am, a combining mark
    ("اسم عربي", []),                                 # right-to-left letters are not hidden
    (f"{RLO}7652/321", [(0, RLO)]),
    (f"A{PDF}", [(1, PDF)]),
    *[(f"x{chr(cp)}y", [(1, chr(cp))]) for cp in (0x202A, 0x202B, 0x202D)],
    (f"ab{RLI}cd\u2069", [(2, RLI), (5, "\u2069")]),
    (f"{LRM}{RLM}{ALM}", [(0, LRM), (1, RLM), (2, ALM)]),
    ("\u2066x\u2068y", [(0, "\u2066"), (2, "\u2068")]),
    (f"a{ZWSP}b\u200cc\u200dd\u2060e\ufeff", [(1, ZWSP), (3, "\u200c"), (5, "\u200d"),
                                              (7, "\u2060"), (9, "\ufeff")]),
    ("soft\u00adhyphen", [(4, "\u00ad")]),
    ("tag\U000E0041", [(3, "\U000E0041")]),
    ("\u3164", [(0, "\u3164")]),                      # HANGUL FILLER: a letter that draws nothing
    ("a\u2061b", [(1, "\u2061")]),                    # FUNCTION APPLICATION (invisible operator)
])
def test_hidden_characters(text, expected):
    assert hidden_characters(text) == expected
    assert has_hidden_characters(text) is bool(expected)


def test_every_direction_control_is_hidden():
    assert len(DIRECTION_CONTROLS) == 12
    for ch in DIRECTION_CONTROLS:
        assert hidden_characters(f"a{ch}b") == [(1, ch)], f"U+{ord(ch):04X}"


def test_the_table_is_category_cf_of_this_python():
    """The written-out table is Cf (less the drawn prepended concatenation marks) plus the
    Hangul fillers, as this Python's Unicode database has it: a new Cf character fails here."""
    drawn = {*range(0x0600, 0x0606), 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD}
    fillers = {0x115F, 0x1160, 0x3164, 0xFFA0}
    expected = {cp for cp in range(0x110000) if unicodedata.category(chr(cp)) == "Cf"} \
        - drawn | fillers
    table = {cp for first, last in HIDDEN_RANGES for cp in range(first, last + 1)}
    assert table == expected, sorted(map(hex, table ^ expected))


# --- The page filters -------------------------------------------------------------------------

def test_bdi_filter_isolates_every_value_and_flags_hidden_ones():
    assert str(bdi("บริษัท ก")) == "<bdi>บริษัท ก</bdi>"
    assert str(bdi("<b>&")) == "<bdi>&lt;b&gt;&amp;</bdi>"
    assert str(bdi(None)) == "" and str(bdi("")) == ""
    flagged = parse(str(bdi(f"{RLO}7652/321")))
    assert flagged.find("bdi").text == f"{RLO}7652/321"
    assert_flag(flagged.find("span", "hidden-chars"), "U+202E")


def test_isolate_filter_wraps_only_what_can_reorder():
    assert isolate("บริษัท ไทย จำกัด") == "บริษัท ไทย จำกัด"
    assert isolate(f"{RLO}abc") == f"{FSI}{RLO}abc{PDI}"
    assert isolate("اسم") == f"{FSI}اسم{PDI}"
    assert isolate(None) == ""


# --- Checks over the page's tree ---------------------------------------------------------

def assert_flag(flag: Node | None, *codes: str) -> None:
    """A visible note in Thai and English naming the hidden characters."""
    assert flag is not None, "no hidden-characters flag"
    assert flag.attrs.get("role") == "note"
    languages = {n.attrs.get("lang"): n.text for n in flag.find_all("span") if n.attrs.get("lang")}
    assert languages == {"th": FLAG_TH, "en": FLAG_EN}
    for code in codes:
        assert code in flag.text and code in flag.attrs["data-hidden"].split()


TEXT_ONLY = {"title", "option"}       # elements that hold text, not elements
# What a person is editing (the SPARQL query) is given back exactly as typed: never altered.
EDITED = {"textarea"}


def isolated(node: Node) -> Node | None:
    """The element that isolates this text: the nearest `<bdi>` or `dir="auto"` ancestor."""
    while node is not None:
        if node.tag == "bdi" or node.attrs.get("dir") == "auto":
            return node
        node = node.parent
    return None


def assert_shown_isolated(tree: Node, value: str, *, flagged: bool = True) -> int:
    """Every place `value` is shown is direction-isolated and holds exactly that value; in an
    element, a flag follows it when it has hidden characters. Returns how often it is shown."""
    shown = 0
    for parent in [n for n in [tree, *tree.walk()] if isinstance(n, Node)]:
        for child in parent.children:
            if not isinstance(child, str) or value not in child or parent.tag in EDITED:
                continue
            shown += 1
            if parent.tag in TEXT_ONLY:         # FSI…PDI around what can reorder
                assert isolate(value) in child, (parent.tag, child)
                continue
            holder = isolated(parent)
            assert holder is not None, f"{value!r} shown outside <bdi> in <{parent.tag}>"
            assert holder.text == value, (holder.tag, holder.text)
            if flagged:
                assert_flag(holder.next_element(), *(f"U+{ord(ch):04X}" for _at, ch
                                                     in hidden_characters(value)))
        for name in ("title", "alt", "aria-label", "placeholder"):
            attribute = parent.attrs.get(name, "")
            if value in attribute:
                shown += 1
                assert isolate(value) in attribute, (parent.tag, name, attribute)

    return shown


def assert_no_unisolated_hidden_text(tree: Node) -> None:
    """No text on the page holds a hidden character outside an isolating element (or, in an
    element that holds only text, outside FSI…PDI)."""
    for parent in [n for n in tree.walk() if isinstance(n, Node)]:
        for child in parent.children:
            if not isinstance(child, str) or not has_hidden_characters(child) \
                    or parent.tag in EDITED:
                continue

            if parent.tag in TEXT_ONLY:
                inner = child[child.find(FSI) + 1:child.rfind(PDI)] if FSI in child else ""
                assert not has_hidden_characters(child.replace(inner, "").replace(FSI, "")
                                                 .replace(PDI, "")), (parent.tag, child)
            else:
                assert isolated(parent) is not None, (parent.tag, child)


def page(client, path: str, lang: str = "th", status: int = 200) -> Node:
    response = client.get(path, headers={"Accept": "text/html"},
                          query_string={"lang": lang} if "?" not in path else None)
    assert response.status_code == status, (path, response.status_code)
    return parse(response.get_data(as_text=True))


# --- A stored licence whose values hold hidden characters -------------------------------------

SPOOFS = {
    "printed_number": None,                                  # filled in from the row
    "holder_name": f"บริษัท {RLO}ดีเอ็มไอ{PDF} จำกัด",
    "holder_name_en": f"{RLI}Evil{chr(0x2069)} Trading Co., Ltd.",
    "premises_address": f"99 ถนนพระราม 4 {RLM}แขวงสีลม",
    "province": f"กรุงเทพ{ZWSP}มหานคร",
    "conditions": f"ห้ามจำหน่าย{RLO}สุรา",
    "status_reason": f"ฝ่าฝืน{ALM}เงื่อนไข",
}


@pytest.fixture
def spoofed(app, embedded_repo):
    """A licence stored with a hidden character in every free-text value (as data written
    before this check, or by a path that skips it), and its record."""
    catalogue = load_catalogue(embedded_repo)
    row = next(r for r in demo_rows(catalogue, 60, agency="diw") if r["holder_type"] == "juristic")
    records, problems = check_batch([(2, row)], ValidationContext(catalogue))
    assert records, problems
    record = dataclasses.replace(
        records[0], printed_number=f"{RLO}{row['licence_number']}", status="suspended",
        **{name: value for name, value in SPOOFS.items() if value and name != "printed_number"})
    commit(embedded_repo, [record], base=BASE, catalogue=catalogue, agency="diw")
    return record


def stored_values(record) -> list[str]:
    return [record.printed_number, *(getattr(record, name) for name in SPOOFS
                                     if name != "printed_number")]


@pytest.mark.parametrize("lang", ["th", "en"])
def test_licence_page_isolates_and_flags_every_spoofed_value(client, spoofed, lang):
    tree = page(client, f"/doc/licence/{quote(spoofed.key.path)}", lang)
    for value in stored_values(spoofed):
        assert assert_shown_isolated(tree, value) >= 1, value
    # The printed number is also in the page's <title>, wrapped in FSI…PDI.
    assert FSI + spoofed.printed_number + PDI in tree.find("title").text
    assert_no_unisolated_hidden_text(tree)


def test_licence_page_flags_nothing_clean(client, app, embedded_repo, publish):
    catalogue = load_catalogue(embedded_repo)
    row = next(r for r in demo_rows(catalogue, 60, agency="diw") if r["holder_type"] == "juristic")
    key, = publish(embedded_repo, [row], "diw").keys
    tree = page(client, f"/doc/licence/{quote(key.path)}")
    assert tree.find("span", "hidden-chars") is None
    for value in (row["holder_name"], row["holder_name_en"], row["premises_address"]):
        if value:
            assert assert_shown_isolated(tree, value, flagged=False) >= 1, value
    # The number is also part of the IRI shown to cite: checked where it is printed.
    number = tree.find("span", "number")
    assert [b.text for b in number.find_all("bdi")] == [row["licence_number"]]
    assert FSI not in tree.find("title").text


# --- Catalogue terms with hidden characters (the catalogue is reference data, but stored) -----

def spoof_catalogue(app, embedded_repo, agency_code: str, type_code: str):
    """The app's catalogue with one agency's and one licence type's labels spoofed."""
    catalogue = load_catalogue(embedded_repo)
    agency = dataclasses.replace(catalogue.agencies[agency_code],
                                 label_th=f"กรม{RLO}โรงงาน", label_en=f"Department {RLO}of")
    licence_type = dataclasses.replace(
        catalogue.types[type_code], title_th=f"ใบอนุญาต{RLO}ประกอบ", title_en=f"Licence {RLO}to",
        legal_basis_th=f"พ.ร.บ.{LRM}โรงงาน", legal_basis_en=f"Factory {RLM}Act")
    spoofed = dataclasses.replace(catalogue, agencies={**catalogue.agencies, agency_code: agency},
                                  types={**catalogue.types, type_code: licence_type})
    state_of(app).catalogue = spoofed
    return agency, licence_type


@pytest.fixture
def spoofed_terms(app, embedded_repo):
    catalogue = load_catalogue(embedded_repo)
    type_code = next(t.code for t in sorted(catalogue.types.values(), key=lambda t: t.code)
                     if "diw" in t.authorities)
    return spoof_catalogue(app, embedded_repo, "diw", type_code)


@pytest.mark.parametrize("lang", ["th", "en"])
def test_agency_and_type_pages_isolate_and_flag(client, spoofed_terms, lang):
    agency, licence_type = spoofed_terms
    tree = page(client, f"/doc/agency/{agency.code}", lang)
    for value in (agency.label_th, agency.label_en, licence_type.title_th if lang == "th"
                  else licence_type.title_en):
        assert assert_shown_isolated(tree, value) >= 1, value
    assert_no_unisolated_hidden_text(tree)
    tree = page(client, f"/doc/licence-type/{licence_type.code}", lang)
    for value in (licence_type.title_th, licence_type.title_en,
                  licence_type.legal_basis_th if lang == "th" else licence_type.legal_basis_en,
                  agency.label_th if lang == "th" else agency.label_en):
        assert assert_shown_isolated(tree, value) >= 1, value
    assert_no_unisolated_hidden_text(tree)


@pytest.mark.parametrize("path", ["/catalogue/", "/agencies/"])
def test_catalogue_lists_isolate_and_flag(client, spoofed_terms, path):
    agency, licence_type = spoofed_terms
    for lang in ("th", "en"):
        tree = page(client, path, lang)
        values = (agency.label_th, agency.label_en) if path == "/agencies/" else \
            (licence_type.title_th, licence_type.title_en)
        for value in values:
            assert assert_shown_isolated(tree, value) >= 1, (lang, value)
        # The agency's name is also a link's title and a filter option: wrapped in FSI…PDI.
        label = agency.label_th if lang == "th" else agency.label_en
        assert assert_shown_isolated(tree, label) >= 2, (lang, label)
        assert_no_unisolated_hidden_text(tree)


def test_several_licences_choice_page_isolates(client, app, embedded_repo, publish):
    """/resolve with a number two licences share: the choices name type and agency."""
    catalogue = load_catalogue(embedded_repo)
    rows = [r for r in demo_rows(catalogue, 200, agency="diw") if r["holder_type"] == "juristic"]
    first = rows[0]
    twin = next(r for r in rows if r["licence_type"] != first["licence_type"]
                and r["issuer"] == first["issuer"]
                and catalogue.types[r["licence_type"]].pattern.fullmatch(first["licence_number"]))
    twin = dict(twin, licence_number=first["licence_number"])
    publish(embedded_repo, [first, twin], "diw")
    agency, licence_type = spoof_catalogue(app, embedded_repo, first["issuer"],
                                           first["licence_type"])
    response = client.get("/resolve", query_string={"number": first["licence_number"]},
                          headers={"Accept": "text/html"})
    assert response.status_code == 300
    tree = parse(response.get_data(as_text=True))
    assert assert_shown_isolated(tree, licence_type.title_th) == 1
    assert assert_shown_isolated(tree, agency.label_th) == 2
    assert_no_unisolated_hidden_text(tree)


def test_not_found_page_isolates_the_path_and_suggestions(client, app, embedded_repo, publish):
    catalogue = load_catalogue(embedded_repo)
    row = next(r for r in demo_rows(catalogue, 60, agency="diw") if r["holder_type"] == "juristic")
    key, = publish(embedded_repo, [row], "diw").keys
    near = key.number[:-1] + ("1" if key.number[-1] != "1" else "2")
    missing = identifiers.LicenceKey(key.issuer, key.type, near)
    tree = page(client, f"/doc/licence/{quote(missing.path)}", status=404)
    assert assert_shown_isolated(tree, missing.path, flagged=False) == 1
    assert assert_shown_isolated(tree, key.number, flagged=False) >= 1


# --- The SPARQL query page --------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["th", "en"])
def test_sparql_results_isolate_and_flag(client, lang):
    query = ('SELECT ?name ?other WHERE { VALUES (?name ?other) '
             '{ ("\\u202E7652/321" "clean ชื่อ") } }')
    response = client.get("/sparql", query_string={"query": query, "lang": lang},
                          headers={"Accept": "text/html"})
    assert response.status_code == 200
    tree = parse(response.get_data(as_text=True))
    assert assert_shown_isolated(tree, f"{RLO}7652/321") == 1
    assert assert_shown_isolated(tree, "clean ชื่อ", flagged=False) == 1
    flags = tree.find_all("span", "hidden-chars")
    assert len(flags) == 1
    assert_no_unisolated_hidden_text(tree)


# --- Uploads: the number refused, other values warned -----------------------------------------

@pytest.fixture
def juristic_row(catalogue):
    return next(r for r in demo_rows(catalogue, 60, agency="diw") if r["holder_type"] == "juristic")


@pytest.mark.parametrize("ch", sorted(DIRECTION_CONTROLS))
def test_a_direction_control_in_a_number_is_refused_naming_it(ch):
    with pytest.raises(identifiers.InvalidNumber) as refused:
        identifiers.canonical_number(f"12{ch}3/2567")
    assert refused.value.rule == "number-characters"
    name = unicodedata.name(ch)
    assert f"U+{ord(ch):04X} {name}" in refused.value.en
    assert f"U+{ord(ch):04X} {name}" in refused.value.th


@pytest.mark.parametrize("ch", [ZWSP, "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad"])
def test_zero_width_characters_in_a_number_are_still_dropped(ch):
    assert identifiers.canonical_number(f"12{ch}3/2567") == "123/2567"


# The province is read as one of the 77 (registry/provinces.py): the next test.
@pytest.mark.parametrize("column", [c for c in FREE_TEXT_COLUMNS if c != "province"])
def test_hidden_characters_in_free_text_are_a_warning(catalogue, juristic_row, column):
    value = juristic_row.get(column) or "ข้อความ"
    hidden = ZWSP if column == "licence_number" else RLO
    raw = dict(juristic_row, **{column: value[:2] + hidden + value[2:]})
    if column == "status_reason":
        raw["status"] = "suspended"
    record, problems = check_row(7, raw, ValidationContext(catalogue))
    assert record is not None, problems                 # accepted: a warning only
    found = [p for p in problems if p.rule == RULE]
    assert len(found) == 1, problems
    warning = found[0]
    assert (warning.row, warning.field, warning.severity) == (7, column, WARNING)
    code = f"U+{ord(hidden):04X} {unicodedata.name(hidden)}"
    texts = rule_texts()[RULE]
    assert warning.en.startswith(texts.en) and code in warning.en and "character 3" in warning.en
    assert warning.th.startswith(texts.th) and code in warning.th and "ตำแหน่งที่ 3" in warning.th
    # stored as given
    stored = record.printed_number if column == "licence_number" else getattr(record, column)
    assert hidden in stored


@pytest.mark.parametrize("hidden", [RLO, ZWSP])
def test_a_province_with_a_hidden_character_is_read_as_its_official_name(catalogue,
                                                                          juristic_row, hidden):
    raw = dict(juristic_row, province=f"ขอ{hidden}นแก่น")
    record, problems = check_row(7, raw, ValidationContext(catalogue))
    assert record is not None and record.province == "ขอนแก่น"      # stored without it
    assert not [p for p in problems if p.rule == RULE]
    read, = [p for p in problems if p.rule == "province-mapped"]
    assert f"\\u{ord(hidden):04x}" in read.en and "ขอนแก่น (Khon Kaen, TH-40)" in read.en


def test_a_clean_row_gets_no_hidden_character_warning(catalogue):
    rows = list(demo_rows(catalogue, 200))
    _records, problems = check_batch(enumerate(rows, start=2), ValidationContext(catalogue))
    assert not [p for p in problems if p.rule == RULE]


def test_a_direction_control_in_the_number_refuses_the_row(catalogue, juristic_row):
    raw = dict(juristic_row, licence_number=RLO + juristic_row["licence_number"])
    record, problems = check_row(4, raw, ValidationContext(catalogue))
    assert record is None
    refused = [p for p in problems if p.severity != WARNING]
    assert [(p.field, p.rule) for p in refused] == [("licence_number", "number-characters")]
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in refused[0].en


def test_the_rule_is_declared_as_a_pipeline_warning():
    from tests.support import reference

    texts = rule_texts()[RULE]
    assert texts.severity == WARNING
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in texts.th) and texts.en != texts.th
    assert RULE in reference.pipeline_rule_codes()


@pytest.fixture
def diw_key(embedded_repo):
    key, _ = issue_key(embedded_repo, BASE, "diw")
    return key


def test_api_report_carries_the_warning(client, diw_key, juristic_row):
    raw = dict(juristic_row, holder_name=SPOOFS["holder_name"])
    response = client.post("/api/v1/uploads?dry_run=true", data=rows_to_csv([raw]).encode(),
                           headers={"Authorization": f"Bearer {diw_key}",
                                    "Content-Type": "text/csv"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    found = [p for p in body["problems"] if p["rule"] == RULE]
    assert found == [{"row": 2, "field": "holder_name", "rule": RULE, "severity": WARNING,
                      "message": found[0]["message"]}]
    assert "U+202E" in found[0]["message"]["th"] and "U+202E" in found[0]["message"]["en"]


@pytest.mark.parametrize("lang", ["th", "en"])
def test_upload_page_reports_the_warning_and_isolates_the_cell(client, diw_key, juristic_row,
                                                               lang):
    raw = dict(juristic_row, holder_name=SPOOFS["holder_name"], conditions=SPOOFS["conditions"])
    form = {"key": diw_key, "action": "dry-run", "lang": lang,
            "file": (io.BytesIO(rows_to_csv([raw]).encode("utf-8")), f"{RLO}gpj.csv")}
    response = client.post("/upload", data=form, content_type="multipart/form-data")
    assert response.status_code == 200
    tree = parse(response.get_data(as_text=True))
    warnings = {(tr.attrs["data-field"], tr.attrs["data-rule"]): tr
                for tr in tree.find_all("tr", "problem")}
    texts = rule_texts()[RULE]
    other = "en" if lang == "th" else "th"
    for field in ("holder_name", "conditions"):
        tr = warnings[(field, RULE)]
        assert "severity-warning" in tr.attrs["class"]
        assert tr.find("p", "message").text.startswith(getattr(texts, lang))
        assert tr.find("p", "message-other").text.startswith(getattr(texts, other))
        assert "U+202E" in tr.find("p", "message").text
        article = tr
        while article.tag != "article":
            article = article.parent
        assert article.attrs["data-row"] == "2"
    # The row as it is in the file: each value isolated and flagged; the file's name too.
    for value in (SPOOFS["holder_name"], SPOOFS["conditions"], f"{RLO}gpj.csv"):
        assert assert_shown_isolated(tree, value) >= 1, value
    assert_no_unisolated_hidden_text(tree)


# --- Feeds: plain text, so values that can reorder a line are wrapped in FSI…PDI ------------------

@pytest.mark.parametrize("fmt", ["atom", "ics"])
def test_expiry_feed_isolates_a_holder_name_that_can_reorder_text(client, app, embedded_repo, fmt):
    import datetime as dt

    from registry.dates import thai_today

    catalogue = load_catalogue(embedded_repo)
    row = next(r for r in demo_rows(catalogue, 60, agency="diw") if r["holder_type"] == "juristic")
    records, problems = check_batch([(2, row)], ValidationContext(catalogue))
    assert records, problems
    spoof = SPOOFS["holder_name_en"]
    record = dataclasses.replace(records[0], status="active", holder_name_en=spoof,
                                 valid_until=thai_today() + dt.timedelta(days=10),
                                 issued=thai_today() - dt.timedelta(days=300))
    commit(embedded_repo, [record], base=BASE, catalogue=catalogue, agency="diw")
    response = client.get("/feeds/expiring", query_string={
        "holder": record.holder_id, "days": "30", **({"format": "ics"} if fmt == "ics" else {})})
    assert response.status_code == 200, response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    if fmt == "ics":        # unfolded, and TEXT escaping undone for the comma the name holds
        text = text.replace("\r\n ", "").replace("\\,", ",")
    assert FSI + spoof + PDI in text
