"""What every page shares: the visitor's language, and the words and catalogue it reads."""

from __future__ import annotations

from flask import request

from web.messages import words
from web.state import current_state

LANGUAGES = ("th", "en")


def preferred_language(*, form: bool = False) -> str:
    """The visitor's language, for every page and error page: the page's own switch first
    (`?lang=`; with `form`, a posted form's `lang` field before it — the upload page's
    switch re-posts the form), then the browser's Accept-Language; Thai when neither says.
    `form` is opt-in: reading the body of any other request (an error page for a body too
    large, say) would parse, or refuse, a body that view never meant to read."""
    asked = (request.form.get("lang") if form else None) or request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES, default="th") or "th"


def page_context(lang: str, *areas: str) -> dict:
    """What a page's template reads: its language, the other one, its words (`t`: the common
    words and those of `areas`, by default the licence pages'), the catalogue, the base IRI."""
    from registry.bootstrap import load_catalogue

    state = current_state()
    catalogue = state.catalogue
    if catalogue is None:     # read once: the catalogue changes only with `init` and a restart
        catalogue = state.catalogue = load_catalogue(state.repository)
    return {"lang": lang, "other": "en" if lang == "th" else "th",
            "t": words(lang, *(areas or ("licence",))),
            "catalogue": catalogue, "base": state.settings.base_iri}
