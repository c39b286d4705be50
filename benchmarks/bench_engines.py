"""Could a compiled library replace a hand-written engine? Verdicts and speed on the corpus.

    python benchmarks/bench_engines.py [--runs 5] [--corpus ../shared/corpus] [REPO ...]
                                       [--only cel|schema|hostile]

Issue 17, part 8. Two questions, each answered on what the schema rule really
meets in the corpus, captured by running ``gitops-lint lint --select schema``
in this process over every entry of ``SOURCES.md`` (or the REPOs given):

* **CEL** (``x-kubernetes-validations``): today cel_fast.py (a closure
  compiler for presence/equality rules) in front of cel-python, via cel.py.
  Candidates: ``common-expression-language`` (the Rust ``cel`` crate; module
  ``cel``) and ``cel-expr-python`` (cel-cpp; module ``cel_expr_python``).
  Every rule of every CRD in the corpus and of the bundled schemas is
  compiled by each engine; every (rule, value) the schema rule evaluated is
  evaluated by each, verdicts compared (True / False / not evaluable), time
  the median of ``--runs``. Then the Kubernetes CEL libraries (quantity, url,
  ip, format, lists, strings, regex, sets, optional) are probed one
  expression each.
* **JSON Schema** yes/no: today fast.py's closures. Candidate:
  ``jsonschema-rs`` (with the CEL keyword plugged in as a custom keyword and
  ``pattern`` as RE2, so that only the engine differs). Every (schema,
  object) the schema rule validated: verdict per object, and time.
* **hostile** (issue 15's budgets): a schema of nested ``anyOf`` (a 1.2 KB
  YAML with aliases expands to it) and a CEL rule of nested ``all()``, each in
  a child process with a time limit, for the candidates and for gitops-lint,
  which stops at its step budgets.

A candidate that is not installed is skipped with a line saying so; install
them in a throwaway virtualenv (``python -m venv --system-site-packages``)
rather than in the project's. Results and the decision: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import logging
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(PROJECT))

from gitops_lint.schema import budget, cel  # noqa: E402
from gitops_lint.schema import validator as vmod  # noqa: E402
from gitops_lint.schema.cel_fast import UNDECIDED, compile_rule  # noqa: E402
from gitops_lint.schema.fast import CEL_KEYWORD, go_pattern  # noqa: E402

CEL_CANDIDATES = {"common-expression-language": "cel", "cel-expr-python": "cel_expr_python.cel"}


def optional(module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# -- what the schema rule meets in the corpus --------------------------------------------


def entries(corpus: Path) -> list[tuple[str, list[str]]]:
    out = []
    for line in (corpus / "SOURCES.md").read_text().splitlines():
        m = re.match(r"\|\s*`([^`]+)`\s*\|[^|]*\|([^|]*)\|", line)
        if m and (corpus / m.group(1)).is_dir():
            paths = re.findall(r"`([^`]+)`", m.group(2))
            if paths:
                out.append((m.group(1), paths))
    return out


class Capture:
    """Every ``Validator.errors`` and every CEL rule evaluation of a lint run, recorded."""

    def __init__(self):
        self.validators: dict[int, tuple] = {}  # id -> (Validator, [objects])
        self.cel_pairs: dict[tuple[str, str], object] = {}  # (rule, canonical value) -> value

    def __enter__(self):
        self._errors, self._evaluate = vmod.Validator.errors, cel.evaluate
        errors, evaluate = self._errors, self._evaluate

        def record_errors(v, obj, redact=False):
            self.validators.setdefault(id(v), (v, []))[1].append(obj)
            return errors(v, obj, redact)

        def record_evaluate(rules, value):
            for item in rules or []:
                if isinstance(item, dict) and isinstance(item.get("rule"), str):
                    key = (item["rule"], json.dumps(cel._plain(value), sort_keys=True, default=str))
                    self.cel_pairs.setdefault(key, value)
            return evaluate(rules, value)

        vmod.Validator.errors = record_errors
        cel.evaluate = record_evaluate
        return self

    def __exit__(self, *exc):
        vmod.Validator.errors, cel.evaluate = self._errors, self._evaluate


def capture(corpus: Path, repos: list[str]) -> Capture:
    from gitops_lint.cli import cmd_lint

    logging.disable(logging.CRITICAL)
    with Capture() as cap:
        for repo, paths in entries(corpus):
            if repos and repo not in repos:
                continue
            root = corpus / repo
            argv = ["--format", "json", "--select", "schema", "--root", str(root)]
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                cmd_lint(argv + [str(root / p) for p in paths])
    logging.disable(logging.NOTSET)
    return cap


def corpus_cel_rules(corpus: Path) -> list[str]:
    """Every ``x-kubernetes-validations`` rule of the corpus' CRDs and the bundled schemas."""
    import yaml

    rules: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for item in node.get(CEL_KEYWORD) or [] if isinstance(node.get(CEL_KEYWORD), list) else []:
                if isinstance(item, dict) and isinstance(item.get("rule"), str):
                    rules.add(item["rule"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for path in sorted(corpus.rglob("*.y*ml")):
        data = path.read_bytes()
        if b"x-kubernetes-validations" not in data:
            continue
        with contextlib.suppress(yaml.YAMLError, ValueError):
            for doc in yaml.load_all(data, Loader=yaml.CSafeLoader):
                walk(doc)
    for path in sorted((PROJECT / "gitops_lint" / "schemas").rglob("*.json")) + sorted(
        (PROJECT / "schemas").rglob("*.json") if (PROJECT / "schemas").is_dir() else []
    ):
        if b"x-kubernetes-validations" in path.read_bytes():
            walk(json.loads(path.read_text()))
    return sorted(rules)


# -- CEL engines: compile(rule) -> program or raise; run(program, value) -> True/False/None ----


def _bool_or_none(result):
    if isinstance(result, bool):
        return result
    if type(result).__name__ == "BoolType":
        return bool(result)
    return None


class Ours:
    """cel.py as the schema rule runs it: cel_fast's closure when it decides, else cel-python."""

    name = "gitops-lint (cel_fast + cel-python)"

    def compile(self, rule):
        fast = compile_rule(rule)
        prog = cel._program(rule)
        if prog is None and fast is None:
            raise ValueError("cel-python cannot compile it")
        return rule, fast, prog

    def run(self, program, value):
        import celpy

        rule, fast, prog = program
        verdict = fast(value) if fast is not None else UNDECIDED
        if verdict is not UNDECIDED:
            return verdict
        if prog is None:
            return None
        try:
            return _bool_or_none(prog.evaluate({"self": celpy.json_to_cel(_self_value(rule, value))}))
        except Exception:
            return None


class CelPythonAlone(Ours):
    """cel-python for every rule, without cel_fast's closures in front: the layer's worth."""

    name = "cel-python alone"

    def compile(self, rule):
        prog = cel._program(rule)
        if prog is None:
            raise ValueError("cel-python cannot compile it")
        return rule, None, prog


def _self_value(rule: str, value):
    """What cel.py converts: only the fields a ``self.<field>``-only rule reads (so a
    HelmRelease's ``values`` stay out), given to the candidates alike."""
    fields = cel._fields(rule)
    if fields is not None and isinstance(value, dict):
        value = {k: value[k] for k in fields if k in value}
    return cel._plain(value)


class RustCel:
    name = "common-expression-language"

    def __init__(self, module):
        self.m = module
        self.ctx = module.Context()
        stdlib = optional("cel.stdlib")  # cel-go's strings, math, sets, lists (as Python functions)
        if stdlib is not None:
            stdlib.add_stdlib_to_context(self.ctx)

    def compile(self, rule):
        return rule, self.m.compile(rule)

    def run(self, program, value):
        rule, prog = program
        try:
            self.ctx.add_variable("self", _self_value(rule, value))
            return _bool_or_none(prog.execute(self.ctx))
        except Exception:
            return None


class CppCel:
    name = "cel-expr-python"

    def __init__(self, module):
        self.m = module
        exts = []  # cel-go's extensions as cel-cpp ships them (Kubernetes enables strings, ...)
        for name in ("strings", "math", "encoders", "optional", "bindings"):
            ext = optional(f"cel_expr_python.ext.ext_{name}")
            if ext is not None:
                exts.append(getattr(ext, f"Ext{name.capitalize()}")())
        self.env = module.NewEnv(variables={"self": module.Type.DYN}, extensions=exts)

    def compile(self, rule):
        return rule, self.env.compile(rule)

    def run(self, program, value):
        rule, prog = program
        try:
            out = prog.eval(data={"self": _self_value(rule, value)})
            return _bool_or_none(out.value())
        except Exception:
            return None


def cel_engines() -> list:
    engines: list = [Ours(), CelPythonAlone()]
    for dist, module in CEL_CANDIDATES.items():
        mod = optional(module)
        if mod is None:
            print(f"  {dist}: not installed, skipped")
            continue
        print(f"  {dist} {metadata.version(dist)}")
        try:
            engines.append(RustCel(mod) if dist == "common-expression-language" else CppCel(mod))
        except Exception as exc:  # an API this script does not know
            print(f"  {dist}: cannot set up ({exc}), skipped")
    return engines


K8S_PROBES = {
    "quantity": "quantity('1Gi').isGreaterThan(quantity('1Mi'))",
    "url": "url('https://a.example/x').getHost() == 'a.example' && isURL('https://a.example')",
    "ip/cidr": "ip('10.0.0.1').family() == 4 && cidr('10.0.0.0/8').containsIP(ip('10.0.0.1'))",
    "format": "!format.dns1123Label().validate('abc').hasValue()",
    "lists (k8s)": "[1, 2, 3].isSorted() && [1, 2].sum() == 3 && [1, 2].indexOf(2) == 1",
    "strings (cel-go ext)": "'Abc'.lowerAscii() == 'abc' && 'a,b'.split(',').size() == 2",
    "regex (k8s)": "'abc'.find('b') == 'b' && 'abc'.findAll('[a-c]').size() == 3",
    "sets": "sets.contains([1, 2], [1])",
    "optional": "optional.of(1).hasValue()",
    "matches (standard)": "'abc'.matches('^a') && 'abc'.startsWith('a')",
}


def mutants(pairs: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Each captured map value without one of its fields (up to 4): the corpus passes every
    rule, and a comparison of only True verdicts would prove little."""
    out = []
    for rule, value in pairs:
        if isinstance(value, dict):
            out.extend((rule, {k: v for k, v in value.items() if k != drop}) for drop in sorted(value)[:4])
    return out


def compare_cel(engines, rules: list[str], pairs: list[tuple[str, object]], runs: int) -> None:
    print(f"\nCEL: {len(rules)} distinct rules in the corpus' CRDs and the bundled schemas;")
    print(
        f"     {len(pairs)} (rule, value) pairs: those the schema rule evaluated on the corpus, their mutants, "
        "and every rule on {} (transition rules left out)"
    )
    programs: dict[str, dict[str, object]] = {}
    for e in engines:
        programs[e.name] = {}
        failed = []
        for rule in sorted(set(rules) | {r for r, _ in pairs}):
            try:
                programs[e.name][rule] = e.compile(rule)
            except Exception as exc:
                failed.append(f"{' '.join(rule.split())[:70]}  ({str(exc).splitlines()[0][:60]})")
        print(f"  {e.name:40} compiles {len(programs[e.name])}, refuses {len(failed)}")
        for f in failed[:3]:
            print(f"      e.g. {f}")
    ours = engines[0]
    base = {
        i: ours.run(programs[ours.name][r], v) if r in programs[ours.name] else None
        for i, (r, v) in enumerate(pairs)
    }
    print(f"  verdicts of {ours.name}: {dict(Counter(map(str, base.values())))}")
    for e in engines[1:]:
        diffs = Counter()
        examples = []
        for i, (rule, value) in enumerate(pairs):
            prog = programs[e.name].get(rule)
            got = e.run(prog, value) if prog is not None else None
            if got != base[i]:
                kind = (str(base[i]), str(got))
                if not diffs[kind]:
                    shown = json.dumps(cel._plain(value), default=str)
                    examples.append(f"{kind}: {' '.join(rule.split())[:80]}  on {shown[:70]}")
                diffs[kind] += 1
        same = len(pairs) - sum(diffs.values())
        print(f"  {e.name:40} same verdict {same}/{len(pairs)}; differ (ours, theirs): {dict(diffs)}")
        for ex in examples:
            print(f"      e.g. {ex}")

    def decided(rule, value):
        fast = compile_rule(rule)
        return fast is not None and fast(value) is not UNDECIDED

    outside = [(r, v) for r, v in pairs if not decided(r, v)]
    for label, subset in (("all", pairs), ("cel_fast does not decide: the", outside)):
        print(f"  time to evaluate {label} {len(subset)} pairs (programs compiled), median of {runs}:")
        for e in engines:
            progs = programs[e.name]

            def go(e=e, progs=progs, subset=subset):
                for rule, value in subset:
                    prog = progs.get(rule)
                    if prog is not None:
                        e.run(prog, value)

            t = median_time(go, runs)
            print(f"    {e.name:40} {t * 1000:9.1f} ms  ({t / max(len(subset), 1) * 1e6:.1f} us/pair)")
    print("  Kubernetes CEL libraries (one probe expression each; yes = compiles and is true):")
    for lib, expr in K8S_PROBES.items():
        row = []
        for e in engines:
            try:
                ok = e.run(e.compile(expr), {}) is True
            except Exception:
                ok = False
            row.append("yes" if ok else "no")
        print(f"    {lib:22} " + "  ".join(f"{e.name.split(' ')[0]}={r}" for e, r in zip(engines, row)))


# -- JSON Schema: fast.py's closures vs jsonschema-rs ------------------------------------


def _json_ready(value):
    """What the API server decodes: YAML dates as text, keys as strings."""
    return json.loads(json.dumps(cel._plain(value)))


def rs_validator(jsonschema_rs, schema):
    class CelKeyword:
        def __init__(self, parent_schema, value, schema_path):
            self.rules = value

        def validate(self, instance):
            if not cel.passes(self.rules, instance):
                raise ValueError("CEL rule failed")

    class GoPattern:  # the API server's regexp (RE2), as fast.py and jsonschema's side use
        def __init__(self, parent_schema, value, schema_path):
            self.rx = go_pattern(value)

        def validate(self, instance):
            if isinstance(instance, str) and self.rx is not None and not self.rx.search(instance):
                raise ValueError("pattern")

    return jsonschema_rs.validator_for(
        schema, validate_formats=False, keywords={CEL_KEYWORD: CelKeyword, "pattern": GoPattern}
    )


def compare_schema(cap: Capture, runs: int) -> None:
    jsonschema_rs = optional("jsonschema_rs")
    work = [(v, objs) for v, objs in cap.validators.values() if v.too_complex is None]
    total = sum(len(objs) for _, objs in work)
    with_fast = [(v, objs) for v, objs in work if v._fast is not None]
    print(f"\nJSON Schema: {len(work)} schemas, {total} object validations on the corpus;")
    print(f"     {len(with_fast)} schemas ({sum(len(o) for _, o in with_fast)} objects) on fast.py's path")
    if jsonschema_rs is None:
        print("  jsonschema-rs: not installed, skipped")
        return
    print(f"  jsonschema-rs {metadata.version('jsonschema-rs')}")
    rs: dict[int, object] = {}
    refused = Counter()
    for v, _ in work:
        try:
            rs[id(v)] = rs_validator(jsonschema_rs, v.schema)
        except Exception as exc:
            refused[type(exc).__name__ + ": " + str(exc).splitlines()[0][:60]] += 1
    print(f"  jsonschema-rs compiles {len(rs)}/{len(work)} schemas; refuses {sum(refused.values())}")
    for why, n in refused.most_common(4):
        print(f"      {n} x {why}")
    ready = {id(v): [_json_ready(o) for o in objs] for v, objs in work if id(v) in rs}
    diffs, same, invalid = Counter(), 0, 0
    examples = []
    for v, objs in work:
        if id(v) not in rs:
            continue
        for obj, plain in zip(objs, ready[id(v)]):
            with budget.checking():
                try:
                    ours = v.is_valid(obj)
                except budget.TooComplex:
                    continue
            theirs = rs[id(v)].is_valid(plain)
            invalid += not ours
            if ours == theirs:
                same += 1
            else:
                diffs[(ours, theirs)] += 1
                if len(examples) < 3:
                    examples.append(
                        f"{v.source}: {obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
                    )
    print(
        f"  same verdict {same}/{same + sum(diffs.values())} ({invalid} invalid by ours); differ: {dict(diffs)}"
    )
    for ex in examples:
        print(f"      e.g. {ex}")

    fast_work = [(v, objs) for v, objs in with_fast if id(v) in rs]
    n = sum(len(o) for _, o in fast_work)

    def ours_fast():
        for v, objs in fast_work:
            for obj in objs:
                with budget.checking():
                    v._fast(obj)

    def theirs_ready():
        for v, _ in fast_work:
            check = rs[id(v)].is_valid
            for plain in ready[id(v)]:
                check(plain)

    def theirs_converting():
        for v, objs in fast_work:
            check = rs[id(v)].is_valid
            for obj in objs:
                check(_json_ready(obj))

    def compile_ours():
        from gitops_lint.schema.fast import Compiler

        for v, _ in fast_work:
            Compiler(cel.passes).compile(v.schema)

    def compile_theirs():
        for v, _ in fast_work:
            rs_validator(jsonschema_rs, v.schema)

    print(f"  yes/no over the {n} objects on fast.py's path, median of {runs}:")
    for label, fn in (
        ("fast.py closures (budget counted)", ours_fast),
        ("jsonschema-rs, objects already JSON", theirs_ready),
        ("jsonschema-rs incl. YAML->JSON conversion", theirs_converting),
        ("compile: fast.py Compiler, all schemas", compile_ours),
        ("compile: jsonschema-rs, all schemas", compile_theirs),
    ):
        t = median_time(fn, runs)
        print(f"    {label:44} {t * 1000:9.1f} ms")


# -- hostile input: can the budgets still be enforced? -----------------------------------

_HOSTILE_SCHEMA = """
import json, sys, time
sys.path.insert(0, {project!r})
depth, engine = int(sys.argv[1]), sys.argv[2]
leaf = {{"type": "string"}}
node = leaf
for _ in range(depth):
    node = {{"anyOf": [node, node]}}  # shared, as YAML aliases make it: 2**depth paths
t = time.perf_counter()
if engine == "ours":
    from gitops_lint.schema.validator import Validator
    errs = Validator(node, "hostile").errors(1)
    out = errs[0].message[:60] if errs else "valid"
else:
    import jsonschema_rs
    out = jsonschema_rs.validator_for(node).is_valid(1)
print(f"{{time.perf_counter() - t:.2f}} s: {{out}}")
"""

_HOSTILE_CEL = """
import sys, time
sys.path.insert(0, {project!r})
n, engine = int(sys.argv[1]), sys.argv[2]
rule = "self.l.all(x, self.l.all(y, self.l.all(z, z >= 0)))"  # true: no short cut
value = {{"l": list(range(n))}}
t = time.perf_counter()
if engine == "ours":
    from gitops_lint.schema import budget, cel
    with budget.checking() as steps:
        out = (cel.evaluate([{{"rule": rule}}], value), steps.notes[:1])
elif engine == "cel":
    import cel
    out = cel.compile(rule).execute({{"self": value}})
else:
    from cel_expr_python import cel
    env = cel.NewEnv(variables={{"self": cel.Type.DYN}})
    out = env.compile(rule).eval(data={{"self": value}}).value()
print(f"{{time.perf_counter() - t:.2f}} s: {{str(out)[:70]}}")
"""


def _child(code: str, args: list[str], timeout: float) -> str:
    try:
        p = subprocess.run(
            [sys.executable, "-c", code.format(project=str(PROJECT)), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f">{timeout:.0f} s (killed)"
    return p.stdout.strip() or (p.stderr.strip().splitlines() or ["no output"])[-1][:80]


def hostile(timeout: float) -> None:
    print(f"\nHostile input (one child process each, killed after {timeout:.0f} s):")
    engines = ["ours"] + (["jsonschema-rs"] if optional("jsonschema_rs") else [])
    for depth in (16, 20, 24):
        for e in engines:
            print(
                f"  nested anyOf, depth {depth:2} ({2**depth:>10,} paths), {e:14} {_child(_HOSTILE_SCHEMA, [str(depth), e], timeout)}"
            )
    cel_engines_ = ["ours"] + [m.split(".")[0] for m in CEL_CANDIDATES.values() if optional(m)]
    for n in (50, 100, 200):
        for e in cel_engines_:
            print(
                f"  CEL all() cubed, list of {n:3} ({n**3:>10,} iterations), {e:16} {_child(_HOSTILE_CEL, [str(n), e], timeout)}"
            )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repos", nargs="*", help="corpus repositories (default: every entry of SOURCES.md)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--corpus", type=Path, default=PROJECT.parent / "shared" / "corpus")
    ap.add_argument("--only", choices=["cel", "schema", "hostile"])
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds for each hostile case")
    args = ap.parse_args(argv)
    if args.only != "hostile":
        if not (args.corpus / "SOURCES.md").is_file():
            print(f"no corpus at {args.corpus}: skipped")
            return 0
        t = time.perf_counter()
        cap = capture(args.corpus, args.repos)
        print(f"captured the schema rule's work on the corpus in {time.perf_counter() - t:.1f} s")
        if args.only in (None, "cel"):
            engines = cel_engines()
            pairs = [
                (rule, value) for (rule, _), value in sorted(cap.cel_pairs.items(), key=lambda kv: kv[0])
            ]
            pairs += mutants(pairs)
            rules = corpus_cel_rules(args.corpus)
            pairs += [(rule, {}) for rule in rules]  # every rule at least once, on an empty object
            # transition rules (oldSelf) are skipped on create, by cel.py and the API server alike
            pairs = [(rule, value) for rule, value in pairs if not cel._OLD_SELF.search(rule)]
            compare_cel(engines, rules, pairs, args.runs)
        if args.only in (None, "schema"):
            compare_schema(cap, args.runs)
    if args.only in (None, "hostile"):
        hostile(args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
