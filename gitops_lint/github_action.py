"""The lint step of the GitHub Action (``action.yml``): inputs in, annotations and outputs out.

The Action passes its inputs through the environment (``INPUT_PATHS``,
``INPUT_ARGS``, ...), never by ``${{ }}`` inside a script, so nothing a
workflow writes is executed. ``paths`` and ``args`` are split as a POSIX
shell splits words (``shlex``): quotes keep a path with spaces whole, and
nothing is expanded. The step then runs gitops-lint once for the SARIF file
when one is asked for and once with ``--format github`` (annotations, and
the job summary the CLI appends to ``$GITHUB_STEP_SUMMARY``), and writes the
step outputs ``errors``, ``warnings`` and ``sarif-file`` to ``$GITHUB_OUTPUT``.

Exit status: the github run's (0 clean, 1 findings at or above ``fail-on``,
2 usage or internal error), so the step fails exactly when the CLI would.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import uuid
from collections.abc import Mapping

# the github format's last line (report/github.py counts_line)
COUNTS = re.compile(rb"^Found (\d+) errors?, (\d+) warnings?", re.M)


def command_line(env: Mapping[str, str]) -> list[str]:
    """gitops-lint's arguments from the Action's inputs (raises ValueError on unbalanced quotes)."""
    paths = shlex.split(env.get("INPUT_PATHS", "")) or ["."]
    args = [*paths, "--fail-on", env.get("INPUT_FAIL_ON", "") or "error"]
    if env.get("INPUT_CONFIG"):
        args += ["--config", env["INPUT_CONFIG"]]
    return args + shlex.split(env.get("INPUT_ARGS", ""))


def write_outputs(values: dict[str, str], env: Mapping[str, str]) -> None:
    """Append step outputs to ``$GITHUB_OUTPUT``, in the multi-line form that no value can end early."""
    path = env.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        for name, value in values.items():
            delimiter = f"gitops_lint_{uuid.uuid4().hex}"
            fh.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def _gitops_lint(args: list[str], stdout, env: Mapping[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gitops_lint", *args], stdout=stdout, env=dict(env))


def main(env: Mapping[str, str] = os.environ) -> int:
    try:
        args = command_line(env)
    except ValueError as exc:  # unbalanced quote
        sys.stdout.write(f"::error title=gitops-lint action::paths or args: {exc}\n")
        return 2
    sarif = env.get("INPUT_SARIF_FILE", "")
    if sarif:
        # not the job summary: the github run below writes it
        quiet = {k: v for k, v in env.items() if k != "GITHUB_STEP_SUMMARY"}
        with open(sarif, "wb") as out:
            status = _gitops_lint([*args, "--format", "sarif"], out, quiet).returncode
        if status >= 2:
            return status
    sys.stdout.flush()
    run = _gitops_lint([*args, "--format", "github"], subprocess.PIPE, env)
    sys.stdout.buffer.write(run.stdout)
    sys.stdout.flush()
    counts = COUNTS.findall(run.stdout)
    errors, warnings = (counts[-1][0].decode(), counts[-1][1].decode()) if counts else ("", "")
    write_outputs({"errors": errors, "warnings": warnings, "sarif-file": sarif}, env)
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
