"""The lint step of the GitHub Action (``action.yml``): inputs in, annotations and outputs out.

The Action passes its inputs through the environment (``INPUT_PATHS``,
``INPUT_ARGS``, ...), never by ``${{ }}`` inside a script, so nothing a
workflow writes is executed. ``paths`` and ``args`` are split as a POSIX
shell splits words (``shlex``): quotes keep a path with spaces whole, and
nothing is expanded. The step then runs gitops-lint once for the SARIF file
when one is asked for and once with ``--format github`` (annotations, and
the job summary the CLI appends to ``$GITHUB_STEP_SUMMARY``), and writes the
step outputs ``errors``, ``warnings`` and ``sarif-file`` to ``$GITHUB_OUTPUT``.

On a pull request (or with the ``base`` input), the Action answers the two
questions of issue 19: only the findings the change introduces are
annotated and fail the step (``--new-only --base REF``; the SARIF file keeps
every finding, since code scanning does its own matching), and the rendered
diff of the change (``gitops-lint diff --base REF --format markdown``) goes
to the job summary and, with ``comment-file``, into a file a later step can
post as a pull-request comment. The base of a pull request is
``origin/$GITHUB_BASE_REF``, which needs ``actions/checkout`` with
``fetch-depth: 0``; ``base: none`` lints everything.

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


PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")


def base_ref(env: Mapping[str, str]) -> str:
    """The ref to compare with: the ``base`` input, else a pull request's base branch, else none."""
    chosen = env.get("INPUT_BASE", "").strip()
    if chosen == "none":
        return ""
    if chosen:
        return chosen
    if env.get("GITHUB_EVENT_NAME") in PULL_REQUEST_EVENTS and env.get("GITHUB_BASE_REF"):
        return f"origin/{env['GITHUB_BASE_REF']}"
    return ""


def diff_command_line(env: Mapping[str, str], base: str) -> list[str]:
    """``gitops-lint diff`` for the same paths, with the options of ``args`` that diff takes."""
    args = [
        "diff",
        *(shlex.split(env.get("INPUT_PATHS", "")) or ["."]),
        "--base",
        base,
        "--format",
        "markdown",
    ]
    if env.get("INPUT_CONFIG"):
        args += ["--config", env["INPUT_CONFIG"]]
    extra = shlex.split(env.get("INPUT_ARGS", ""))
    for i, word in enumerate(extra):  # --root X / --var N=V / --renderer R, in either spelling
        name = word.split("=", 1)[0]
        if name in ("--root", "--var", "--renderer"):
            args += [word] if "=" in word else extra[i : i + 2]
    return args


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
    base = base_ref(env)
    sys.stdout.flush()
    new_only = ["--new-only", "--base", base] if base else []
    run = _gitops_lint([*args, *new_only, "--format", "github"], subprocess.PIPE, env)
    sys.stdout.buffer.write(run.stdout)
    sys.stdout.flush()
    counts = COUNTS.findall(run.stdout)
    errors, warnings = (counts[-1][0].decode(), counts[-1][1].decode()) if counts else ("", "")
    comment = env.get("INPUT_COMMENT_FILE", "")
    if base and run.returncode < 2:
        _rendered_diff(env, base, comment)
    write_outputs({"errors": errors, "warnings": warnings, "sarif-file": sarif, "comment-file": comment}, env)
    return run.returncode


def _rendered_diff(env: Mapping[str, str], base: str, comment: str) -> None:
    """The change's rendered diff into the job summary and the comment file; a failure is a warning."""
    quiet = {k: v for k, v in env.items() if k != "GITHUB_STEP_SUMMARY"}
    run = _gitops_lint(diff_command_line(env, base), subprocess.PIPE, quiet)
    if run.returncode != 0:
        sys.stdout.write(f"::warning title=gitops-lint action::the rendered diff against {base} failed\n")
        return
    text = "## What this change does to the clusters\n\n" + run.stdout.decode("utf-8", "replace")
    for path in (env.get("GITHUB_STEP_SUMMARY", ""), comment):
        if path:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(text)


if __name__ == "__main__":
    sys.exit(main())
