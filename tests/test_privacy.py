"""SPEC §5 privacy: a natural person's ID is never published (nor kept); their name only where the
licence type is a public register. Scans the store, the dump, API answers and pages."""

from __future__ import annotations

import gzip
import random

from ops.demo import demo_rows, rows_to_csv, sample_number
from registry.store.embedded import EmbeddedRepository
from web.app import create_app

from .support.stores import BASE


def _natural_rows(catalogue):
    """Natural persons on one public-register type and one that is not."""
    public = next(t for t in sorted(catalogue.types.values(), key=lambda t: t.code)
                  if t.public_register and "diw" in t.authorities)
    private = next(t for t in sorted(catalogue.types.values(), key=lambda t: t.code)
                   if not t.public_register and "diw" in t.authorities)
    people = [r for r in demo_rows(catalogue, 300, seed=5) if r["holder_type"] == "natural"][:6]
    rng = random.Random(1)
    rows = []
    for n, person in enumerate(people):
        licence_type = public if n % 2 == 0 else private
        rows.append(dict(person, issuer="diw", licence_type=licence_type.code,
                         licence_number=sample_number(licence_type.pattern, rng)))
    return rows


def test_natural_persons_ids_appear_nowhere(runner, tmp_path, catalogue):
    rows = _natural_rows(catalogue)
    csv_path = tmp_path / "people.csv"
    csv_path.write_text(rows_to_csv(rows), encoding="utf-8")
    assert runner.invoke("init").exit_code == 0
    loaded = runner.invoke("load", str(csv_path), "--agency", "diw", "--json")
    assert loaded.exit_code == 0, loaded.output
    dump = tmp_path / "dump.nq.gz"
    assert runner.invoke("dump", str(dump)).exit_code == 0
    backup = tmp_path / "backup"
    assert runner.invoke("backup", str(backup)).exit_code == 0

    published = {
        "load output": loaded.output,
        "dump": gzip.decompress(dump.read_bytes()).decode(),
        "backup (whole store)": gzip.decompress((backup / "dataset.nq.gz").read_bytes()).decode(),
    }
    repo = EmbeddedRepository(runner.store)
    try:
        app = create_app({"STORE": str(runner.store), "BASE_IRI": BASE}, repository=repo)
        client = app.test_client()
        for path in ("/", "/health"):
            published[path] = client.get(path).get_data(as_text=True)
        # Both stores: the ID is not kept even where private data is (the upload reports).
        for name, store in (("main store", repo), ("private store", repo.private)):
            everything = store.select("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
            published[f"query over every graph of the {name}"] = "\n".join(
                f"{r['s']} {r['p']} {r['o']}" for r in everything)
    finally:
        repo.close()

    for row in rows:
        for where, text in published.items():
            assert row["holder_id"] not in text, f"ID of {row['holder_name']} in {where}"
    dump_text = published["dump"]
    for n, row in enumerate(rows):
        if n % 2 == 0:
            assert row["holder_name"] in dump_text          # public register: published
        else:
            assert row["holder_name"] not in dump_text, row["holder_name"]
            assert row["holder_name_en"] not in dump_text
