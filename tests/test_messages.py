"""The one th/en message catalogue (web/messages.toml, read by web/messages.py): every message
in both languages, of the same shape and with the same placeholders; no page's words hide the
common ones; every word a template reads as `t.<name>` is in the catalogue; a catalogue file
that breaks these is refused when it is read, naming the message."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from web.messages import (
    COMMON,
    LANGUAGES,
    CatalogueError,
    catalogue,
    message,
    parse_catalogue,
    words,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = [path for package in ("web", "resolver", "publishing", "opendata")
             for path in (ROOT / package / "templates").rglob("*.html")]
MESSAGES = catalogue()


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _same_shape(th, en) -> bool:
    if isinstance(th, str):
        return isinstance(en, str) and _placeholders(th) == _placeholders(en)
    if isinstance(th, list):
        return isinstance(en, list) and len(th) == len(en) \
            and all(_same_shape(a, b) for a, b in zip(th, en, strict=True))
    return isinstance(th, dict) and isinstance(en, dict) and th.keys() == en.keys() \
        and all(_same_shape(th[k], en[k]) for k in th)


@pytest.mark.parametrize("message_id", sorted(MESSAGES))
def test_every_message_is_in_both_languages_alike(message_id):
    assert re.fullmatch(r"[a-z]+\.[A-Za-z0-9_]+", message_id)   # Violation: a severity
    th, en = MESSAGES[message_id]
    assert th and en
    assert _same_shape(th, en)


def test_no_area_hides_a_common_word():
    common = {mid.split(".", 1)[1] for mid in MESSAGES if mid.startswith(COMMON + ".")}
    hiding = sorted(mid for mid in MESSAGES
                    if not mid.startswith(COMMON + ".") and mid.split(".", 1)[1] in common)
    assert not hiding


def test_words_and_message_read_the_same_table():
    for lang in LANGUAGES:
        licence = words(lang, "licence")
        assert licence["site"] == message("common.site", lang)
        assert licence["status"] == message("licence.status", lang)
        assert words(lang, "licence") is licence          # built once, shared read-only
        with pytest.raises(TypeError):
            licence["site"] = "x"                          # type: ignore[index]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_word_a_template_reads_is_in_the_catalogue(template):
    names = {mid.split(".", 1)[1] for mid in MESSAGES}
    read = set(re.findall(r"\bt\.([a-z_][a-z0-9_]*)", template.read_text(encoding="utf-8")))
    assert read <= names, sorted(read - names)


def test_tables_by_code_and_lists_are_written_item_by_item():
    assert parse_catalogue("""
[area]
text = { th = "ก {n}", en = "a {n}" }
long.th = "ข"
long.en = "b"
codes.one = { th = "หนึ่ง", en = "one" }
codes.404 = { th = "ไม่พบ", en = "not found" }
steps = [
    { th = "หนึ่ง", en = "first" },
    { th = "สอง", en = "second" },
]
""") == {"area.text": ("ก {n}", "a {n}"),
         "area.long": ("ข", "b"),
         "area.codes": ({"one": "หนึ่ง", 404: "ไม่พบ"}, {"one": "one", 404: "not found"}),
         "area.steps": (["หนึ่ง", "สอง"], ["first", "second"])}


@pytest.mark.parametrize(("toml", "says"), [
    ('[area]\ntext = { th = "ก" }', "message area.text has no en text"),
    ('[area]\ncodes.one = { th = "หนึ่ง", en = "one" }\ncodes.two.en = "two"',
     "message area.codes.two has no th text"),
    ('[area]\nsteps = [{ th = "ก", en = "a" }, { en = "b" }]', "message area.steps[1] has no th"),
    ('[area]\ntext = { th = "ก {n}", en = "a {count}" }', "message area.text: its languages "
                                                          "differ in placeholders"),
    ('[area]\ntext = { th = "ก", en = "" }', "message area.text: its en text is not"),
    ('[area]\ntext = { th = "ก", en = "a", de = "x" }', "message area.text mixes codes ['de']"),
    ('[area]\ntext = "ก"', "message area.text: 'ก' is not a text in th and en"),
    ('[area]\ntext = { th = "ก {", en = "a {" }', "message area.text: "),
    ('text = "x"', "'text' is not an area"),
    ('[area]\ntext = { th = "ก", en = "a"', "not valid TOML"),
])
def test_a_message_not_alike_in_both_languages_is_refused_by_name(toml, says):
    with pytest.raises(CatalogueError) as refused:
        parse_catalogue(toml)
    assert says in str(refused.value)
