"""The site's words in Thai and English: the catalogue in web/messages.toml, and its lookup.

A message id is `<area>.<name>`: `common` holds what every page shows (the site's name, the
language switch, the site navigation); the other areas are one page or family of pages each
(`licence`, `term`, `home`, `upload`, `sparql`, `lists`, `dumps`, `error`). Templates read a
page's words as `t.<name>` from `words(lang, area)`; Python code asks `message(id, lang)`.
A text is usually a string (some are `str.format` patterns: `{n}`), sometimes a list (steps)
or a table of words by code (statuses, levels, themes, navigation).

The file is for translators: each text stands with its Thai and English side by side, so a
table by code or a list is written item by item (`status.active = { th = "…", en = "…" }`) and
turned here into one table or list per language. It is read once, on first use, and checked
then: a message lacking a language, or whose two languages differ in shape, stops the reading
with a CatalogueError that names it.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any

LANGUAGES = ("th", "en")        # the languages of every message, in this order
COMMON = "common"
CATALOGUE_FILE = "messages.toml"    # in the `web` package


class CatalogueError(ValueError):
    """The catalogue has a message that is not written alike in every language."""


@cache
def catalogue() -> Mapping[str, tuple[Any, ...]]:
    """Every message by id, as its texts in LANGUAGES' order (read-only; read once)."""
    text = (files("web") / CATALOGUE_FILE).read_text(encoding="utf-8")
    return MappingProxyType(parse_catalogue(text))


def parse_catalogue(text: str) -> dict[str, tuple[Any, ...]]:
    """The messages of a catalogue file's text, by id, in the file's order, each as its texts in
    LANGUAGES' order. CatalogueError for text that is not TOML, and for a message that lacks a
    language or whose languages differ in {placeholders}."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{CATALOGUE_FILE} is not valid TOML: {error}") from error
    messages: dict[str, tuple[Any, ...]] = {}
    for area, names in document.items():
        if not isinstance(names, dict):
            raise CatalogueError(f"{CATALOGUE_FILE}: {area!r} is not an area ([{area}])")
        for name, value in names.items():
            messages[f"{area}.{name}"] = _by_language(f"{area}.{name}", value)
    return messages


def _by_language(where: str, value: Any) -> tuple[Any, ...]:
    """`value` (a text in every language, or a table by code or a list of such values) as one
    value per language, each of the same shape."""
    if isinstance(value, dict) and value.keys() & set(LANGUAGES):
        return _one_text(where, value)
    if isinstance(value, list) and value:
        items = [_by_language(f"{where}[{i}]", item) for i, item in enumerate(value)]
        return tuple([item[column] for item in items] for column in range(len(LANGUAGES)))
    if isinstance(value, dict) and value:
        codes = {_code(code): _by_language(f"{where}.{code}", item) for code, item in value.items()}
        return tuple({code: texts[column] for code, texts in codes.items()}
                     for column in range(len(LANGUAGES)))
    raise CatalogueError(f"message {where}: {value!r} is not a text in {' and '.join(LANGUAGES)}"
                         " (nor a table or list of them)")


def _one_text(where: str, value: dict[str, Any]) -> tuple[str, ...]:
    missing = [lang for lang in LANGUAGES if lang not in value]
    if missing:
        raise CatalogueError(f"message {where} has no {' or '.join(missing)} text")
    others = sorted(value.keys() - set(LANGUAGES))
    if others:
        raise CatalogueError(f"message {where} mixes codes {others} with its languages")
    texts = tuple(value[lang] for lang in LANGUAGES)
    for lang, text in zip(LANGUAGES, texts, strict=True):
        if not isinstance(text, str) or not text:
            raise CatalogueError(f"message {where}: its {lang} text is not a non-empty string")
    placeholders = [_placeholders(where, text) for text in texts]
    if any(names != placeholders[0] for names in placeholders):
        found = ", ".join(f"{lang} {sorted(names)}"
                          for lang, names in zip(LANGUAGES, placeholders, strict=True))
        raise CatalogueError(f"message {where}: its languages differ in placeholders: {found}")
    return texts


def _placeholders(where: str, text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:              # a lone { or }
        raise CatalogueError(f"message {where}: {error} in {text!r}") from error


def _code(code: str) -> str | int:
    """A code of ASCII digits (an HTTP status) is a number, as the pages look it up."""
    return int(code) if code.isascii() and code.isdigit() else code


@cache
def words(lang: str, *areas: str) -> MappingProxyType[str, Any]:
    """The words of `areas` (and the common ones) in `lang`, by name within their area; an area
    named later wins over an earlier one. Read-only: every request shares it."""
    column = LANGUAGES.index(lang)
    chosen: dict[str, Any] = {}
    for area in (COMMON, *areas):
        prefix = area + "."
        chosen.update((mid.removeprefix(prefix), texts[column])
                      for mid, texts in catalogue().items() if mid.startswith(prefix))
    return MappingProxyType(chosen)


def message(message_id: str, lang: str) -> Any:
    """One message in `lang` (KeyError for an id not in the catalogue)."""
    return catalogue()[message_id][LANGUAGES.index(lang)]
