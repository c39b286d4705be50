"""GL301 plaintext-secret: a Secret value committed without SOPS encryption.

Anything in Git is readable by everyone who can clone it, forever (history
keeps what a later commit encrypts). Flux decrypts SOPS-encrypted Secrets and
``secretGenerator`` sources in kustomize-controller; a value that is not
encrypted reaches the cluster, and every clone, in clear.

Judged on the files as written (see :mod:`gitops_lint.secrets`): Secret
manifests and patches, ``secretGenerator`` literals, env files and files,
Secrets embedded in HelmRelease ``values`` and chart password keys, and files
a ``.sops.yaml`` creation rule designates as encrypted. Empty values, values
made only of ``${var}`` references (Flux substitutes them) or ``$${var}``
escapes, SOPS ``ENC[...]`` values, SOPS-encrypted source files, and secret
manager references (``op://``, ``ref+...://``, ``<path:...>``) are fine.

The value is never printed: a finding names the key and the file.
"""

from __future__ import annotations

from ..model import Severity
from ..secrets import (
    ADDED_IN_CLEAR,
    DESIGNATED,
    UNENCRYPTED_BY_RULE,
    inventory,
)
from .base import REPOSITORY, Context, Hit, Rule

_FIX = "encrypt it with sops (e.g. --encrypted-regex '^(data|stringData)$')"


def _message(v) -> str:
    if v.status == DESIGNATED:
        return f"{v.what} by {v.detail}, but it has no SOPS metadata: {_FIX}"
    if v.status == UNENCRYPTED_BY_RULE:
        return (
            f"{v.what} is in clear: the file is SOPS-encrypted but its {v.detail} leaves this "
            "value unencrypted (value not shown)"
        )
    if v.status == ADDED_IN_CLEAR:
        return (
            f"{v.what} is in clear in a SOPS-encrypted file (added after encryption?): "
            "re-encrypt the file with sops (value not shown)"
        )
    if v.what.startswith("secretGenerator"):
        return (
            f"{v.what} is not SOPS-encrypted (value not shown): move it to an env file "
            "encrypted with sops (`sops --encrypt --input-type dotenv`)"
        )
    if v.file is not None:
        return f"{v.what} is not SOPS-encrypted (value not shown): encrypt the file with sops"
    return f"{v.what} is not SOPS-encrypted (value not shown): {_FIX}"


def check(ctx: Context):
    seen = set()
    for v in inventory(ctx.fs, ctx.cache):
        if not v.leaks or not v.what:
            continue
        key = (v.what, v.file, v.line, v.origin, v.path)
        if key in seen:
            continue
        seen.add(key)
        if v.file is not None:
            yield Hit(_message(v), file=v.file, line=v.line or 1, object=v.object)
        else:
            yield Hit(_message(v), origin=v.origin, path=v.path, object=v.object)


RULE = Rule(
    "plaintext-secret",
    "GL301",
    Severity.ERROR,
    "a Secret value is committed without SOPS encryption",
    check,
    REPOSITORY,
)
