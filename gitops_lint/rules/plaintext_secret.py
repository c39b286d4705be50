"""GL301 plaintext-secret: a Secret value committed without SOPS encryption.

Anything in Git is readable by everyone who can clone it, forever (history
keeps what a later commit encrypts). Flux decrypts SOPS-encrypted Secrets and
``secretGenerator`` sources in kustomize-controller; a value that is not
encrypted reaches the cluster, and every clone, in clear.

Judged on the files as written (see :mod:`gitops_lint.model.secrets`): Secret
manifests and patches, ``secretGenerator`` literals, env files and files,
Secrets embedded in HelmRelease ``values`` and chart password keys, and files
a ``.sops.yaml`` creation rule designates as encrypted. Empty values, values
made only of ``${var}`` references (Flux substitutes them) or ``$${var}``
escapes, SOPS ciphertext, SOPS-encrypted source files, secret manager
references (``op://``, ``ref+...://``, ``<path:...>``) and documented
non-credential settings are fine.

Which values SOPS protects is decided as SOPS decides it (:mod:`gitops_lint.load.sops`).
Severity follows what the finding proves: a value in clear where the
governing SOPS settings encrypt (or where none govern) is an error, and in an
encrypted file it also breaks decryption; a value the author's own settings
leave in clear while encrypting others of the object is their choice and not
reported; settings that reach no value of an object leave it wholly in clear,
most likely by mistake, a warning.

The value is never printed: a finding names the key and the file.
"""

from __future__ import annotations

from ..core.data import Severity
from ..model.secrets import ADDED_IN_CLEAR, DESIGNATED, PLAINTEXT, UNENCRYPTED_BY_RULE
from .base import REPOSITORY, Context, Hit, Rule

_FIX = "encrypt it with sops (e.g. --encrypted-regex '^(data|stringData)$')"


def _message(v) -> str:
    if v.status == DESIGNATED:
        return f"{v.what} by {v.detail}, but it has no SOPS metadata (value not shown): encrypt it with sops"
    if v.status == UNENCRYPTED_BY_RULE:
        return (
            f"{v.what} is in clear, as is every value of this object: {v.detail} leaves them "
            "unencrypted (value not shown); if one is a credential, widen the settings to its key"
        )
    if v.status == ADDED_IN_CLEAR:
        return (
            f"{v.what} is in clear in a SOPS-encrypted file whose {v.detail} encrypts it: SOPS fails to "
            "decrypt the file (added after encryption?): `sops edit` it so the value is encrypted "
            "(value not shown)"
        )
    if v.status == PLAINTEXT and v.detail:
        return (
            f"{v.what} is not SOPS-encrypted (value not shown): encrypt the file with sops "
            f"({v.detail} encrypts this key)"
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
    for v in ctx.secret_inventory.values():
        if not v.leaks or not v.what:
            continue
        key = (v.what, v.file, v.line, v.origin, v.path)
        if key in seen:
            continue
        seen.add(key)
        # settings the author chose that leave a whole object in clear: likely a
        # mistake, but the author's own SOPS configuration says so (see the rule page)
        severity = Severity.WARNING if v.status == UNENCRYPTED_BY_RULE else None
        if v.file is not None:
            yield Hit(_message(v), file=v.file, line=v.line or 1, object=v.object, severity=severity)
        else:
            yield Hit(_message(v), origin=v.origin, path=v.path, object=v.object, severity=severity)


RULE = Rule(
    "plaintext-secret",
    "GL301",
    Severity.ERROR,
    "a Secret value is committed without SOPS encryption",
    check,
    REPOSITORY,
    reads=frozenset({"secret_inventory"}),
)
