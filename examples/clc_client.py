"""An example client for other agencies' systems: check many licences at once and follow every
change of the Central Licence Catalogue (docs/api-clients.md). Needs only `requests`.

    python examples/clc_client.py check --base URL numbers.csv [--out results.csv]
    python examples/clc_client.py follow --base URL --state cursor.json [--once] [--every 60]

`check` reads a CSV with a header row (columns `iri`, or `issuer,type,number`, or `number`;
`licence_type` and `licence_number` are accepted too), sends it to POST /api/v1/check in
batches of at most 1,000 items, and writes one row per match to --out (else prints a summary).
Exit code: 0 when every item was found and every licence it matched is active; 1 otherwise
(not found, unreadable, or a match that is suspended, revoked, expired...); 2 on a usage or
HTTP error.

`follow` reads GET /api/v1/changes from the cursor saved in --state (none yet: from the first
entry), prints each change as `index<TAB>licence<TAB>version<TAB>status`, and saves the cursor
after every page (a temporary file renamed over the old one, so a crash never leaves half a
cursor). With --once it stops when caught up; otherwise it asks again every --every seconds.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

BATCH = 1000                     # the most items one POST /api/v1/check takes
TIMEOUT = 30                     # seconds, on every request
MAX_WAIT = 300                   # never wait longer than this on one Retry-After
USER_AGENT = "clc-example-client/1.0 (+docs/api-clients.md)"
OUT_COLUMNS = ["position", "item", "found", "iri", "issuer", "licence_type", "number", "status",
               "valid_until", "version", "log_index", "document_sha256", "error"]


class ApiError(Exception):
    """The register answered with an error: `status` and its error body (or None)."""

    def __init__(self, status: int, body: Any):
        error = body.get("error", {}) if isinstance(body, dict) else {}
        super().__init__(f"HTTP {status}: {error.get('code', '')} {error.get('detail', '')}")
        self.status, self.body = status, body


@dataclass
class Page:
    lines: list[dict]            # the page's changes, in log order
    next_after: int | None       # the cursor to ask from next (None: from the start)
    caught_up: bool              # True when the page was the last one for now


class Client:
    """One register at `base` (e.g. https://register.example): `check(items)` and
    `changes(after)`; `sleep` is what waits on a 429 (tests pass one that records)."""

    def __init__(self, base: str, *, session: requests.Session | None = None,
                 timeout: float = TIMEOUT, sleep: Callable[[float], None] = time.sleep,
                 retries: int = 5):
        self.base = base.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.timeout, self.sleep, self.retries = timeout, sleep, retries

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request; on 429, wait as long as Retry-After says and try again."""
        for attempt in range(self.retries + 1):
            response = self.session.request(method, self.base + path, timeout=self.timeout,
                                            **kwargs)
            if response.status_code != 429 or attempt == self.retries:
                break
            self.sleep(retry_after(response.headers.get("Retry-After")))
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = None
            raise ApiError(response.status_code, body)
        return response

    def check(self, items: Iterable[str | dict]) -> list[dict]:
        """The check API's result for each item (IRI string, bare number, or object with
        issuer/type/number), in order; `position` counts over all the items, from 1."""
        items, results = list(items), []
        for start in range(0, len(items), BATCH):
            response = self._request("POST", "/api/v1/check",
                                     json={"items": items[start:start + BATCH]})
            for result in response.json()["results"]:
                results.append({**result, "position": start + result["position"]})
        return results

    def pages(self, after: int | None = None) -> Iterator[Page]:
        """The changes feed page by page from the cursor, until caught up."""
        while True:
            params = {} if after is None else {"after": after}
            response = self._request("GET", "/api/v1/changes", params=params)
            lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
            # after=0 (what an empty log answers) starts at entry 0 again, so entry 0 may come
            # twice: harmless, applying a version is idempotent.
            header = response.headers.get("X-Next-After")
            next_after = int(header) if header is not None else after
            caught_up = "next" not in response.links or next_after == after
            yield Page(lines, next_after, caught_up)
            if caught_up:
                return
            after = next_after

    def changes(self, after: int | None = None) -> Iterator[dict]:
        """Every change after the cursor (None: from the first), until caught up."""
        for page in self.pages(after):
            yield from page.lines


def retry_after(value: str | None) -> float:
    """Seconds to wait from a Retry-After header (seconds; anything else: 1 s)."""
    try:
        return min(max(float(value or 1), 0.0), MAX_WAIT)
    except ValueError:
        return 1.0


def read_items(path: Path) -> list[str | dict]:
    """The items of a CSV file in the forms the check API takes."""
    items: list[str | dict] = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            number = row.get("number") or row.get("licence_number", "")
            kind = row.get("type") or row.get("licence_type", "")
            if row.get("iri"):
                items.append(row["iri"])
            elif row.get("issuer") or kind:
                items.append({"issuer": row.get("issuer", ""), "type": kind, "number": number})
            else:
                items.append({"number": number})
    return items


def is_good(result: dict) -> bool:
    """Found, and every licence it matched is active today."""
    matches = result.get("matches") or []
    return bool(result.get("found")) and bool(matches) and all(
        m.get("status") == "active" for m in matches)


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, bool):
        text = str(value).lower()
    else:
        text = "" if value is None else str(value)
    # A cell that a spreadsheet would run as a formula is kept as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_results(results: list[dict], out) -> None:
    writer = csv.writer(out)
    writer.writerow(OUT_COLUMNS)
    for result in results:
        error = (result.get("error") or {}).get("message", {}).get("en", "")
        head = [result["position"], result["item"], result["found"]]
        for match in result.get("matches") or [{}]:
            writer.writerow([_cell(v) for v in head + [match.get(c) for c in OUT_COLUMNS[3:-1]]]
                            + [_cell(error)])


