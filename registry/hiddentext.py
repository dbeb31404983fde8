"""Characters a reader cannot see in stored text, and showing stored text without letting them
reorder the page (issue 10: a U+202E RIGHT-TO-LEFT OVERRIDE made a licence page show text
reversed, a "Trojan Source"-style spoof).

One decision, `hidden_characters`, serves both the upload check (the warning
`text-hidden-characters`, registry/validation.py) and the pages (the Jinja filter `bdi` flags the
value next to it), so the report and the page never disagree about a value.

Hidden = every character of Unicode general category Cf (format: direction controls, zero-width
characters, the soft hyphen, invisible operators, tag characters…) except the prepended
concatenation marks, which are Cf but drawn (U+0600–U+0605, U+06DD, U+070F, U+0890, U+0891,
U+08E2, U+110BD, U+110CD); plus the Hangul fillers, letters that draw nothing and so make a name
look blank or like another. Variation selectors (emoji and ideograph forms) are not flagged.
The table is written out (importing is instant); tests/test_bidi.py checks it against the
running Python's Unicode database, so a new Unicode version that adds a Cf character fails a
test rather than passing unflagged.
"""

from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup, escape

# The explicit direction formatting characters of the Unicode Bidirectional Algorithm (UAX #9):
# marks, embeddings, overrides, isolates and their terminators.
DIRECTION_CONTROLS = frozenset(map(chr, (
    0x061C,                       # ARABIC LETTER MARK
    0x200E, 0x200F,               # LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
    *range(0x202A, 0x202F),       # LRE, RLE, PDF, LRO, RLO
    *range(0x2066, 0x206A),       # LRI, RLI, FSI, PDI
)))

# (first, last) code points, inclusive: category Cf of Unicode 14 (Python 3.11) without the
# prepended concatenation marks, and the four Hangul fillers.
HIDDEN_RANGES = (
    (0x00AD, 0x00AD), (0x061C, 0x061C), (0x115F, 0x1160), (0x180E, 0x180E),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F),
    (0x3164, 0x3164), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF9, 0xFFFB),
    (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
HIDDEN_RE = re.compile("[" + "".join(
    re.escape(chr(first)) + ("-" + re.escape(chr(last)) if last != first else "")
    for first, last in HIDDEN_RANGES) + "]")

# Bidi classes that can move the text around them: right-to-left letters and the explicit
# controls. A value without any is laid out the same isolated or not.
_REORDERING_CLASSES = frozenset({"R", "AL", "LRE", "RLE", "LRO", "RLO", "PDF",
                                 "LRI", "RLI", "FSI", "PDI"})
FSI, PDI = "\u2068", "\u2069"         # FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE

# The flag next to a value on a page, in both languages whatever the page's language: the
# reader may be checking a licence in either, and the warning must not need a language switch.
FLAG_TH = "มีอักขระที่มองไม่เห็นหรืออักขระควบคุมทิศทางซ่อนอยู่"
FLAG_EN = "contains hidden direction/invisible characters"
_FLAG_CODES_SHOWN = 5


def hidden_characters(text: str) -> list[tuple[int, str]]:
    """(0-based position, character) of every hidden character in `text`; [] when none."""
    if HIDDEN_RE.search(text) is None:          # the usual case, a third faster than finditer
        return []
    return [(found.start(), found.group()) for found in HIDDEN_RE.finditer(text)]


def has_hidden_characters(text: str) -> bool:
    return HIDDEN_RE.search(text) is not None


def describe(ch: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE`: a character a person cannot see, as they can look it up."""
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')}"


def _distinct_codes(text: str) -> list[str]:
    return list(dict.fromkeys(f"U+{ord(ch):04X}" for _at, ch in hidden_characters(text)))


def _as_text(value) -> str | None:
    """A template value as text; None for nothing to show (None, undefined, empty)."""
    if value is None or value == "":
        return None
    from jinja2 import Undefined
    if isinstance(value, Undefined):
        return None
    return str(value)


def bdi(value) -> Markup:
    """Template filter for a value shown in an element: the value in `<bdi>` (its own direction,
    isolated from the text around it) and, when it holds hidden characters, a visible flag."""
    text = _as_text(value)
    if text is None:
        return Markup("")
    shown = Markup("<bdi>%s</bdi>") % escape(value)
    codes = _distinct_codes(text)
    if not codes:
        return shown
    listed = ", ".join(codes[:_FLAG_CODES_SHOWN]) + ("…" if len(codes) > _FLAG_CODES_SHOWN else "")
    return shown + Markup(
        ' <span class="hidden-chars" role="note" data-hidden="%s"><span aria-hidden="true">⚠'
        '</span> <span lang="th">%s</span> · <span lang="en">%s</span> (%s)</span>'
    ) % (" ".join(codes), FLAG_TH, FLAG_EN, listed)


def isolate(value) -> str:
    """Template filter for a value where no element may go (`<title>`, `<option>`, an attribute):
    wrapped in FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE when it holds anything that can
    reorder text (the PDI also ends any embedding or override left open inside); unchanged when
    it holds nothing of the kind, so ordinary Thai and English text is not padded with
    invisible characters a reader might copy."""
    text = _as_text(value)
    if text is None:
        return ""
    if any(unicodedata.bidirectional(ch) in _REORDERING_CLASSES for ch in text):
        return FSI + text + PDI
    return text


def register_filters(app) -> None:
    """`{{ value|bdi }}` and `{{ value|isolate }}` in every template of the app."""
    app.add_template_filter(bdi, "bdi")
    app.add_template_filter(isolate, "isolate")
