"""Command line: ``gitops-lint [PATH ...]`` and its sub-commands.

Stdout carries the report, stderr the diagnostics. Exit status: 0 nothing at
or above ``--fail-on``; 1 findings at or above it; 2 usage, config or
internal error, always as one line (a traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import TYPE_CHECKING

from . import __version__
from .core.errors import GitopsLintError, InternalError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from .cache import RunCache
    from .load.config import Config

# What the command line needs is imported where it is used: `--version`, `--help` and a
# usage error import no stage, and a warm hit (gitops_lint.cache) none it does not use.

SUBCOMMANDS = ("graph", "build", "diff", "rules", "explain", "schemas")


def _split(values: list[str] | None) -> set[str]:
    """Rule names, codes and code prefixes of ``--select``/``--ignore``, in any case."""
    from .vocabulary import rule_names

    canonical = rule_names().canonical
    out: set[str] = set()
    for v in values or []:
        for x in (x.strip() for x in v.split(",")):
            if x:
                out.add(canonical(x) or (x.upper() if x[:2].lower() == "gl" else x))
    return out


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", help="repository root (default: walk up to .git)")
    parser.add_argument(
        "--config", help="config file (default: .gitops-lint.yaml at the root, or pyproject.toml)"
    )
    parser.add_argument(
        "--var",
        action="append",
        metavar="NAME=VALUE",
        help="stand-in value for a variable whose source lives outside Git (repeatable)",
    )
    parser.add_argument(
        "--renderer",
        choices=("builtin", "kubectl", "kustomize"),
        default="builtin",
        help="what builds kustomize directories: the built-in renderer (default, fast) or a real "
        "kustomize (`kubectl kustomize` / `kustomize build`, exact, a process per build)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")


EPILOG = """\
commands:
  gitops-lint [PATH ...]            lint (the default command)
  gitops-lint graph PATH            the dependsOn and applies graph (--format mermaid|dot|tree)
  gitops-lint build DIR             a kustomize directory as the built-in renderer builds it
  gitops-lint build PATH --kustomization NS/NAME
                                    what one Flux Kustomization applies, after substitution
  gitops-lint diff --base REF [PATH ...]
                                    the rendered objects a change adds, removes and changes
  gitops-lint rules                 the rule catalog
  gitops-lint explain RULE          a rule's page
  gitops-lint schemas import CRD.yaml... --out DIR
                                    CRDs to JSON Schema files for `schemas:` in the config
  (gitops-lint COMMAND --help for each)

files:
  A FILE.yaml (or - for standard input) is linted on its own, with the rules that
  need nothing but the manifest: yaml-syntax, schema, deprecated-api, plaintext-secret.
  Every other rule needs the repository: give a cluster directory or the root.

exit status:
  0  nothing at or above --fail-on (or --exit-zero)
  1  findings at or above --fail-on
  2  usage, config or internal error (one line on stderr; a traceback only with --debug)
