"""The example SPARQL queries of the query page: one file each in `opendata/queries/*.rq`.

A file starts with two comment lines giving its titles,

    # th: จำนวนใบอนุญาตของแต่ละหน่วยงานผู้ออก
    # en: Licences per issuing agency

then the query, whose own comments (kept: they explain the query in the editor) follow. The
file name without `.rq` is the example's id (`/sparql?example=01-licences-per-agency`); the
files are listed in the order of their names. docs/sparql-examples.md describes each query.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

QUERIES_DIR = Path(__file__).with_name("queries")
_TITLE_KEYS = ("th", "en")


@dataclass(frozen=True)
class Example:
    id: str
    title_th: str
    title_en: str
    query: str

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_th


class ExampleError(ValueError):
    """A query file without its two title lines."""


def parse_example(example_id: str, text: str) -> Example:
    """An example from the text of its file: the `# th:` / `# en:` lines, then the query."""
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
    while lines and lines[0].strip() in ("", "#"):     # the blank comment line after the titles
        lines.pop(0)
    query = "\n".join(lines).strip() + "\n"
    return Example(example_id, titles["th"], titles["en"], query)


@lru_cache(maxsize=4)
def _examples(folder: Path) -> tuple[Example, ...]:
    return tuple(parse_example(path.stem, path.read_text(encoding="utf-8"))
                 for path in sorted(folder.glob("*.rq")))


def load_examples(folder: Path = QUERIES_DIR) -> list[Example]:
    """Every example, in the order of the file names (read once per process)."""
    return list(_examples(Path(folder)))


def example_by_id(example_id: str, folder: Path = QUERIES_DIR) -> Example | None:
    return next((e for e in _examples(Path(folder)) if e.id == example_id), None)
