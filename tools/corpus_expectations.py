"""Print the corpus findings as `Known(...)` entries for tests/test_corpus.py.

Usage (from the project root): python3 -m tools.corpus_expectations [REPO ...]

Entries already in EXPECTED keep their reason; new ones get "REASON?" so that a
reviewer must write why each one is a real defect (errors) or a justified warning
before the table is committed (the well-formedness test refuses a short reason).
"""

from __future__ import annotations

import sys

from tests.helpers import lint_repo
from tests.test_corpus import CORPUS, EXPECTED, REPOSITORIES, observed


def main(argv: list[str]) -> None:
    for repo in sorted(REPOSITORIES):
        if argv and repo not in argv:
            continue
        reasons = {(k.rule, k.severity, k.file): k.reason for k in EXPECTED.get(repo, [])}
        got = observed(lint_repo(CORPUS / repo, *REPOSITORIES[repo]))
        print(f'    "{repo}": [')
        for (rule, severity, file), n in sorted(got.items()):
            reason = reasons.get((rule, severity, file), "REASON?")
            sev = "" if severity == "error" else f', severity="{severity}"'
            print(f'        Known("{rule}", "{file}", {n}, {reason!r}{sev}),')
        print("    ],")


if __name__ == "__main__":
    main(sys.argv[1:])
