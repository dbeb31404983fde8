"""Search benchmark: the licence side index (SQLite FTS5 trigram) against the naive SPARQL
CONTAINS over names in pyoxigraph, same licences, same run; and how building the index grows.

    python bench/search.py [--sizes 10000,100000,1000000] [--queries 200] [--naive-queries 5]

For each size:
1. Demo licences (ops/demo.py) with varied holder names: the demo's ten companies would make
   every name query match a tenth of the register, so each juristic holder gets a name made of
   three Thai words (and their English spelling) out of 40, 64,000 names in all; not timed.
2. A real pyoxigraph store of them: each licence's record as the register writes it
   (registry/rdfmap.py: content and version lines, one upload activity per 10,000), bulk-loaded
   into a fresh embedded store (the ingest benchmark times the validating pipeline). Above
   `--full-store-max` (default 100,000) the store holds only each record's holder and names
   (`dct:subject`, `legal:legalName`, `foaf:name` in the record's graph): all that the naive
   query reads, so the comparison stays fair, at a fraction of the loading time.
3. The index built from that store through the Repository interface (`LicenceIndex.rebuild`, as
   `licence-registry reindex` does; full stores only), and built straight from the generated
   rows (`load_rows`, every size); wall time and file size.
4. p50/p95/max of `index.search()` over `--queries` queries of each kind, drawn from the
   licences: a Thai substring of a name (3–6 characters), an English substring (4–8), a
   whole Thai word, a printed number, a number typed with Thai digits, a juristic ID, a
   common word that matches most names ("จำกัด", "Co."), and text no name holds (the naive
   query's worst case: it reads every name).
5. The naive approach on the same store: `CONTAINS(LCASE(?name), …)` over every holder name of
   the current records with `LIMIT 20`, `--naive-queries` of each name kind.

Results are printed and written to bench/out/search.json. Record them in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sizes import bulk_load, records_of, run_sizes, size_arguments  # noqa: E402

BASE = "http://127.0.0.1:8000"

_WORDS = [("สยาม", "Siam"), ("ไทย", "Thai"), ("รุ่งเรือง", "Rungruang"), ("เจริญ", "Charoen"),
          ("ทรัพย์", "Sap"), ("มั่นคง", "Mankhong"), ("พัฒนา", "Pattana"), ("ศรี", "Sri"),
          ("นคร", "Nakhon"), ("ลานนา", "Lanna"), ("อีสาน", "Isan"), ("ทะเล", "Thale"),
          ("ใต้", "Tai"), ("กรีน", "Green"), ("ชัย", "Chai"), ("มงคล", "Mongkhon"),
          ("ทอง", "Thong"), ("เงิน", "Ngoen"), ("เพชร", "Phet"), ("ฟ้า", "Fa"), ("ดาว", "Dao"),
          ("เหนือ", "Nuea"), ("ตะวัน", "Tawan"), ("จันทร์", "Chan"), ("ภูเขา", "Phukhao"),
          ("แม่น้ำ", "Maenam"), ("อุตสาหกรรม", "Industry"), ("เทรดดิ้ง", "Trading"),
          ("ฟู้ด", "Food"), ("เอนเนอร์ยี", "Energy"), ("โลจิสติกส์", "Logistics"),
          ("เคมี", "Chemical"), ("การเกษตร", "Agro"), ("ก่อสร้าง", "Construction"),
          ("โลหะ", "Metal"), ("พลาสติก", "Plastic"), ("สิ่งทอ", "Textile"), ("ยานยนต์", "Auto"),
          ("อาหาร", "Foods"), ("บริการ", "Services")]


def varied_rows(count: int, seed: int):
    """Demo rows whose juristic holders have varied names (see the module's docstring)."""
    from ops.demo import demo_rows
    from registry.model import read_catalogue
    from registry.paths import CATALOGUE_DIR

    rng = random.Random(seed)  # noqa: S311 — repeatable benchmark data
    for row in demo_rows(read_catalogue(CATALOGUE_DIR), count, seed=seed):
        if row["holder_type"] == "juristic":
            words = rng.sample(_WORDS, 3)
            row["holder_name"] = "บริษัท " + "".join(w[0] for w in words) + " จำกัด"
            row["holder_name_en"] = " ".join(w[1] for w in words) + " Co., Ltd."
        yield row


_NAME_PREDICATES = ("<http://purl.org/dc/terms/subject>", "<http://www.w3.org/ns/legal#legalName>",
                    "<http://xmlns.com/foaf/0.1/name>")


def build_store(path: Path, count: int, seed: int, names_only: bool = False):
    """A store of `count` licences (records as the register writes them, bulk-loaded; with
    `names_only`, just each record's holder and names, all the naive query reads), what the
    index would hold of them as rows, and samples for the queries."""

    from registry import identifiers, rdfmap
    from registry.bootstrap import init_store, load_catalogue
    from registry.store.embedded import EmbeddedRepository

    repo = EmbeddedRepository(path, create=True)
    init_store(repo, BASE)
    catalogue = load_catalogue(repo)
    repo.close()
    nq = path.parent / f"licences-{count}.nq"
    rows: list = []
    samples: list[dict] = []
    stamp = "2026-11-01T00:00:00Z"
    with open(nq, "w", encoding="utf-8") as out:
        for i, rec in enumerate(records_of(varied_rows(count, seed))):
            upload = identifiers.upload_iri(BASE, f"bench-{i // 10_000}")
            public = catalogue.types[rec.key.type].public_register
            lines = rdfmap.content_lines(rec, BASE, public)
            lines += rdfmap.version_lines(rec, BASE, version=1,
                                          record_digest=rdfmap.legacy_digest(lines),
                                          timestamp=stamp, agency=rec.key.issuer,
                                          upload_iri=upload, previous_status=None)
            if names_only:
                lines = [line for line in lines if line.split(" ", 2)[1] in _NAME_PREDICATES]
            out.write("\n".join(lines) + "\n")
            if i % 10_000 == 0:
                graph = f"<{identifiers.upload_graph_iri(BASE, f'bench-{i // 10_000}')}>"
                out.write(f"<{upload}> <https://w3id.org/clc/def#created> \"10000\"^^"
                          f"<http://www.w3.org/2001/XMLSchema#integer> {graph} .\n"
                          f"<{upload}> <http://www.w3.org/ns/prov#endedAtTime> \"{stamp}\"^^"
                          f"<http://www.w3.org/2001/XMLSchema#dateTime> {graph} .\n")
            rows.append(index_row(rec, public, stamp))
            if rec.holder_type == "juristic" and len(samples) < 5000:
                samples.append({"th": rec.holder_name, "en": rec.holder_name_en,
                                "number": rec.printed_number, "id": rec.holder_id})
    return rows, samples, bulk_load(path, nq)


def index_row(rec, public_register: bool, stamp: str):
    """What the index holds of a record (as registry/licencesource.py reads it from a store)."""
    from registry import identifiers
    from registry.licencesource import SourceRow

    juristic = rec.holder_type == "juristic"
    named = juristic or public_register
    return SourceRow(
        identifiers.licence_iri(BASE, rec.key), rec.key.issuer, rec.key.type, rec.key.number,
        rec.printed_number, rec.holder_id if juristic else "",
        rec.holder_name if named else "", rec.holder_name_en if named else "", rec.status,
        rec.issued.isoformat(), rec.valid_until.isoformat() if rec.valid_until else "", stamp)


def page_timings(index) -> dict:
    """What the other pages ask the index (home page figures, agency pages, the sitemap)."""
    today = dt.date(2026, 11, 1)
    top_issuer = index.licences(limit=1)[1][0].issuer

    def uncached(ask):
        def run():
            index._figures.clear()      # noqa: SLF001 — time the work, not the cache
            return ask()
        return run

    asks = {
        "count (not cached)": uncached(index.count),
        "count (cached)": index.count,
        "figures (not cached)": uncached(lambda: index.figures(today)),
        "issuer, first page": lambda: index.licences(issuer=top_issuer, limit=50),
        "issuer + active, page 100": lambda: index.licences(
            issuer=top_issuer, status="active", today=today, offset=4950, limit=50),
        "type + expired": lambda: index.licences(type="factory-operation", status="expired",
                                                 today=today, limit=50),
        "status revoked": lambda: index.licences(status="revoked", today=today, limit=50),
        "sitemap chunk (50,000 IRIs) at the end": lambda: index.iris(
            max(0, index.count() - 50_000), 50_000),
    }
    return {name: timed(lambda _, ask=ask: ask(), range(5)) for name, ask in asks.items()}


def queries(samples: list[dict], n: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)  # noqa: S311
    thai_digits = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")

    def part(text: str, low: int, high: int) -> str:
        size = rng.randint(low, min(high, len(text)))
        start = rng.randint(0, len(text) - size)
        return text[start:start + size]

    picked = [rng.choice(samples) for _ in range(n)]
    core = [s["th"].removeprefix("บริษัท ").removesuffix(" จำกัด") for s in picked]
    return {
        "thai substring": [part(c, 3, 6) for c in core],
        "english substring": [part(s["en"].removesuffix(" Co., Ltd."), 4, 8) for s in picked],
        "thai word": [rng.choice(_WORDS)[0] for _ in picked],
        "number": [s["number"] for s in picked],
        "number, thai digits": [s["number"].translate(thai_digits) for s in picked],
        "juristic id": [s["id"] for s in picked],
        "common word": ["จำกัด", "Co.", "บริษัท", "Ltd"] * (n // 4),
        "nothing matches": [rng.choice(["ไม่มีบริษัท", "Nowhere Ltd", "ฟ้าฟ้าฟ้า", "Qzx"]) + str(i)
                            for i in range(n)],
    }


def timed(call, items) -> dict:
    times, hits = [], 0
    for item in items:
        started = time.perf_counter()
        found = call(item)
        times.append((time.perf_counter() - started) * 1000)
        hits += bool(found)
    times.sort()
    return {"runs": len(times), "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 2),
            "max_ms": round(times[-1], 2), "found_some": hits}


_NAIVE = """PREFIX dct: <http://purl.org/dc/terms/>
PREFIX legal: <http://www.w3.org/ns/legal#>
SELECT ?l ?name ?q WHERE {
  GRAPH ?g { ?l dct:subject ?h . ?h legal:legalName ?name }
  FILTER(CONTAINS(LCASE(STR(?name)), LCASE(?q)))
} LIMIT 20"""


def run_size(count: int, work: Path, n: int, naive_n: int, full_store_max: int) -> dict:
    import pyoxigraph as ox

    from registry.licenceindex import LicenceIndex
    from registry.store.embedded import EmbeddedRepository

    print(f"== {count:,} licences", flush=True)
    store_path = work / f"store-{count}"
    started = time.perf_counter()
    full = count <= full_store_max
    rows, samples, load_s = build_store(store_path, count, seed=count, names_only=not full)
    result: dict = {"licences": count, "store": "full records" if full else "holder names only",
                    "generate_and_map_s": round(time.perf_counter() - started - load_s, 1),
                    "store_bulk_load_s": round(load_s, 1)}
    print(f"  store built: {result}", flush=True)
    repo = EmbeddedRepository(store_path)
    if full:
        from_store = LicenceIndex(work / f"from-store-{count}.sqlite", repo, BASE)
        started = time.perf_counter()
        indexed = from_store.rebuild()
        result["index_from_store_s"] = round(time.perf_counter() - started, 1)
        assert indexed == count, (indexed, count)
        from_store.close()
    direct = LicenceIndex(work / f"direct-{count}.sqlite", repo, BASE)
    started = time.perf_counter()
    direct.load_rows(rows)
    result["index_from_rows_s"] = round(time.perf_counter() - started, 1)
    direct.close()
    del rows
    result["index_file_mb"] = round(os.path.getsize(direct.path) / 1e6, 1)
    print(f"  index built: {result}", flush=True)
    index = LicenceIndex(direct.path, repo, BASE, check_every=1e9)
    asked = queries(samples, n, seed=count)
    index.search("warm up")
    result["index_search"] = {kind: timed(index.search, items) for kind, items in asked.items()}
    for kind, figures in result["index_search"].items():
        print(f"  index  {kind:22} {figures}", flush=True)
    result["index_pages"] = page_timings(index)
    for kind, figures in result["index_pages"].items():
        print(f"  pages  {kind:22} {figures}", flush=True)
    naive: dict = {}
    for kind in ("thai substring", "english substring", "thai word", "common word",
                 "nothing matches"):
        naive[kind] = timed(lambda q: repo.select(_NAIVE, {"q": ox.Literal(q)}),
                            asked[kind][:naive_n])
        print(f"  naive  {kind:22} {naive[kind]}", flush=True)
    result["naive_sparql_contains"] = naive
    index.close()
    repo.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size_arguments(parser)
    parser.add_argument("--queries", type=int, default=200, help="index queries of each kind")
    parser.add_argument("--naive-queries", type=int, default=5,
                        help="naive SPARQL queries of each name kind")
    parser.add_argument("--full-store-max", type=int, default=100_000,
                        help="largest size whose store holds whole records (and whose index is "
                        "also built from the store); above it the store holds the holders' "
                        "names only (what the naive query reads) and the index is built from "
                        "the generated rows")
    args = parser.parse_args()
    run_sizes("search", args.sizes, args.work,
              lambda size, work: run_size(size, work, args.queries, args.naive_queries,
                                          args.full_store_max))


if __name__ == "__main__":
    main()