"""


def lint_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gitops-lint",
        description="Offline linter for Flux CD GitOps repositories.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="a cluster directory, a repository root (default: .), a manifest FILE.yaml, "
        "or - for a manifest on standard input",
    )
    p.add_argument(
        "--format",
        choices=("text", "concise", "json", "sarif", "github", "junit"),
        default="text",
        help="text: grouped by file, for people (default); concise: one path:line:col: line per finding",
    )
    p.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text report: auto (default) on a terminal, unless NO_COLOR is set; FORCE_COLOR "
        "forces it",
    )
    p.add_argument(
        "--statistics",
        action="store_true",
        help="one line per rule (count, code, fixable, name) instead of each finding",
    )
    p.add_argument("--show-info", action="store_true", help="list the info findings (what was not checked)")
    p.add_argument(
        "--fix",
        action="store_true",
        help="apply safe fixes (comments and formatting kept), say what was fixed and left on stderr, "
        "then report what remains",
    )
    p.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing")
    p.add_argument(
        "--select",
        action="append",
        metavar="RULE,...",
        help="only these rules (names, codes or code prefixes)",
    )
    p.add_argument("--ignore", action="append", metavar="RULE,...", help="skip these rules")
    p.add_argument("--fail-on", choices=("error", "warning", "info"), default=None)
    p.add_argument(
        "--kube-version",
        metavar="1.33",
        help="Kubernetes version whose schemas validate core kinds (default: kube-version in the config, "
        "else the newest shipped)",
    )
    p.add_argument(
        "--flux-version",
        metavar="2.9",
        help="the Flux the cluster runs: strict substitution from 2.9, removed API versions "
        "(default: flux-version in the config, else what the repository says, else the newest)",
    )
    # -- output and exit conventions (ruff, kubeconform) --
    p.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when findings are at or above --fail-on (2 still means an error)",
    )
    p.add_argument(
        "--output-file",
        metavar="FILE",
        help="write the report to FILE (replaced atomically) instead of standard output",
    )
    # -- pull requests: only the findings a change introduces (gitops_lint.baseline) --
    p.add_argument(
        "--baseline",
        metavar="FILE",
        help="report only findings not recorded in FILE (matched by line-independent fingerprints, "
        "as many times as recorded); the exit status follows those new findings only",
    )
    p.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="record every finding of this run in FILE (JSON, version 1), print the report, exit 0",
    )
    p.add_argument(
        "--new-only",
        action="store_true",
        help="report only findings the repository at --base REF does not have (read from the local "
        "Git object store, never fetched: a CI checkout needs the history, e.g. fetch-depth: 0)",
    )
    p.add_argument("--base", metavar="REF", help="the commit --new-only compares with (a branch, tag or SHA)")
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the warm-run cache (.gitops-lint-cache/ at the root of a Git work tree)",
    )
    _document(p)
    # --
    p.add_argument("--version", action="version", version=f"gitops-lint {__version__}")
    _common(p)
    return p


_HELP = {
    "format": "report format (default: text); junit: JUnit XML for CI test reports, one test suite per file",
    "fail_on": "lowest severity that makes the exit status 1 (default: fail-on in the config, else error)",
}


def _document(parser: argparse.ArgumentParser) -> None:
    """Help for the options declared without one: --help documents every option."""
    for action in parser._actions:
        if action.help is None and action.dest in _HELP:
            action.help = _HELP[action.dest]


def _setup(args, first_path: str, announce: bool = True) -> tuple[str, Config]:
    from .load.config import load_config
    from .root import guess_root
    from .vocabulary import vocabulary

    guess = None if args.root else guess_root(first_path)
    root = os.path.abspath(args.root) if args.root else guess.root
    config_limit = guess is not None and bool(guess.how)
    if config_limit and announce:
        sys.stderr.write(
            f"gitops-lint: no .git above {first_path}: using {root} as the root ({guess.how}); set --root to change it\n"
        )
    if not os.path.isdir(root):
        raise UsageError(f"--root {args.root}: not a directory")
    config = load_config(root, args.config, known=vocabulary())
    for item in args.var or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--var {item!r}: expected NAME=VALUE")
        config.global_variables[name] = value
    config.renderer = args.renderer
    # a guessed root may be high in the file system: discovery must not walk the disk
    config.walk_limit = 20000 if config_limit else None
    return root, config


def cmd_lint(argv: list[str]) -> int:
    args = lint_parser().parse_args(argv)
    from .core.data import Severity

    paths = args.paths or ["."]
    files = _file_arguments(paths)
    # a manifest's own repository gives the config; one outside any is linted on its own terms
    root, config = _setup(args, "." if paths == ["-"] else paths[0], announce=not files)
    if args.select:
        config.select = _split(args.select)
    config.deselect |= _split(args.ignore)
    if args.fail_on:
        config.fail_on = Severity.parse(args.fail_on)
    if args.kube_version:
        from .load.config import kube_version_problem
        from .schema.core import available_versions

        problem = kube_version_problem(args.kube_version, available_versions())
        if problem:
            raise UsageError(f"--kube-version {args.kube_version!r}: {problem}")
        config.kube_version = args.kube_version
    if args.flux_version:
        from .core.versions import parse_flux_version

        if parse_flux_version(args.flux_version) is None:
            raise UsageError(f"--flux-version {args.flux_version!r}: expected a version such as 2.9")
        config.flux_version = args.flux_version
    text = args.format in ("text", "concise")
    warm = None if files else _run_cache(args, root, config, paths)
    hit = warm.load(need_fixable=text) if warm is not None else None
    if hit is None and warm is not None:  # another tree, which answers the run's questions alike
        hit = warm.load_answered(need_fixable=text, max_file_bytes=config.max_file_bytes)
    if args.statistics and args.format not in ("text", "concise"):
        raise UsageError(f"--statistics: a summary of the text report, not of --format {args.format}")
    # a cold run: a child parses the YAML files from now on, while this process imports the rules
    early = _parse_ahead(root, config) if hit is None and warm is None and not files else None
    if hit is None:  # a hit was checked by the run that stored it, with the same config
        try:
            _check_rule_names(config)
        except UsageError:
            if early is not None:
                early.stop()
            raise
    from .report import FORMATS

    if files:
        if args.fix or args.diff or args.baseline or args.write_baseline or args.new_only:
            raise UsageError(
                "--fix, --diff, --baseline and --new-only work on a repository, not on a manifest"
            )
        from .single import lint_files

        result, notes = lint_files(paths, config)
        sys.stderr.write("".join(f"gitops-lint: {printable(note)}\n" for note in notes))
        if args.format in ("text", "concise"):  # paths as given: no root to make them relative to
            return _report(args, config, _text_report(args, None, config, result, frozenset()), result)
        return _report(args, config, FORMATS[args.format](result.findings, result.summary), result)
    if hit is not None:
        sys.stderr.write("".join(f"gitops-lint: {printable(note)}\n" for note in hit.notes))
        return _finish(args, root, config, paths, hit.result(), frozenset(hit.fixable or ()))
    from .lint import Linter

    linter = Linter(root, config, warm=warm, prefetch=early)
    result = linter.run(paths)
    hide = linter.redactor.redact  # every line below may quote a secret (a --diff context line)
    notes = [hide(note) for note in linter.notes]
    sys.stderr.write("".join(f"gitops-lint: {printable(note)}\n" for note in notes))
    if args.fix or args.diff:
        from .fix import write_fixes

        plan = _fix_plan(root, config, linter, result, paths, result.findings)
        sys.stderr.write("".join(f"gitops-lint: {printable(hide(line))}\n" for line in plan.summary_lines()))
        if args.diff:
            sys.stdout.write(hide(plan.diff()))
            return 1 if plan.after and not args.exit_zero else 0
        refused = write_fixes(root, plan)
        sys.stderr.write("".join(f"gitops-lint: {printable(hide(line))}\n" for line in refused))
        if plan.after:  # report what is left after the fixes
            result = Linter(root, config).run(paths)
    keep = warm is not None and not result.internal_errors
    # the [*] marks: planned on every finding of the run, before --new-only/--baseline hide
    # some; the lints that check the fixes reuse the builds the run keeps, stored first
    planning = text and any(f.rule in FIXABLE_RULES for f in result.findings)
    if keep and planning:
        linter.store_warm()
    fixable = _fixable(root, config, linter, result, paths, warm if keep else None) if text else frozenset()
    if keep:
        from .cache import CachedRun

        run = CachedRun(result.findings, result.summary, notes, len(result.clusters), _keys(fixable, text))

        def store() -> None:
            if not planning:
                linter.store_warm()
            warm.store(run)
            warm.store_answers(linter.fs.end_observing())

        _STORES.append((warm, store))
    return _finish(args, root, config, paths, result, fixable)


def _parse_ahead(root: str, config: Config):
    """The child that parses the repository's YAML files ahead of a cold run
    (load.prefetch), started before the rules are imported; None when the run would not
    use one (one CPU, ``GITOPS_LINT_JOBS=1``, an external renderer). The linter ends it."""
    if config.renderer != "builtin":
        return None
    from .load import prefetch

    return prefetch.start(root, config.max_file_bytes)


def _run_cache(args, root: str, config: Config, paths: list[str]):
    """The warm-run cache of this lint (gitops_lint.cache), keyed; None when off or bypassed:
    --fix, --diff and --new-only need the rendered model or a second tree, an external
    renderer's result depends on a binary outside the key."""
    if args.fix or args.diff or args.new_only or config.renderer != "builtin":
        return None
    from .cache import open_cache

    warm = open_cache(root, args.no_cache)
    return warm if warm is not None and warm.compute_key(config, paths) is not None else None


