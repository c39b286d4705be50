"""Run a fuzz target: with atheris (coverage-guided) when it is installed, else random.

    python fuzz/run.py lint -max_total_time=600        # atheris / libFuzzer flags
    python fuzz/run.py loader --fallback --seconds 60  # plain Python, random inputs

Crashes are written to fuzz/crashes/ (atheris: ``crash-*`` in the working
directory, or ``-artifact_prefix=fuzz/crashes/``); turn each into a test in
tests/test_hostile.py.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TARGETS = ("lint", "loader", "top_level", "sops", "envsubst", "kubectl_precheck", "fix", "redaction")


def make_target(name: str):
    from fuzz import targets

    if name == "lint":
        return targets.LintTarget()
    if name == "kubectl_precheck":
        return targets.KubectlPrecheckTarget()
    if name == "fix":
        return targets.FixTarget()
    if name == "redaction":
        return targets.redaction_target
    return {
        "loader": targets.loader_target,
        "top_level": targets.top_level_target,
        "sops": targets.sops_target,
        "envsubst": targets.envsubst_target,
    }[name]


def mutate(rng: random.Random, data: bytes) -> bytes:
    """Byte-level mutations plus YAML-shaped insertions, the fallback's only guidance."""
    b = bytearray(data)
    tokens = [
        b"&a ",
        b"*a",
        b"[",
        b"]",
        b"{",
        b"}",
        b": ",
        b"- ",
        b"\n",
        b"  ",
        b"!!python/object ",
        b"${a}",
        b"$${b}",
        b"${a:=x}",
        b"ENC[AES256_GCM,data:",
        b"sops:\n  mac: ENC[",
        b"---\n",
        b"\xff",
        b"\x00",
        b"'",
        b'"',
        b"<<: *a\n",
        b"kind: Secret\n",
        b"kind: GitRepository\n",
        b"? ",
        b"|-\n",
        b"\r",
        "\u2028".encode(),
        b"\t",
        b"../",
        b"/etc/passwd",
    ]
    for _ in range(rng.randint(1, 8)):
        op = rng.random()
        pos = rng.randint(0, len(b))
        if op < 0.35 or not b:
            b[pos:pos] = rng.choice(tokens)
        elif op < 0.6:
            del b[pos : pos + rng.randint(1, 8)]
        elif op < 0.8:
            b[pos:pos] = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 6)))
        else:
            start = rng.randint(0, len(b))
            b[pos:pos] = b[start : start + rng.randint(1, 32)]
    return bytes(b[:65536])


def fallback(name: str, seconds: float, seed: int, out_dir: str) -> int:
    from fuzz import targets

    target = make_target(name)
    rng = random.Random(seed)
    pool = targets.fix_seed_inputs() if name == "fix" else targets.seed_inputs()
    deadline = time.monotonic() + seconds
    runs = crashes = 0
    os.makedirs(out_dir, exist_ok=True)
    try:
        while time.monotonic() < deadline:
            data = mutate(rng, rng.choice(pool)) if rng.random() < 0.9 else os.urandom(rng.randint(0, 256))
            start = time.monotonic()
            try:
                target(data)
            except Exception:  # noqa: BLE001 - every escape is a finding of the fuzzer
                crashes += 1
                path = os.path.join(out_dir, f"crash-{name}-{runs}")
                with open(path, "wb") as fh:
                    fh.write(data)
                sys.stderr.write(f"CRASH {path}\n{traceback.format_exc()}\n")
            elapsed = time.monotonic() - start
            if elapsed > 5:
                path = os.path.join(out_dir, f"slow-{name}-{runs}")
                with open(path, "wb") as fh:
                    fh.write(data)
                sys.stderr.write(f"SLOW {elapsed:.1f}s {path}\n")
            if rng.random() < 0.05 and len(pool) < 500:
                pool.append(data)
            runs += 1
    finally:
        if hasattr(target, "close"):
            target.close()
    print(f"{name}: {runs} inputs in {seconds:.0f}s, {crashes} crashes")
    return 1 if crashes else 0


def with_atheris(name: str, argv: list[str]) -> None:
    import atheris

    with atheris.instrument_imports(include=["gitops_lint"]):
        import importlib
        import pkgutil

        import gitops_lint

        # every module, not only those the command line imports at start: targets reach
        # redact, fix and render.external through lazy imports, which would run uninstrumented
        # and give libFuzzer no coverage to steer by
        for mod in pkgutil.walk_packages(gitops_lint.__path__, "gitops_lint."):
            if not mod.name.endswith("__main__"):  # it runs the command line
                importlib.import_module(mod.name)
        from fuzz import targets  # noqa: F401

    target = make_target(name)

    def one_input(data: bytes) -> None:
        target(data)

    seeds_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "work", name)
    os.makedirs(seeds_dir, exist_ok=True)
    from fuzz import targets as t

    for i, data in enumerate(t.fix_seed_inputs() if name == "fix" else t.seed_inputs()):
        with open(os.path.join(seeds_dir, f"seed-{i}"), "wb") as fh:
            fh.write(data)
    atheris.Setup([sys.argv[0], *argv, seeds_dir], one_input)
    atheris.Fuzz()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", choices=TARGETS)
    p.add_argument("--fallback", action="store_true", help="plain Python random inputs, even with atheris")
    p.add_argument("--seconds", type=float, default=60, help="fallback: how long to run")
    p.add_argument("--seed", type=int, default=0, help="fallback: random seed")
    p.add_argument("--crashes", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "crashes"))
    args, rest = p.parse_known_args()
    if not args.fallback:
        try:
            import atheris  # noqa: F401
        except ImportError:
            sys.stderr.write("atheris is not installed: running the plain-Python fallback\n")
        else:
            with_atheris(args.target, rest)
            return 0
    return fallback(args.target, args.seconds, args.seed, args.crashes)


if __name__ == "__main__":
    sys.exit(main())
