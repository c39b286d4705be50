"""Start a new built-in rule: its module, its page, a fixture and its entry point.

    python tools/new_rule.py NAME [--code GL6 | --code GL604] [--severity error|warning|info]

writes, in the checkout this script belongs to:

- ``gitops_lint/rules/<name>.py``: the rule, with a stand-in check;
- ``rules/<name>.md``: its page, in the format every page has (the suite lints
  the page's Example and Use instead sections);
- ``tests/fixtures/defects/<name>/``: a small Flux repository and its
  ``expected.txt`` (the suite lints it, tests/test_fixtures.py);
- its line in pyproject.toml's ``[project.entry-points."gitops_lint.rules"]``,
  the one list of rules (a checkout reads it from there: nothing to install).

The code is the next free one after the highest in use, or in a series
(``--code GL4``: the next free GL4xx), or the one given. The stand-in check
reports any object annotated ``gitops-lint.invalid/<name>``, and the page and
fixture show that defect, so the suite passes from the first minute; the work
is then to replace the check, the page's examples and the fixture together.
As ruff's ``scripts/add_rule.py`` does, this is a maintainer's script, not a
subcommand: DESIGN.md fixes the command line users see.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
CODE = re.compile(r"GL\d{3}")
SERIES = re.compile(r"GL\d")
TABLE = '[project.entry-points."gitops_lint.rules"]'

MODULE = '''"""@CODE@ @NAME@: TODO, in one line, what is wrong.

TODO: what Flux does with such a repository (FLUX-SEMANTICS.md, with its
source), so why it fails or does damage; what is reported, and where; what is
deliberately not reported (what gitops-lint cannot see is never an error: see
DESIGN.md, "Certainty").

Started by tools/new_rule.py: the check below is a stand-in that reports
objects annotated ``gitops-lint.invalid/@NAME@``; replace it together with
rules/@NAME@.md and tests/fixtures/defects/@NAME@/.
"""

from __future__ import annotations

from ..core.data import Severity
from .base import Context, Hit, Rule

MARK = "gitops-lint.invalid/@NAME@"  # TODO: the stand-in defect, goes with the stand-in check


def check(ctx: Context):
    for ro in ctx.cluster.objects:
        meta = ro.obj.get("metadata")
        annotations = meta.get("annotations") if isinstance(meta, dict) else None
        if isinstance(annotations, dict) and MARK in annotations:
            yield Hit(
                f"{ro.ref.kind} {ro.ref.namespace}/{ro.ref.name} is annotated {MARK}: "
                "TODO what is wrong, what Flux will do, and how to fix it",
                origin=ro.origin,
                path=("metadata", "annotations", MARK),
                object=ro.ref,
            )


RULE = Rule(
    "@NAME@",
    "@CODE@",
    Severity.@SEVERITY@,
    "TODO: one line for `gitops-lint rules`",
    check,
)
'''

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: default
@EXTRA@data:
  level: info
"""
MARKED = "  annotations:\n    gitops-lint.invalid/@NAME@: todo\n"
SUPPRESSED = "  # gitops-lint: disable=@NAME@\n" + MARKED

PAGE = """# @NAME@ (@CODE@)

Default severity: **@LABEL@**

## What it does

TODO: what the rule reports, and at which line. (Started by
`tools/new_rule.py`: the rule reports objects annotated
`gitops-lint.invalid/@NAME@` until its check is written; every example below
shows that stand-in defect and must change with the check.)

## Why is this bad?

TODO: what Flux does with such a repository, and what fails or breaks.

## Example

```yaml title="apps/configmap.yaml"
@EXAMPLE@```

gitops-lint reports the annotation in `apps/configmap.yaml`.

## Use instead

```yaml title="apps/configmap.yaml"
@CLEAN@```

## How to fix

TODO.

## How to suppress

In the object's document:

```yaml title="apps/configmap.yaml"
@SUPPRESSED@```

or in `.gitops-lint.yaml`:

```yaml title=".gitops-lint.yaml"
ignore:
  - {rule: @NAME@, path: "apps/**"}
```

## Flux semantics

TODO: the fields and behaviour this rule relies on, each with its source.

## References

- TODO: Flux documentation and source.
"""

FIXTURE = {
    "clusters/dev/kustomization.yaml": """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - flux-system
  - apps.yaml
""",
    "clusters/dev/flux-system/kustomization.yaml": """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - gotk-components.yaml
  - gotk-sync.yaml
""",
    "clusters/dev/flux-system/gotk-components.yaml": """# Flux Version: v2.9.0
---
apiVersion: v1
kind: Namespace
metadata:
  name: flux-system
""",
    "clusters/dev/flux-system/gotk-sync.yaml": """---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m0s
  ref:
    branch: main
  secretRef:
    name: flux-system
  url: ssh://git@github.com/example/fleet
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m0s
  path: ./clusters/dev
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
    "clusters/dev/apps.yaml": """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps/dev
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
    "apps/dev/kustomization.yaml": """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - configmap.yaml
""",
}


