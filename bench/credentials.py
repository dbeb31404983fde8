"""Serving a licence credential (issue 14, item 6: at most 5 ms p99 on 1,000,000 licences): the
issuer's fast way (canonical text written from the triples, registry/credentialrdf.py) beside
the naive way (pyld `to_rdf` + RDFC-1.0 on the JSON-LD), on the same store, same run.

    python bench/credentials.py [--sizes 10000,100000,1000000] [--samples 2000]
                                [--naive-samples 200] [--work DIR]

For each size:
1. Demo licences (ops/demo.py), not timed: each record as the register writes it
   (registry/rdfmap.py content and version lines) plus its status counter
   (registry/statusstore.py `counter_line`: a bulk load skips the publishing pipeline, which
   is what gives a licence its place in the status lists), bulk-loaded into a pyoxigraph store.
2. `CredentialIssuer.licence_credential` for SAMPLES random licences, each asked once of one
   new issuer: every call a cache miss ("cold": look up the version, read the graph, build the
   JSON, canonicalise, sign, serialise — the real worst case); then the same licences again
   ("warm": a cache hit). The naive way on NAIVE-SAMPLES of them (an issuer whose signing
   takes the general path). Each part of a cold call, alone, on the same licences.
3. Through the app (Flask test client): `GET /credential/licence/{issuer}/{type}/{number}`
   with `Accept: application/vc`, cold (a new app) and warm.

Results are printed and written to bench/out/credentials.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sizes import (  # noqa: E402
    BENCH_BASE,
    BENCH_STAMP,
    demo_store,
    run_sizes,
    size_arguments,
)

BASE = BENCH_BASE
STAMP = BENCH_STAMP
KEY_MADE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def percentiles(times: tuple[list[float], list[float]]) -> dict:
    """p50/p99/max of wall-clock times and p50/p99 of the thread's CPU times (ms): on a shared
    machine the wall clock also counts the time other processes held the CPU."""
    def at(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)
    wall, cpu = times
    return {"n": len(wall), "p50_ms": at(wall, 0.5), "p99_ms": at(wall, 0.99),
            "max_ms": round(max(wall), 3), "cpu_p50_ms": at(cpu, 0.5),
            "cpu_p99_ms": at(cpu, 0.99)}


def build(path: Path, count: int, samples: int, seed: int):
    """The store (each licence with its status-list position); SAMPLES licence keys chosen at
    random; the generate and load times."""
    from registry.statusstore import counter_line

    return demo_store(path, count, samples, seed,
                      extra=lambda rec, n: [counter_line(BASE, rec.key, n)])


def timed_each(call, items) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for item in items:
        started, started_cpu = time.perf_counter(), time.thread_time()
        call(item)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return wall, cpu


def parts_of_a_cold_call(repo, keys_, chosen) -> dict:
    """Each step of a cache miss, alone, on the same licences."""
    from registry import credential, credentialrdf, dataintegrity, didweb, history, statuslist
    from registry.credentialissue import CredentialIssuer

    issuer = CredentialIssuer(repo, BASE, keys_)
    key = keys_.current_key()
    method = didweb.verification_method_id(issuer.did, key)
    versions = {k: issuer.version(k, None) for k in chosen}
    statements = {k: history.record_triples(repo, versions[k]) for k in chosen}
    unsigned = {k: credential.unsigned_credential(
        statements[k], base=BASE, did=issuer.did, key=k, version=versions[k].number,
        status_entries=statuslist.licence_entries(BASE, 7)) for k in chosen}
    options = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
               "created": STAMP, "verificationMethod": method, "proofPurpose": "assertionMethod"}
    canonical = {k: (credentialrdf.canonical_proof_config(options),
                     credentialrdf.canonical_credential(statements[k], unsigned[k], BASE))
                 for k in chosen}
    signed = {k: dataintegrity.sign(unsigned[k], secret_key=key.secret_key,
                                     verification_method=method, created=STAMP,
                                     canonical=lambda _d, _o, k=k: canonical[k])
              for k in chosen}
    steps = {
        "version lookup (two index reads)": lambda k: issuer.version(k, None),
        "graph_triples": lambda k: history.record_triples(repo, versions[k]),
        "keys.current_key (file read)": lambda _k: keys_.current_key(),
        "unsigned_credential (JSON)": lambda k: credential.unsigned_credential(
            statements[k], base=BASE, did=issuer.did, key=k, version=versions[k].number,
            status_entries=statuslist.licence_entries(BASE, 7)),
        "canonical text (fast)": lambda k: (
            credentialrdf.canonical_proof_config(options),
            credentialrdf.canonical_credential(statements[k], unsigned[k], BASE)),
        "hash + Ed25519 sign + size check": lambda k: dataintegrity.sign(
            unsigned[k], secret_key=key.secret_key, verification_method=method, created=STAMP,
            canonical=lambda _d, _o: canonical[k]),
        "json.dumps + sha256 (body, ETag)": lambda k: hashlib.sha256(json.dumps(
            signed[k], ensure_ascii=False, indent=2).encode()).hexdigest(),
    }
    return {name: percentiles(timed_each(step, chosen)) for name, step in steps.items()}


def through_app(path: Path, repo, keys_path: Path, chosen) -> dict:
    from web.app import create_app

    settings = {"STORE": str(path), "BASE_IRI": BASE, "SIGNING_KEYS": str(keys_path)}
    vc = {"Accept": "application/vc"}
    client = create_app(settings, repository=repo).test_client()
    assert client.get("/id/licence/no/such/1", headers=vc).status_code in (404, 406)

    def get(key):
        response = client.get(f"/credential/licence/{key.path}", headers=vc)
        assert response.status_code == 200, (key, response.status_code)
    cold = timed_each(get, chosen)
    warm = timed_each(get, chosen)
    return {"cold": percentiles(cold), "warm": percentiles(warm)}


def run_size(count: int, work: Path, samples: int, naive_samples: int) -> dict:
    from registry import credentialissue
    from registry.credentialissue import CredentialIssuer
    from registry.signingkeys import SigningKeys
    from registry.store.embedded import EmbeddedRepository

    print(f"== {count:,} licences", flush=True)
    path = work / f"credentials-store-{count}"
    chosen, generate_s, load_s = build(path, count, min(samples, count), seed=count)
    result: dict = {"licences": count, "samples": len(chosen), "generate_s": generate_s,
                    "bulk_load_s": load_s}
    print(f"  built: {result}", flush=True)
    repo = EmbeddedRepository(path)
    keys_path = work / f"keys-{count}" / "signing-keys.json"
    keys_ = SigningKeys(keys_path)
    keys_.ensure(KEY_MADE)
    # As a served register's key file is: written long ago (one written in the last two
    # seconds is parsed on every read, registry/signingkeys.py).
    os.utime(keys_path, (time.time() - 3600, time.time() - 3600))

    issuer = CredentialIssuer(repo, BASE, keys_)
    cold = timed_each(issuer.licence_credential, chosen)
    warm = timed_each(issuer.licence_credential, chosen)
    bodies = {k: issuer.licence_credential(k).body for k in chosen[:naive_samples]}

    class NaiveIssuer(credentialissue.CredentialIssuer):
        """Signs the general way: pyld `to_rdf` + RDFC-1.0 on the JSON-LD."""

        def _sign(self, document, key, created, statements=None):
            return super()._sign(document, key, created, None)

    naive_issuer = NaiveIssuer(repo, BASE, keys_)
    naive = timed_each(naive_issuer.licence_credential, chosen[:naive_samples])
    for k, body in bodies.items():      # the same bytes both ways
        assert naive_issuer.licence_credential(k).body == body, k
    result["issuer"] = {"cold (fast)": percentiles(cold), "warm (cache hit)": percentiles(warm),
                        "cold (naive pyld)": percentiles(naive)}
    for name, figures in result["issuer"].items():
        print(f"  issuer {name:22} {figures}", flush=True)
    result["parts_of_a_cold_call"] = parts_of_a_cold_call(repo, keys_, chosen)
    for name, figures in result["parts_of_a_cold_call"].items():
        print(f"  part   {name:34} {figures}", flush=True)
    result["through_app"] = through_app(path, repo, keys_path, chosen)
    print(f"  app    {result['through_app']}", flush=True)
    repo.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size_arguments(parser, keep=True)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--naive-samples", type=int, default=200)
    args = parser.parse_args()
    run_sizes("credentials", args.sizes, args.work,
              lambda size, work: run_size(size, work, args.samples, args.naive_samples),
              keep=args.keep)


if __name__ == "__main__":
    main()
