"""Regenerate schemas/cel-parser.json: cel-python's Lark parser, built once.

Building the LALR tables of cel-python's grammar takes ~0.1 s in every
process that meets a CEL rule. Lark can serialise a built parser; its own
format is a pickle, which gitops-lint will not load, so the tables are
written as JSON (tuples and non-string dict keys tagged, see
``gitops_lint.schema.cel``) and stamped with the Lark version and the
grammar's SHA-256. A stamp that does not match the installed packages makes
gitops-lint build the parser itself, as before.

    python tools/gen_cel_parser.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitops_lint.schema.cel import PARSER_FILE, build_parser, encode, stamp  # noqa: E402


def main() -> int:
    import lark

    parser = build_parser()
    data, memo = parser.memo_serialize([lark.lexer.TerminalDef, lark.grammar.Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k != "lexer_callbacks"}
    payload = {"stamp": stamp(), "data": encode(data), "memo": encode(memo)}
    PARSER_FILE.write_text(json.dumps(payload, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {PARSER_FILE} ({PARSER_FILE.stat().st_size} bytes) for {payload['stamp']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