def _keys(fixable: frozenset[tuple], text: bool) -> list[tuple] | None:
    return sorted(fixable) if text else None


def _finish(args, root: str, config: Config, paths: list[str], result, fixable: frozenset[tuple]) -> int:
    """The report of a lint run (fresh or from the cache): --baseline, --new-only, the format."""
    from .report import FORMATS

    text = args.format in ("text", "concise")
    result, known_note = _known_findings(args, root, config, paths, result)
    if text:
        report = _hidden_line(_text_report(args, root, config, result, fixable), known_note)
    else:
        # CI formats name files relative to the Git work tree that holds the root (report.paths)
        ci = {"root": root} if args.format in ("sarif", "github") else {}
        report = FORMATS[args.format](result.findings, result.summary, **ci)
    if args.format == "github":
        from .report.github import write_step_summary

        write_step_summary(result.findings, result.summary, root=root)
    return _report(args, config, report, result)


def _known_findings(args, root: str, config: Config, paths: list[str], result):
    """--write-baseline, --baseline, --new-only: the run's new findings, and how many were hidden."""
    if args.new_only != bool(args.base):
        raise UsageError("--new-only and --base REF go together (--new-only --base origin/main)")
    if not (args.baseline or args.write_baseline or args.new_only):
        return result, None
    import dataclasses

    from . import baseline
    from .core.data import Severity
    from .gitref import GitRefError
    from .report.paths import root_prefix

    prefix = root_prefix(root)  # keys name files as SARIF does: relative to the work tree
    if args.write_baseline:
        write_atomically(args.write_baseline, baseline.dumps(result.findings, prefix))
        sys.stderr.write(
            f"gitops-lint: {len(result.findings)} findings recorded in {printable(args.write_baseline)}\n"
        )
        args.exit_zero = True  # what is recorded is accepted
    known: list = []
    try:
        if args.baseline:
            known += baseline.load(args.baseline)
        if args.new_only:
            keys, notes = baseline.base_keys(root, config, paths, args.base, prefix)
            sys.stderr.write("".join(f"gitops-lint: {printable(n)}\n" for n in notes))
            known += keys
    except (baseline.BaselineError, GitRefError) as exc:
        raise UsageError(str(exc)) from None
    if not (args.baseline or args.new_only):
        return result, None
    new, hidden = baseline.new_findings(result.findings, known, prefix)
    summary = dict(result.summary)
    summary["errors"] = sum(1 for f in new if f.severity == Severity.ERROR)
    summary["warnings"] = sum(1 for f in new if f.severity == Severity.WARNING)
    if args.format in ("text", "concise"):  # counted as the "Found" line counts: once per defect
        from .report.text import grouped

        shown = {id(f) for f in new}
        hidden = len(grouped([f for f in result.findings if id(f) not in shown]))
    places = ([f"in {args.baseline}"] if args.baseline else []) + (
        [f"at {args.base}"] if args.new_only else []
    )
    note = printable(f"{hidden} not shown, already {' or '.join(places)}")
    if args.format not in ("text", "concise"):
        sys.stderr.write(f"gitops-lint: {note}\n")
    return dataclasses.replace(result, findings=new, summary=summary), note