class Refused(Exception):
    """What the script will not do, with the reason (one line)."""


def fill(template: str, **values: str) -> str:
    for key, value in values.items():
        template = template.replace(f"@{key}@", value)
    assert not re.search(r"@[A-Z]+@", template), template
    return template


def existing_rules(root: Path) -> dict[str, str]:
    """name -> code of every rule the checkout at ``root`` registers."""
    sys.path.insert(0, str(root))
    try:
        from gitops_lint.core import data_files
        from gitops_lint.rules import all_rules

        if data_files.checkout() != root.resolve():
            raise Refused(f"{root} is not the checkout whose gitops_lint was imported")
        return {r.name: r.code for r in all_rules()}
    finally:
        sys.path.remove(str(root))


def next_code(codes: set[str], wanted: str | None) -> str:
    if wanted and CODE.fullmatch(wanted):
        if wanted in codes:
            raise Refused(f"code {wanted} is taken")
        return wanted
    if wanted and not SERIES.fullmatch(wanted):
        raise Refused(f"--code {wanted!r}: give a code (GL604) or a series (GL6)")
    series = sorted(c for c in codes if CODE.fullmatch(c) and (not wanted or c.startswith(wanted)))
    number = int(series[-1][2:]) + 1 if series else int(wanted[2:]) * 100 + 1
    code = f"GL{number:03d}"
    if not CODE.fullmatch(code) or code in codes or (wanted and not code.startswith(wanted)):
        raise Refused(f"no free code after {series[-1]}: give one with --code")
    return code


def add_entry_point(pyproject: Path, name: str, module: str) -> None:
    """The rule's line at the end of the entry-point table, the rest of the file untouched."""
    lines = pyproject.read_text(encoding="utf-8").splitlines(keepends=True)
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == TABLE)
    except StopIteration:
        raise Refused(f"{pyproject} has no {TABLE} table") from None
    end = start + 1
    while end < len(lines) and lines[end].strip() and not lines[end].lstrip().startswith("["):
        end += 1
    lines.insert(end, f'{name} = "gitops_lint.rules.{module}:RULE"\n')
    text = "".join(lines)
    table = tomllib.loads(text)["project"]["entry-points"]["gitops_lint.rules"]
    assert table[name] == f"gitops_lint.rules.{module}:RULE"
    pyproject.write_text(text, encoding="utf-8")


def create(root: Path, name: str, code: str | None, severity: str) -> tuple[str, list[Path]]:
    """Write the rule's files; returns its code and the files. Refuses before writing anything."""
    if not NAME.fullmatch(name):
        raise Refused(f"rule name {name!r}: lower-case words joined by '-', like missing-path")
    rules = existing_rules(root)
    if name in rules:
        raise Refused(f"rule {name!r} exists ({rules[name]})")
    code = next_code(set(rules.values()), code)
    module = name.replace("-", "_")
    values = {"NAME": name, "CODE": code, "SEVERITY": severity.upper(), "LABEL": severity}
    configmap = {
        "EXAMPLE": fill(CONFIGMAP, EXTRA=fill(MARKED, **values)),
        "CLEAN": fill(CONFIGMAP, EXTRA=""),
        "SUPPRESSED": fill(CONFIGMAP, EXTRA=fill(SUPPRESSED, **values)),
    }
    fixture = root / "tests" / "fixtures" / "defects" / name
    files = {
        root / "gitops_lint" / "rules" / f"{module}.py": fill(MODULE, **values),
        root / "rules" / f"{name}.md": fill(PAGE, **values, **configmap),
        **{fixture / rel: text for rel, text in FIXTURE.items()},
        fixture / "apps" / "dev" / "configmap.yaml": configmap["EXAMPLE"],
        fixture / "expected.txt": f"apps/dev/configmap.yaml:7 {name}\n",
    }
    taken = [p for p in [*files, fixture] if p.exists()]
    if taken:
        raise Refused(f"{taken[0].relative_to(root)} exists")
    add_entry_point(root / "pyproject.toml", name, module)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return code, [root / "pyproject.toml", *files]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("name", metavar="NAME", help="the rule's name, e.g. missing-path")
    p.add_argument(
        "--code", help="a code (GL604), or a series (GL6: its next free code); default: the next free"
    )
    p.add_argument("--severity", choices=("error", "warning", "info"), default="error")
    args = p.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    try:
        code, written = create(root, args.name, args.code, args.severity)
    except Refused as exc:
        print(f"new_rule: {exc}", file=sys.stderr)
        return 2
    print(f"{code} {args.name}: wrote")
    for path in written:
        print(f"  {path.relative_to(root)}")
    print(
        "Next: write the check, its page's examples and the fixture together (the TODOs); "
        "add the rule to the catalog in README.md and DESIGN.md; run "
        f"pytest tests/test_rule_pages.py tests/test_fixtures.py -k {args.name}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
