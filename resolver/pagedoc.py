"""What the holder and upload pages share: the 303 from /id/, the 301 to a canonical form, one
negotiated answer (HTML or RDF) with its validator, and paging with `?page=`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Response, make_response, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from registry.errors import NotAcceptable
from web import conneg
from web.conditional import conditional
from web.queryparams import int_param
from web.rdfresponse import document_headers, negotiate_request, serialise_triples

PAGE_SIZE = 100
MAX_PAGE = 100_000


def _with_query(path: str) -> str:
    return path + "?" + request.query_string.decode("latin-1") if request.query_string else path


def see_other(path: str) -> BaseResponse:
    """/id/… → 303 to its /doc/ page, the query kept (?lang=, ?format=, ?page=)."""
    response = redirect(_with_query(path), 303)
    response.headers["Vary"] = "Accept"
    return document_headers(response)


def moved(path: str) -> BaseResponse:
    """A variant form of an identifier → 301 to the canonical one, the query kept."""
    return document_headers(redirect(_with_query(path), 301), vary=False)


def wanted_type() -> str:
    """The negotiated media type among HTML and the RDF formats; NotAcceptable (406) if none."""
    wanted = negotiate_request(conneg.DOCUMENT_TYPES)
    if wanted is None:
        raise NotAcceptable(f"Available: {', '.join(conneg.DOCUMENT_TYPES)}.")
    return wanted


def negotiated(wanted: str, triples: Callable[[], Iterable[ox.Triple]],
               html: Callable[[], str], pager: Pager | None = None) -> BaseResponse:
    """The page or its RDF, with Vary, caching, an ETag over the body (so a 304 when the client's
    copy is current) and, when paged, `Link` rel=prev/next."""
    if wanted == conneg.HTML:
        response = make_response(html())
    else:
        response = Response(serialise_triples(triples(), wanted), mimetype=wanted)
    if pager is not None:
        links = [f'<{href}>; rel="{rel}"' for rel, href in
                 (("prev", pager.previous_href), ("next", pager.next_href)) if href]
        if links:
            response.headers["Link"] = ", ".join(links)
    return conditional(document_headers(response))


@dataclass(frozen=True)
class Pager:
    """Which page of `total` items this request shows."""

    page: int
    total: int
    size: int = PAGE_SIZE

    @staticmethod
    def requested() -> int:
        """The page `?page=` asks for (1 when absent); BadRequest (400) when not one."""
        return int_param("page", default=1, minimum=1, maximum=MAX_PAGE)

    @classmethod
    def from_request(cls, total: int, size: int = PAGE_SIZE) -> Pager:
        return cls(cls.requested(), total, size)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    def _href(self, page: int) -> str:
        kept = [(k, v) for k, values in request.args.lists() for v in values if k != "page"]
        return request.path + "?" + urlencode([*kept, ("page", str(page))])

    @property
    def previous_href(self) -> str:
        return self._href(self.page - 1) if 1 < self.page <= self.pages + 1 else ""

    @property
    def next_href(self) -> str:
        return self._href(self.page + 1) if self.page < self.pages else ""