def _hidden_line(report: str, note: str | None) -> str:
    """The "Found ..." line says how many known findings the baseline or the base hid."""
    if not note or not report.endswith(").\n"):
        return report
    return report[: -len(".\n")] + f"; {note}.\n"


def _file_arguments(paths: list[str]) -> bool:
    """Whether the command line names manifests (FILE.yaml, ``-``) rather than directories."""
    from .single import is_file_argument

    files = [p for p in paths if is_file_argument(p)]
    if files and len(files) != len(paths):
        raise UsageError("give manifests (FILE.yaml, -) or directories, not both in one run")
    if paths.count("-") > 1:
        raise UsageError("- (standard input) may be given once")
    for p in paths:
        if not files and not os.path.exists(p):
            raise UsageError(f"{p}: no such file or directory")
    return bool(files)


def _report(args, config: Config, report: str, result) -> int:
    """Write the report where asked; the exit status it implies (2 when a rule did not finish)."""
    if args.output_file:
        write_atomically(args.output_file, report)
    else:
        sys.stdout.write(report)
    if result.internal_errors:  # a rule did not finish: the report is printed, the run is not a pass
        if args.debug:
            sys.stderr.write("".join(_redacted(tb) for tb in result.tracebacks))
        return 2
    if args.exit_zero:
        return 0
    return 1 if any(f.severity >= config.fail_on for f in result.findings) else 0


def write_atomically(path: str, text: str) -> None:
    """``path`` replaced by ``text`` in one step: a reader (or a crash) never sees half a report.

    The file is the user's choice and may be anywhere. A symlink at ``path`` is
    replaced, not written through: a link planted in a checkout cannot send the
    report over another file.
    """
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".gitops-lint-", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"--output-file {path}: {exc.strerror or type(exc).__name__}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise UsageError(f"--output-file {path}: {exc.strerror or type(exc).__name__}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _text_report(args, root: str | None, config: Config, result, fixable: frozenset[tuple]) -> str:
    """The text or concise report, laid out for where it goes: a file is not a terminal."""
    import io

    stream = io.StringIO() if args.output_file else sys.stdout
    from .core.data import Severity
    from .report import FORMATS
    from .report.text import TextOptions, output_width, use_color

    options = TextOptions(
        color=args.format == "text" and use_color(args.color, stream),
        width=output_width(stream),
        root=root,
        cwd=_cwd(),
        statistics=args.statistics,
        # a failing run never hides why it failed: infos fail it, or a rule did not finish
        show_info=args.show_info or config.fail_on == Severity.INFO or bool(result.internal_errors),
        fixable=fixable,
        several_clusters=len(result.clusters) > 1,
    )
    # --statistics replaces the listing in either form, as in ruff
    return FORMATS["text" if args.statistics else args.format](result.findings, result.summary, options)


def _cwd() -> str | None:
    try:
        return os.getcwd()
    except OSError:  # the directory was removed under us: paths stay relative to the root
        return None


def _fix_plan(root: str, config: Config, linter, result, paths: list[str], findings: list, warm=None):
    """What --fix does with ``findings`` of this run, nothing written.

    Each cluster's Flux version, so that no fix writes an apiVersion that Flux
    does not serve; verified against the run's own config, paths and findings,
    so that no fix breaks a build (and the findings before the fixes are not
    linted a second time). ``warm``: the run's cache, after it stored its builds, which
    those lints then reuse wherever no fixed file is read.
    """
    from .fix import plan_fixes
    from .model.flux_version import detect

    versions = {c.name: detect(c, linter.fs, config).version for c in result.clusters}
    parsed = linter.cache.files if linter.cache.budget.exceeded is None else None  # else: some unparsed
    builds = warm if warm is not None and linter.kept is not None else None  # the run's own were exact
    return plan_fixes(
        root,
        findings,
        versions,
        config=config,
        paths=paths,
        baseline=result.findings,
        parsed=parsed,
        builds=builds,
    )


