"""Command line: ``gitops-lint [PATH ...]`` and its sub-commands.

Stdout carries the report, stderr the diagnostics. Exit status: 0 nothing at
or above ``--fail-on``; 1 findings at or above it; 2 usage, config or
internal error, always as one line (a traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .budget import BudgetExceeded
from .config import Config, ConfigError, load_config
from .model import Severity
from .report.text import printable

SUBCOMMANDS = ("graph", "build", "rules", "explain", "schemas")


def _split(values: list[str] | None) -> set[str]:
    out: set[str] = set()
    for v in values or []:
        out.update(x.strip() for x in v.split(",") if x.strip())
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


def lint_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gitops-lint",
        description="Offline linter for Flux CD GitOps repositories. "
        f"Sub-commands: {', '.join(SUBCOMMANDS)} (gitops-lint SUBCOMMAND --help).",
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="a cluster directory, or a repository root (default: .)",
    )
    p.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
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
    p.add_argument("--version", action="version", version=f"gitops-lint {__version__}")
    _common(p)
    return p


def _setup(args, first_path: str) -> tuple[str, Config]:
    from .lint import guess_root

    guess = None if args.root else guess_root(first_path)
    root = os.path.abspath(args.root) if args.root else guess.root
    if guess is not None and guess.how:
        sys.stderr.write(
            f"gitops-lint: no .git above {first_path}: using {root} as the root ({guess.how}); set --root to change it\n"
        )
        config_limit = True
    else:
        config_limit = False
    if not os.path.isdir(root):
        raise UsageError(f"--root {args.root}: not a directory")
    config = load_config(root, args.config)
    for item in args.var or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--var {item!r}: expected NAME=VALUE")
        config.global_variables[name] = value
    config.renderer = args.renderer
    # a guessed root may be high in the file system: discovery must not walk the disk
    config.walk_limit = 20000 if config_limit else None
    return root, config


class UsageError(Exception):
    pass


def cmd_lint(argv: list[str]) -> int:
    args = lint_parser().parse_args(argv)
    paths = args.paths or ["."]
    root, config = _setup(args, paths[0])
    if args.select:
        config.select = _split(args.select)
    config.deselect |= _split(args.ignore)
    if args.fail_on:
        config.fail_on = Severity.parse(args.fail_on)
    if args.kube_version:
        config.kube_version = args.kube_version
    if args.flux_version:
        from .flux_version import parse_version

        if parse_version(args.flux_version) is None:
            raise UsageError(f"--flux-version {args.flux_version!r}: expected a version such as 2.9")
        config.flux_version = args.flux_version
    _check_rule_names(config)
    from .lint import Linter
    from .report import FORMATS

    linter = Linter(root, config)
    result = linter.run(paths)
    sys.stderr.write("".join(f"gitops-lint: {printable(note)}\n" for note in linter.notes))
    if args.fix or args.diff:
        from .fix import plan_fixes, write_fixes
        from .flux_version import detect

        # each cluster's Flux: a fix must not write an apiVersion that Flux does not serve
        versions = {c.name: detect(c, linter.fs, config).version for c in result.clusters}
        plan = plan_fixes(root, result.findings, versions)
        sys.stderr.write("".join(f"gitops-lint: {printable(line)}\n" for line in plan.summary_lines()))
        if args.diff:
            sys.stdout.write(plan.diff())
            return 1 if plan.after else 0
        refused = write_fixes(root, plan)
        sys.stderr.write("".join(f"gitops-lint: {printable(line)}\n" for line in refused))
        if plan.after:  # report what is left after the fixes
            result = Linter(root, config).run(paths)
    sys.stdout.write(FORMATS[args.format](result.findings, result.summary))
    if args.format == "github":
        from .report.github import write_step_summary

        write_step_summary(result.findings, result.summary)
    return 1 if any(f.severity >= config.fail_on for f in result.findings) else 0


def _check_rule_names(config: Config) -> None:
    from .rules import all_rules

    known = {r.name for r in all_rules()} | {r.code for r in all_rules()}
    for name in sorted((config.select or set()) | config.deselect | set(config.rules)):
        if name not in known and not any(code.startswith(name) for code in known if code[:2] == "GL"):
            raise UsageError(f"unknown rule {name!r} (see `gitops-lint rules`)")


def cmd_graph(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="gitops-lint graph", description="The dependsOn DAG of a cluster, offline."
    )
    p.add_argument("path", metavar="PATH")
    p.add_argument("--format", choices=("mermaid", "dot", "tree"), default="mermaid")
    _common(p)
    args = p.parse_args(argv)
    root, config = _setup(args, args.path)
    from .graph import build_graph, to_dot, to_mermaid, to_tree
    from .lint import Linter

    clusters = Linter(root, config).build_clusters([args.path])
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
            from .graph import node_key

            out.append(to_tree(graph, node_key(cluster.root.ref)))
    sys.stdout.write("".join(s if s.endswith("\n") else s + "\n" for s in out))
    return 0


def cmd_build(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="gitops-lint build",
        description="Print what the built-in renderer makes of a kustomize directory, or, with "
        "--kustomization, what one Flux Kustomization applies after patches and substitution.",
    )
    p.add_argument("path", metavar="DIR")
    p.add_argument("--kustomization", metavar="NAMESPACE/NAME")
    _common(p)
    args = p.parse_args(argv)
    root, config = _setup(args, args.path)
    from .lint import Linter
    from .redact import mask_objects
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
    sys.stdout.write(to_yaml_stream(mask_objects([r.obj for r in result.resources], linter.redactor)))
    for issue in result.issues:
        message = linter.redactor.redact(issue.message)
        sys.stderr.write(f"{issue.file}:{issue.line}:{issue.column}: {message}\n")
    return 1 if any(i.kind != "external" for i in result.issues) else 0


def cmd_rules(argv: list[str]) -> int:
    argparse.ArgumentParser(prog="gitops-lint rules", description="The rule catalog.").parse_args(argv)
    from .rules import all_rules

    for r in all_rules():
        sys.stdout.write(f"{r.code}  {r.name:<28} {r.severity.label:<8} {r.summary}\n")
    return 0


def rule_page(name: str) -> str | None:
    """The rule's page from ``rules/`` (a checkout, or the copy an installed wheel carries)."""
    from .pages import rule_page as find_page

    return find_page(name)


