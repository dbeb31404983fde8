"""What a part of the commit costs a load, measured side by side: the same uploads published
(`publish()`, what `licence-registry load` runs) into fresh initialised embedded stores, once as
is ("with") and once with the part replaced by a do-nothing stand-in inside this process only
("without"), the two modes alternating round by round so drift hits both; medians.

Used by bench/statusstore.py (status lists, issue 14) and bench/logappend.py (the Merkle log,
issue 15). Production code has no switch: the stand-ins are `mock.patch.object`s here.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ops.demo import demo_rows, rows_to_csv
from publishing import pipeline, service
from publishing.service import Upload, publish
from registry.bootstrap import init_store, load_catalogue
from registry.model import read_catalogue
from registry.paths import CATALOGUE_DIR
from registry.settings import load_settings
from registry.store.embedded import EmbeddedRepository

BASE = "https://licences.example.go.th"
AGENCY = "diw"
MODES = ("without", "with")


def agency_uploads(count: int, changed: int, seed: int = 5) -> list[tuple[str, bytes]]:
    """The steps of one round: ("create", COUNT new licences of one agency as CSV), then
    ("update", the first CHANGED of them again as suspended: an amending upload)."""
    catalogue = read_catalogue(CATALOGUE_DIR)
    rows = [r for r in demo_rows(catalogue, count * 3, seed=seed, agency=AGENCY)
            if r["issuer"] == AGENCY][:count]
    assert len(rows) == count
    changed_rows = [dict(r, status="suspended", status_reason="ค้างชำระค่าธรรมเนียม")
                    for r in rows[:changed]]
    return [("create", rows_to_csv(rows).encode()), ("update", rows_to_csv(changed_rows).encode())]


class TimedCommit:
    """The service's commit, timed: the commit's share of each load, in the same run."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return pipeline.commit(*args, **kwargs)
        finally:
            self.seconds.append(time.perf_counter() - start)


Patch = tuple[object, str, object]     # (module or class, attribute, stand-in)


def one_round(folder: Path, steps: list[tuple[str, bytes]], patches: list[Patch],
              check: Callable[[EmbeddedRepository], dict] | None = None) -> dict[str, float]:
    """Publish each step's upload into a new store in `folder` with `patches` applied (none:
    as is); `{step}_load` and `{step}_commit` seconds, `{step}_cpu` (the load's processor
    seconds, all threads: steadier than wall time on a busy machine), then what `check` reads
    from the store afterwards (that the stand-in did, or did not, do its work)."""
    repo = EmbeddedRepository(folder, create=True)
    settings = load_settings({"STORE": str(folder), "BASE_IRI": BASE})
    timed = TimedCommit()
    try:
        init_store(repo, BASE)
        catalogue = load_catalogue(repo)
        got: dict[str, float] = {}
        with contextlib.ExitStack() as stack:
            for owner, name, value in [*patches, (service, "commit", timed)]:
                stack.enter_context(_patched(owner, name, value))
            for step, body in steps:
                start, cpu = time.perf_counter(), time.process_time()
                published = publish(repo, base=BASE, catalogue=catalogue, agency=AGENCY,
                                    uploads=Upload("text/csv", body), sender=None,
                                    settings=settings)
                got[f"{step}_load"] = time.perf_counter() - start
                got[f"{step}_cpu"] = time.process_time() - cpu
                got[f"{step}_commit"] = timed.seconds[-1]
                assert published.result is not None
        if check is not None:
            got.update(check(repo))
        return got
    finally:
        repo.close()


@contextlib.contextmanager
def _patched(owner: object, name: str, value: object) -> Iterator[None]:
    old = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, old)


def interleaved(repeat: int, run: Callable[[str, int], dict[str, float]], *,
                fresh: bool = False) -> dict[str, list[dict[str, float]]]:
    """`run(mode, round)` REPEAT times per mode, alternating without/with, with/without, …;
    `fresh`: each in a newly spawned process (`run` picklable), so no round inherits an earlier
    one's heap, caches or garbage (loads in one long process drifted by up to 30 %)."""
    times: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    for n in range(repeat):
        for mode in (MODES if n % 2 == 0 else MODES[::-1]):
            if fresh:
                with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) \
                        as pool:
                    got = pool.submit(run, mode, n).result()
            else:
                got = run(mode, n)
            times[mode].append(got)
            print(f"round {n} {mode}: " + ", ".join(f"{k} {v:.2f}" for k, v in got.items()),
                  flush=True)
    return times


def medians(times: dict[str, list[dict[str, float]]], figures: list[str]
            ) -> dict[str, dict[str, float]]:
    """Per figure: the median of each mode, the difference in seconds and in % of without."""
    out: dict[str, dict[str, float]] = {}
    for k in figures:
        without = statistics.median(r[k] for r in times["without"])
        with_ = statistics.median(r[k] for r in times["with"])
        out[k] = {"without_s": round(without, 3), "with_s": round(with_, 3),
                  "extra_s": round(with_ - without, 3),
                  "extra_percent": round(100 * (with_ / without - 1), 1)}
    return out


def timed_figures(steps: list[tuple[str, bytes]]) -> list[str]:
    return [f"{step}_{part}" for step, _ in steps for part in ("load", "commit", "cpu")]