# the rules gitops_lint.fix has a fixer for (its FIXERS; tests/test_startup.py keeps them equal):
# a run with no finding of these imports neither fix.py nor ruamel.yaml
FIXABLE_RULES = frozenset({"crd-prune", "deprecated-api", "missing-namespace"})


def _fixable(root: str, config: Config, linter, result, paths: list[str], warm=None) -> frozenset[tuple]:
    """Sort keys of the findings that --fix would repair: its plan, nothing written."""
    if not any(f.rule in FIXABLE_RULES for f in result.findings):
        return frozenset()
    import warnings

    from .fix import FIXERS

    candidates = [f for f in result.findings if f.rule in FIXERS]
    if not candidates:
        return frozenset()
    with warnings.catch_warnings():  # ruamel.yaml warns on stderr of anchors libyaml accepted
        warnings.simplefilter("ignore")
        plan = _fix_plan(root, config, linter, result, paths, candidates, warm)
    return frozenset(a.finding.sort_key() for a in plan.applied)


def _check_rule_names(config: Config) -> None:
    from .rules import all_rules
    from .vocabulary import rule_names

    suggestion = rule_names().suggestion
    known = {r.name for r in all_rules()} | {r.code for r in all_rules()}
    for name in sorted((config.select or set()) | config.deselect | set(config.rules)):
        if name not in known and not any(code.startswith(name) for code in known if code[:2] == "GL"):
            raise UsageError(f"unknown rule {name!r}{suggestion(name)} (see `gitops-lint rules`)")


def cmd_graph(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="gitops-lint graph", description="The dependsOn DAG of a cluster, offline."
    )
    p.add_argument("path", metavar="PATH", help="a cluster directory, or a repository root")
    p.add_argument(
        "--format",
        choices=("mermaid", "dot", "tree"),
        default="mermaid",
        help="mermaid (default) or dot: dependsOn edges solid from the dependency to its dependent, "
        "applies edges dotted/dashed from a Kustomization to what it applies; tree: what each "
        "Kustomization applies, nested, with [dependsOn: ...]",
    )
    _common(p)
    args = p.parse_args(argv)
    root, config = _setup(args, args.path)
    from .graph.dependson import build_graph, to_dot, to_mermaid, to_tree
    from .lint import Linter

    linter = Linter(root, config)
    clusters = linter.build_clusters([args.path])
    out = []
    for cluster in clusters:
        graph = build_graph(cluster)
        if len(clusters) > 1:
            out.append(
                f"%% cluster {cluster.name}" if args.format == "mermaid" else f"# cluster {cluster.name}"
            )
        if args.format == "mermaid":
            out.append(to_mermaid(graph))
        elif args.format == "dot":
            out.append(to_dot(graph))
        else:
            from .graph.dependson import node_key

            out.append(to_tree(graph, node_key(cluster.root.ref)))
    linter.redactor.refresh()  # a node named from a secret
    sys.stdout.write(linter.redactor.redact("".join(s if s.endswith("\n") else s + "\n" for s in out)))
    return 0


def cmd_build(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="gitops-lint build",
        description="Print what the built-in renderer makes of a kustomize directory, or, with "
        "--kustomization, what one Flux Kustomization applies after patches and substitution.",
    )
    p.add_argument(
        "path", metavar="DIR", help="a kustomize directory (with --kustomization: a cluster directory)"
    )
    p.add_argument(
        "--kustomization",
        metavar="NAMESPACE/NAME",
        help="print what this Flux Kustomization of the cluster at DIR applies, after substitution",
    )
    _common(p)
    args = p.parse_args(argv)
    if not os.path.isdir(args.path):
        what = "not a directory" if os.path.exists(args.path) else "no such directory"
        raise UsageError(f"build {args.path}: {what} (build takes a kustomize directory)")
    root, config = _setup(args, args.path)
    from .lint import Linter
    from .model.secrets import mask_objects
    from .render.output import to_yaml_stream

    linter = Linter(root, config)
    if args.kustomization:
        ns, sep, name = args.kustomization.partition("/")
        if not sep:
            raise UsageError("--kustomization expects NAMESPACE/NAME")
        for cluster in linter.build_clusters([args.path]):
            for ks in cluster.kustomizations.values():
                if (ks.ref.namespace, ks.ref.name) == (ns, name):
                    objects = mask_objects([ro.obj for ro in ks.objects], linter.redactor)
                    sys.stdout.write(to_yaml_stream(objects))
                    return 0
        raise UsageError(f"no Kustomization {ns}/{name} in {args.path}")
    from .lint import make_renderer

    rel = linter.fs.relpath(os.path.abspath(args.path))
    result = make_renderer(config, linter.fs, linter.cache).build(rel)
    linter.redactor.update(
        v for r in result.resources if r.obj.get("kind") == "Secret" for v in _values(r.obj)
    )
    sys.stdout.write(to_yaml_stream(mask_objects([r.obj for r in result.resources], linter.redactor)))
    for issue in result.issues:
        message = linter.redactor.redact(issue.message)
        sys.stderr.write(f"{issue.file}:{issue.line}:{issue.column}: {message}\n")
    return 1 if any(i.kind not in ("external", "note") for i in result.issues) else 0