def load_cursor(path: Path) -> int | None:
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get("after")


def save_cursor(path: Path, after: int | None) -> None:
    """Write the cursor to a temporary file beside `path`, then rename it over `path`."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"after": after}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)


def follow(client: Client, state: Path, on_change: Callable[[dict], None], *, once: bool,
           every: float = 60, sleep: Callable[[float], None] = time.sleep) -> None:
    while True:
        for page in client.pages(load_cursor(state)):
            for line in page.lines:
                on_change(line)
            save_cursor(state, page.next_after)
        if once:
            return
        sleep(every)


def print_change(line: dict) -> None:
    print(f"{line['index']}\t{line['licence']}\t{line['version']}\t{line['status']}", flush=True)


def main(argv: list[str] | None = None, *, sleep: Callable[[float], None] = time.sleep) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check the licences of a CSV file")
    check.add_argument("csv", type=Path)
    check.add_argument("--out", type=Path, help="write one CSV row per match here")
    following = commands.add_parser("follow", help="follow the changes feed")
    following.add_argument("--state", type=Path, required=True, help="the cursor file")
    following.add_argument("--once", action="store_true", help="stop when caught up")
    following.add_argument("--every", type=float, default=60, help="seconds between polls")
    for command in (check, following):
        command.add_argument("--base", required=True, help="the register, e.g. https://…")
    args = parser.parse_args(argv)
    client = Client(args.base, sleep=sleep)
    try:
        if args.command == "follow":
            follow(client, args.state, print_change, once=args.once, every=args.every,
                   sleep=sleep)
            return 0
        items = read_items(args.csv)
        if not items:
            print(f"error: {args.csv} has no items", file=sys.stderr)
            return 2
        results = client.check(items)
    except (ApiError, requests.RequestException, OSError, ValueError, csv.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.out:
        with open(args.out, "w", encoding="utf-8", newline="") as out:
            write_results(results, out)
    good = sum(is_good(r) for r in results)
    found = sum(bool(r.get("found")) for r in results)
    print(f"checked {len(results)}, found {found}, found and active {good}, "
          f"not found {len(results) - found}")
    return 0 if good == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