def cmd_explain(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="gitops-lint explain", description="Print a rule's page.")
    p.add_argument("rule")
    args = p.parse_args(argv)
    from .rules import all_rules

    for r in all_rules():
        if args.rule in (r.name, r.code):
            page = rule_page(r.name)
            if page is None:
                module = sys.modules[r.check.__module__]
                page = f"# {r.name} ({r.code})\n\nDefault severity: {r.severity.label}\n\n{module.__doc__ or r.summary}\n"
            sys.stdout.write(page)
            return 0
    raise UsageError(f"unknown rule {args.rule!r} (see `gitops-lint rules`)")


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
    "rules": cmd_rules,
    "explain": cmd_explain,
    "schemas": cmd_schemas,
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    from .lint import UsageError as LintUsageError
    from .rules import PluginError

    try:
        if argv and argv[0] in COMMANDS:
            return COMMANDS[argv[0]](argv[1:])
        return cmd_lint(argv)
    except (UsageError, LintUsageError, ConfigError, PluginError, BudgetExceeded) as exc:
        sys.stderr.write(_redacted(f"gitops-lint: error: {printable(str(exc))}\n"))
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # never a traceback unless asked for
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


def _redacted(text: str) -> str:
    """``text`` without the secret values the run has read (see gitops_lint.redact)."""
    from . import redact

    redact.REDACTOR.refresh()
    return redact.REDACTOR.redact(text)


if __name__ == "__main__":
    sys.exit(main())