def cmd_diff(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="gitops-lint diff",
        description="What a change does to the clusters: every cluster rendered at --base REF (read from "
        "the local Git object store, never fetched) and in the working tree, and per Flux Kustomization "
        "the objects added, removed and changed, field by field. Secret values are never shown.",
    )
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="cluster directories or the repository root (default: .)"
    )
    p.add_argument(
        "--base", metavar="REF", help="the commit, branch or tag to compare with (e.g. origin/main)"
    )
    p.add_argument("--base-dir", help=argparse.SUPPRESS)  # the base as a directory (tests)
    # build every Kustomization of the base even where the head's build is known to fit (tests)
    p.add_argument("--no-reuse", action="store_true", help=argparse.SUPPRESS)
    p.add_argument(
        "--format",
        choices=("text", "json", "markdown", "unified"),
        default="text",
        help="text (default): field paths; json: stable, versioned; markdown: for a pull-request comment "
        "or job summary, a collapsed section per Kustomization; unified: a unified YAML diff per object",
    )
    p.add_argument(
        "--max-size",
        type=int,
        default=None,
        metavar="CHARS",
        help="markdown: the size limit, sections beyond it are counted in a note (default 60000)",
    )
    p.add_argument(
        "--ignore-meta",
        action="append",
        metavar="PATTERN",
        help="also leave out labels and annotations whose key matches this shell pattern (repeatable); "
        "by default helm.sh/chart, app.kubernetes.io/version and checksum/* are left out",
    )
    p.add_argument("--keep-meta", action="store_true", help="leave no label or annotation out")
    p.add_argument("--output-file", metavar="FILE", help="write the diff to FILE instead of standard output")
    p.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when a rendered object changed (as git diff --exit-code)",
    )
    _common(p)
    args = p.parse_args(argv)
    if bool(args.base) == bool(args.base_dir):
        raise UsageError("diff needs --base REF")
    if args.max_size is not None and args.max_size < 1000:
        raise UsageError(f"--max-size {args.max_size}: at least 1000 characters")
    paths = args.paths or ["."]
    root, config = _setup(args, paths[0])
    from .lint import Linter
    from .load.config import load_config
    from .render.memo import BuildMemo
    from .report.diff_formats import FORMATS, to_markdown
    from .report.objdiff import DEFAULT_NOISE, diff_snapshots, snapshot
    from .vocabulary import vocabulary

    memo = None if args.no_reuse or os.environ.get("GITOPS_LINT_NO_REUSE") else BuildMemo()
    head = Linter(root, config)
    head.render_memo = memo
    head_snap = snapshot(head.build_clusters(paths))
    with _base_tree(args, root) as base_root:
        base_snap, base = {}, None
        base_paths = [_base_path(p_, root, base_root) for p_ in paths]
        base_paths = [p_ for p_ in base_paths if os.path.exists(p_)]
        if base_paths and os.path.isdir(base_root):
            base_config = load_config(base_root, args.config, known=vocabulary())
            base_config.global_variables.update(config.global_variables)
            base_config.renderer = config.renderer
            base = Linter(base_root, base_config)
            base.render_memo, base.render_memo_record = memo, False
            base_snap = snapshot(base.build_clusters(base_paths))
            # read the base's secret values and index them while its tree still exists
            base.redactor.refresh()
            base.redactor.redact("-" * 16)
    from .core.redact import Redactors

    both = Redactors([head.redactor] + ([base.redactor] if base else []))
    both.refresh()
    redact = both.redact

    noise = () if args.keep_meta else DEFAULT_NOISE
    diffs = diff_snapshots(base_snap, head_snap, tuple(noise) + tuple(args.ignore_meta or ()))
    if args.format == "markdown" and args.max_size is not None:
        report = to_markdown(diffs, redact, args.max_size)
    else:
        report = FORMATS[args.format](diffs, redact)
    for note in head.notes:
        sys.stderr.write(redact(f"gitops-lint: {note}") + "\n")
    if args.output_file:
        write_atomically(args.output_file, report)
    else:
        sys.stdout.write(report)
    return 1 if args.exit_code and diffs else 0


@contextlib.contextmanager
def _base_tree(args, root: str):
    """The lint root's counterpart in the tree at --base (or --base-dir itself)."""
    if args.base_dir:
        yield os.path.abspath(args.base_dir)
        return
    try:
        from .gitref import GitRefError, materialize
    except ImportError:  # pragma: no cover - gitref lands with --new-only
        raise UsageError(
            "diff --base: this build cannot read Git refs (gitops_lint.gitref missing)"
        ) from None
    try:
        with materialize(root, args.base) as base_root:
            yield base_root
    except GitRefError as exc:
        raise UsageError(str(exc)) from None


