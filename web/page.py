"""What every page shares: the visitor's language, and the words and catalogue it reads."""

from __future__ import annotations

import datetime as dt

from flask import Flask, request

from registry.dates import THAILAND, display_date, display_datetime, parse_moment
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


def _day(value: dt.date | str | None, lang: str) -> str:
    """`{{ day|day(lang) }}`: a date (or an ISO date's text) as the page's language shows it."""
    if isinstance(value, str):             # an xsd:date, or an xsd:dateTime (stored in UTC)
        value = parse_moment(value) if len(value) > 10 else parse_day(value)
    if isinstance(value, dt.datetime):     # a moment's day is its day in Thailand
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        value = aware.astimezone(THAILAND).date()
    return display_date(value, lang)


def parse_day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _moment(value: dt.datetime | str | None, lang: str) -> str:
    """`{{ moment|moment(lang) }}`: a stored xsd:dateTime as day and time in Thailand."""
    return display_datetime(parse_moment(value) if isinstance(value, str) else value, lang)


def register_date_filters(app: Flask) -> None:
    app.add_template_filter(_day, "day")
    app.add_template_filter(_moment, "moment")
