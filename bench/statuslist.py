"""What a status list costs (SPEC §11): encode and decode one 131,072-entry list with some
thousands of bits set, and its encodedList size. Results go to bench/out/statuslist.json.

    .venv/bin/python bench/statuslist.py [--set 1000,5000,20000] [--repeat 200]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.statuslist import LIST_SIZE, StatusList  # noqa: E402


def timings_ms(work, repeat: int) -> dict:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 3),
            "p99_ms": round(times[int(len(times) * 0.99) - 1], 3)}


def measure(count: int, repeat: int) -> dict:
    bits = StatusList()
    for index in random.Random(count).sample(range(LIST_SIZE), count):
        bits.set(index)
    text = bits.encode()
    return {"entries": LIST_SIZE, "set": count, "encoded_chars": len(text),
            "encode": timings_ms(bits.encode, repeat),
            "decode": timings_ms(lambda: StatusList.decode(text), repeat)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="0,1000,5000,20000")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    results = {"sizes": [measure(int(n), args.repeat) for n in args.set.split(",")]}
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2)
    (out / "statuslist.json").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