def _base_path(path: str, root: str, base_root: str) -> str:
    """A PATH argument (under the lint root) as it lies under the base's root."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        raise UsageError(f"{path}: outside the root {root}, so it has no counterpart at the base")
    return base_root if rel == os.curdir else os.path.join(base_root, rel)


def cmd_rules(argv: list[str]) -> int:
    argparse.ArgumentParser(prog="gitops-lint rules", description="The rule catalog.").parse_args(argv)
    from .rules import all_rules

    for r in all_rules():
        sys.stdout.write(f"{r.code}  {r.name:<28} {r.severity.label:<8} {r.summary}\n")
    return 0


def rule_page(name: str) -> str | None:
    """The rule's page from ``rules/`` (a checkout, or the copy an installed wheel carries)."""
    from .report.pages import rule_page as find_page

    return find_page(name)


def cmd_explain(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="gitops-lint explain", description="Print a rule's page.")
    p.add_argument("rule", help="a rule name or code (see `gitops-lint rules`)")
    args = p.parse_args(argv)
    from .rules import all_rules
    from .vocabulary import rule_names

    names = rule_names()
    name = names.canonical(args.rule)
    for r in all_rules():
        if r.name == name:
            page = rule_page(r.name)
            if page is None:
                module = sys.modules[r.check.__module__]
                page = f"# {r.name} ({r.code})\n\nDefault severity: {r.severity.label}\n\n{module.__doc__ or r.summary}\n"
            sys.stdout.write(page)
            return 0
    raise UsageError(f"unknown rule {args.rule!r}{names.suggestion(args.rule)} (see `gitops-lint rules`)")


def cmd_schemas(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="gitops-lint schemas",
        description="Schema files. `import`: CRDs (and Crossplane XRDs) to JSON Schema files named "
        "{kind}-{group}-{version}.json, for `schemas:` in the config.",
    )
    sub = p.add_subparsers(dest="action", required=True)
    imp = sub.add_parser("import", help="convert CRD files to JSON Schema files")
    imp.add_argument("files", nargs="+", metavar="CRD.yaml")
    imp.add_argument("--out", required=True, metavar="DIR")
    args = p.parse_args(argv)
    from .schema.importer import ImportError_, import_files

    try:
        written = import_files(args.files, args.out)
    except ImportError_ as exc:
        raise UsageError(str(exc)) from None
    for name in written:
        sys.stdout.write(os.path.join(args.out, name) + "\n")
    return 0


COMMANDS = {
    "graph": cmd_graph,
    "build": cmd_build,
    "diff": cmd_diff,
    "rules": cmd_rules,
    "explain": cmd_explain,
    "schemas": cmd_schemas,
}


def _check_command(argv: list[str]) -> None:
    """``gitops-lint grpah x``: a first word that is no path but near a command name is a
    mistyped command, not a directory that does not exist."""
    first = argv[0] if argv else ""
    if not first or first.startswith("-") or os.path.exists(first):
        return
    import difflib

    close = difflib.get_close_matches(first.lower(), list(COMMANDS), n=1, cutoff=0.6)
    if close:
        raise UsageError(
            f"unknown command {first!r} (did you mean {close[0]}?); commands: {', '.join(COMMANDS)}"
        )


#: what a run stores in its cache once its report is out (``cache``: "After the report"),
#: with the cache: written by :func:`main` before it returns, or by :func:`entry` in a child
_STORES: list[tuple[RunCache, Callable[[], None]]] = []
#: set by :func:`entry`: the stores are written after :func:`main` returns, in a child
_DETACHED = False


def main(argv: list[str] | None = None) -> int:
    from .core.redact import collecting

    try:
        with collecting():  # the error paths mask what every run of this command read
            return _main(list(sys.argv[1:] if argv is None else argv))
    finally:
        if not _DETACHED:
            _write_stores()


def _write_stores() -> None:
    """Write what the run keeps in its cache; a cache that cannot be written is no error,
    and a bug in a store costs the next run a miss, never this run's report."""
    stores, _STORES[:] = list(_STORES), []
    for _, store in stores:
        with contextlib.suppress(Exception):
            store()


