"""`/feeds/`: the page that explains the expiry feeds (`/feeds/expiring`, opendata/feeds.py) and
builds a feed's address from a form — a holder's (a juristic person's 13-digit ID) or an
issuing agency's, optionally one licence type, over some days — with no script: the form is a
GET to this page, which answers with the addresses (Atom and iCalendar) or says, in the
visitor's language, what is wrong with what was typed (400)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, render_template, request

from opendata.feeds import DEFAULT_DAYS, FORMATS, MAX_DAYS, FeedQuery
from registry import thaiid
from registry.model import Catalogue
from web.page import page_context, preferred_language
from web.state import today

bp = Blueprint("feeds_page", __name__, template_folder="templates")


@dataclass(frozen=True)
class FeedForm:
    """What the form holds, as typed (shown again in the form)."""

    holder: str = ""
    issuer: str = ""
    type: str = ""
    days: str = str(DEFAULT_DAYS)

    @property
    def asked(self) -> bool:
        return bool(self.holder or self.issuer)


def read_form() -> FeedForm:
    args = request.args
    return FeedForm(holder=args.get("holder", "").strip()[:100],
                    issuer=args.get("issuer", "").strip()[:100],
                    type=args.get("type", "").strip()[:100],
                    days=args.get("days", "").strip()[:10] or str(DEFAULT_DAYS))


def check(form: FeedForm, catalogue: Catalogue) -> tuple[FeedQuery | None, str | None]:
    """The feed the form asks for, or the name of its problem (a [feedspage] problem.* word)."""
    if form.holder and form.issuer:
        return None, "one_of"
    holder = thaiid.canonical_id(form.holder) if form.holder else ""
    if holder:
        if not thaiid.is_thirteen_digits(holder):
            return None, "holder_digits"
        if not holder.startswith("0"):
            return None, "holder_natural"
        if not thaiid.has_valid_check_digit(holder):
            return None, "holder_check"
    elif form.issuer not in catalogue.agencies:
        return None, "issuer"
    if form.type and form.type not in catalogue.types:
        return None, "type"
    if not (form.days.isascii() and form.days.isdigit() and 1 <= int(form.days) <= MAX_DAYS):
        return None, "days"
    return FeedQuery(int(form.days), today(), holder_id=holder,
                     issuer="" if holder else form.issuer, type=form.type), None


def feed_urls(base: str, query: FeedQuery) -> dict[str, str]:
    """The feed's address in each format, by format name (atom, ics)."""
    return {name: f"{base}/feeds/expiring?{urlencode({**query.params(), 'format': name})}"
            for name in FORMATS}


@bp.get("/feeds/")
def page():
    context = page_context(preferred_language(), "feedspage")
    form = read_form()
    urls, problem = None, None
    if form.asked:
        query, problem = check(form, context["catalogue"])
        if query is not None:
            urls = feed_urls(context["base"], query)
    html = render_template("feeds.html", **context, form=form, urls=urls, problem=problem,
                           max_days=MAX_DAYS)
    return html, 400 if problem else 200
