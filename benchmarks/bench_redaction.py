"""Redaction cost against the size of a secret value and of the text masked.

    python benchmarks/bench_redaction.py [--runs 3] [--sizes 65536,262144,1048576]

For each size n: a random value of n characters is tainted, and the median
over ``--runs`` of three timings is printed: indexing it (its windows and
those of its escaped and base64 forms), masking a text of n characters that
embeds it whole (one maximal match, extended in chunks), and masking a
random text of n characters that shares no window with it (one look-up per
position). Each must grow linearly with n (issue 15: no quadratic step on a
1 MB value); the memory of the index is bounded by ``MAX_INDEXED`` windows
per form.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitops_lint.core.redact import MASK, Redactor  # noqa: E402

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"


def one(n: int, rng: random.Random) -> tuple[float, float, float]:
    value = "".join(rng.choice(ALPHABET) for _ in range(n))
    other = "".join(rng.choice(ALPHABET) for _ in range(n))
    r = Redactor(lambda: [value])
    t0 = time.perf_counter()
    r.refresh()
    r.redact("x" * 16)  # builds the index
    t1 = time.perf_counter()
    out = r.redact("head " + value + " tail")
    t2 = time.perf_counter()
    r.redact(other)
    t3 = time.perf_counter()
    assert out == f"head {MASK} tail"
    return t1 - t0, t2 - t1, t3 - t2


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--sizes", default="65536,262144,1048576")
    args = p.parse_args()
    rng = random.Random(0)
    print(f"{'size':>9}  {'index s':>8}  {'embedded s':>10}  {'random s':>8}")
    for n in (int(s) for s in args.sizes.split(",")):
        runs = [one(n, rng) for _ in range(args.runs)]
        med = [statistics.median(r[i] for r in runs) for i in range(3)]
        print(f"{n:>9}  {med[0]:>8.3f}  {med[1]:>10.3f}  {med[2]:>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