def _detach_stores() -> None:
    """Write the run's stores in a child process that leaves the run's standard streams
    and terminal, holding the cache's store lock (``cache.hold_stores``), so that the
    process the hook or CI step waits for ends now; here, when no child can be had.

    Whether the tree is still the one the run read is asked here, as the run ends: a
    pre-commit hook puts the unstaged changes back once the process has ended, and the
    child, asking later, would store nothing (what it reads of the tree itself is
    checked against the walk's hashes, ``buildcache._storable``)."""
    from .cache import hold_stores

    if not any([warm.still_the_tree() for warm, _ in _STORES]):  # each asked now
        _STORES.clear()  # a file changed while the run read the tree: nothing to store
        return
    lock = hold_stores(_STORES[0][0]) if hasattr(os, "fork") and hasattr(os, "setsid") else None
    if lock is None:
        _write_stores()
        return
    try:
        pid = os.fork()
    except OSError:
        os.close(lock)
        _write_stores()
        return
    if pid == 0:  # the child: never returns into the caller
        try:
            os.setsid()  # out of the terminal's process group: no ^C meant for the next command
            null = os.open(os.devnull, os.O_RDWR)
            for target in (0, 1, 2):  # the caller waits for the end of these streams, not for this
                os.dup2(null, target)
            os.closerange(3, lock)
            os.closerange(lock + 1, max(lock + 2, _MAX_FD))
            _write_stores()
        finally:
            os._exit(0)
    os.close(lock)  # the child's copy holds the lock until its stores are written


def printable(text: str) -> str:
    """``text`` safe to print (gitops_lint.report.text), imported on first use."""
    from .report.text import printable as safe

    return safe(text)


def _main(argv: list[str]) -> int:
    debug = "--debug" in argv
    try:
        _check_environment()
        if argv and argv[0] in COMMANDS:
            return COMMANDS[argv[0]](argv[1:])
        _check_command(argv)
        return cmd_lint(argv)
    except InternalError as exc:
        return _internal_error(exc, debug)
    except GitopsLintError as exc:
        sys.stderr.write(_redacted(f"gitops-lint: error: {printable(str(exc))}\n"))
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - any bug: one line, never a traceback unless asked for
        return _internal_error(exc, debug)


def _check_environment() -> None:
    """Refuse a ``GITOPS_LINT_JOBS`` that is not a count, whatever the command: set but
    unusable, it would otherwise mean "automatic" without a word (the module that uses
    it is imported only then: a run with one cluster never loads it)."""
    text = os.environ.get("GITOPS_LINT_JOBS", "")
    if text.strip():
        from .core.forked import wanted_jobs

        try:
            wanted_jobs(text)
        except ValueError as exc:
            raise UsageError(str(exc)) from None


def _internal_error(exc: Exception, debug: bool) -> int:
    if debug:
        # the traceback, through the same redaction as every other output line
        import traceback

        sys.stderr.write(_redacted(traceback.format_exc()))
        return 2
    sys.stderr.write(
        _redacted(
            f"gitops-lint: internal error: {type(exc).__name__}: {printable(str(exc))} (rerun with --debug)\n"
        )
    )
    return 2


def _values(secret: dict):
    """The values of a rendered Secret (``build`` of a directory: a generator's output)."""
    from .model.secrets import HIDDEN, secret_values

    for v in secret_values(secret, None, ()):  # type: ignore[arg-type]
        if v.status in HIDDEN:
            yield v.value


def _redacted(text: str) -> str:
    """``text`` without the secret values the run has read (see gitops_lint.core.redact)."""
    from .core.redact import collected

    redactors = collected()
    redactors.refresh()
    return redactors.redact(text)


# gen-0 collections every 50,000 net allocations instead of 700: a run builds
# large trees of dicts and lists and frees almost no cycles, so the default threshold
# spends a quarter of its time walking live objects (measured: 2.7 s -> 2.0 s CPU on a
# 2,600-file repository; peak memory unchanged). 1,000,000 (and a gen-1 collection every
# 5th): a warm run after a one-file change allocates about 300,000 and then collects
# nothing (its five gen-0 walks were 35 ms of 0.6 s); the 100,000-object scale run
# 16.1 -> 14.8 s, peak memory unchanged (635 MB)
_GC_THRESHOLD = (1_000_000, 5, 1000)
#: the descriptors the child writing a run's stores closes (all but its lock; os.closerange
#: asks the system to close a range at once where it can)
_MAX_FD = 1 << 16


def entry() -> None:
    """The process's entry point (``gitops-lint``, ``python -m gitops_lint``).

    What suits a short-lived process and not a library call of :func:`main`:
    the collector tuned for a run (see ``_GC_THRESHOLD``), PyYAML imported without
    the pattern its pure-Python reader alone uses (``load.lazy_reader``), and an exit without tearing down the heap
    (freeing every object of the run one by one costs a fifth of a run, as
    mypy's ``hard_exit`` found). Every file the run writes is closed by then
    (temporary directories are context managers), so only stdout and stderr are
    flushed by hand. And what the run stores in its cache is written after its report,
    by a child the caller does not wait for (:func:`_detach_stores`).
    """
    import gc

    from .load import lazy_reader

    global _DETACHED

    lazy_reader.install()  # before any stage imports PyYAML: see load/lazy_reader.py
    gc.set_threshold(*_GC_THRESHOLD)
    _DETACHED = True
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass  # the reader went away (`| head`): what it read is all it wanted
    except OSError:
        code = code or 2
    if _STORES:
        with contextlib.suppress(Exception):  # a cache is no error: at worst, nothing stored
            _detach_stores()
    os._exit(code)


if __name__ == "__main__":
    entry()
