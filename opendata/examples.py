"""The example SPARQL queries of the query page: one file each in `opendata/queries/*.rq`.

A file starts with two comment lines giving its titles, then its note (what the query answers
and why it is written so) in both languages, each after a `# [en]` / `# [th]` line:

    # th: จำนวนใบอนุญาตของแต่ละหน่วยงานผู้ออก
    # en: Licences per issuing agency
    #
    # [en]
    # Current records only. …
    #
    # [th]
    # เฉพาะระเบียนฉบับปัจจุบัน …
    PREFIX schema: <https://schema.org/>
    SELECT …

then the query. The editor opens an example as its note in the page's language (as comments)
followed by the query, so the visitor reads the explanation in their own language. The file
name without `.rq` is the example's id (`/sparql?example=01-licences-per-agency`); the files
are listed in the order of their names. docs/sparql-examples.md describes each query.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable

QUERIES_DIR: Traversable = files("opendata") / "queries"     # package data (pyproject.toml)
_TITLE_KEYS = ("th", "en")


@dataclass(frozen=True)
class Example:
    id: str
    title_th: str
    title_en: str
    query: str                   # the SPARQL, without the titles and notes
    note_th: str = ""            # the note's lines, "\n"-joined, without their "# "
    note_en: str = ""

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_th

    def note(self, lang: str) -> str:
        return self.note_en if lang == "en" else self.note_th

    def text(self, lang: str) -> str:
        """What the editor opens: the note in `lang` as comments, then the query."""
        note = self.note(lang)
        comments = "".join(f"# {line}".rstrip() + "\n" for line in note.splitlines())
        return comments + self.query


class ExampleError(ValueError):
    """A query file without its two title lines, or without its note in both languages."""


def _comment(line: str) -> str:
    """A comment line's text: without its `#` and the one space after it."""
    return line[1:].removeprefix(" ")


def parse_example(example_id: str, text: str) -> Example:
    """An example from the text of its file: the `# th:` / `# en:` lines, the notes after
    `# [en]` and `# [th]`, then the query."""
    lines = text.splitlines()
    titles: dict[str, str] = {}
    while lines and lines[0].startswith("#") and len(titles) < len(_TITLE_KEYS):
        key, colon, value = lines[0][1:].partition(":")
        if not colon or key.strip() not in _TITLE_KEYS or key.strip() in titles:
            break
        titles[key.strip()] = value.strip()
        lines.pop(0)
    if set(titles) != set(_TITLE_KEYS) or not all(titles.values()):
        raise ExampleError(f"{example_id}.rq must start with the lines '# th: …' and '# en: …' "
                           "(the example's titles)")
    notes: dict[str, list[str]] = {}
    language = None
    while lines and lines[0].startswith("#"):
        line = _comment(lines.pop(0)).rstrip()
        marker = line[1:-1] if line.startswith("[") and line.endswith("]") else None
        if marker in _TITLE_KEYS and marker not in notes:
            language = marker
            notes[language] = []
        elif language is not None:
            notes[language].append(line)
        elif line:
            raise ExampleError(f"{example_id}.rq: its note must follow a '# [en]' or '# [th]' line")
    texts = {lang: "\n".join(found).strip("\n") for lang, found in notes.items()}
    if set(texts) != set(_TITLE_KEYS) or not all(texts.values()):
        raise ExampleError(f"{example_id}.rq must explain the query in both languages: a "
                           "'# [en]' and a '# [th]' line, each followed by its comment lines")
    query = "\n".join(lines).strip() + "\n"
    return Example(example_id, titles["th"], titles["en"], query, texts["th"], texts["en"])


def _read_examples(folder: Traversable) -> tuple[Example, ...]:
    queries = sorted((entry for entry in folder.iterdir() if entry.name.endswith(".rq")),
                     key=lambda entry: entry.name)
    return tuple(parse_example(entry.name.removesuffix(".rq"), entry.read_text(encoding="utf-8"))
                 for entry in queries)


@lru_cache(maxsize=1)
def _bundled_examples() -> tuple[Example, ...]:
    return _read_examples(QUERIES_DIR)


def _examples(folder: Traversable | None) -> tuple[Example, ...]:
    return _bundled_examples() if folder is None else _read_examples(folder)


def load_examples(folder: Traversable | None = None) -> list[Example]:
    """Every example, in the order of the file names (the bundled ones read once per process)."""
    return list(_examples(folder))


def example_by_id(example_id: str, folder: Traversable | None = None) -> Example | None:
    return next((e for e in _examples(folder) if e.id == example_id), None)
