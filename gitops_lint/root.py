"""The repository root of a path: where a lint's relative paths, config and cache start.

Apart from :mod:`.lint` so that the command line finds the root (and a warm
run its cache) without importing the pipeline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# files whose presence marks the top of a Flux repository, when there is no .git
_ROOT_MARKERS = (".sops.yaml", ".sops.yml")
# ancestors looked at for a marker: a run from deep inside a checkout stays cheap
_MAX_ROOT_DEPTH = 12


@dataclass(frozen=True)
class RootGuess:
    root: str
    how: str  # "" when certain (.git or a config file); otherwise what decided it


def guess_root(path: str) -> RootGuess:
    """The repository root of ``path``, and how sure that is.

    The nearest ancestor with ``.git`` or a config file is certain. Without
    one (an exported tree, a CI workspace without history), the root is
    found the way users lay repositories out: a ``flux-system/gotk-sync.yaml``
    under the path whose ``spec.path`` names the path says where the root is;
    else the nearest ancestor holding ``.sops.yaml`` or a
    ``flux-system/gotk-sync.yaml``; else the path itself. Only ancestors are
    looked at, never the file tree, so a run from ``/`` stays cheap.
    """
    start = os.path.abspath(path)
    start = start if os.path.isdir(start) else os.path.dirname(start)
    cur = start
    while True:
        if os.path.exists(os.path.join(cur, ".git")) or os.path.isfile(
            os.path.join(cur, ".gitops-lint.yaml")
        ):
            return RootGuess(cur, "")
        parent = os.path.dirname(cur)
        if parent == cur:
            break
        cur = parent
    synced = _root_from_sync(start)
    if synced is not None:
        return RootGuess(synced, "the path its flux-system/gotk-sync.yaml syncs")
    cur = start
    for _ in range(_MAX_ROOT_DEPTH):
        for marker in (*_ROOT_MARKERS, os.path.join("flux-system", "gotk-sync.yaml")):
            if os.path.isfile(os.path.join(cur, marker)):
                return RootGuess(cur, f"it holds {marker}")
        parent = os.path.dirname(cur)
        if parent == cur:
            break
        cur = parent
    return RootGuess(start, "no .git, config file, .sops.yaml or gotk-sync.yaml above it")


def _root_from_sync(start: str) -> str | None:
    """``start`` minus the ``spec.path`` of its own ``flux-system/gotk-sync.yaml``."""
    sync = os.path.join(start, "flux-system", "gotk-sync.yaml")
    try:
        with open(sync, "rb") as fh:
            text = fh.read(1 << 20).decode("utf-8", "replace")
    except OSError:
        return None
    from .load.loader import parse_text  # only a root without .git is guessed from a sync file

    for doc in parse_text(text, "gotk-sync.yaml").documents:
        obj = doc.data if isinstance(doc.data, dict) else {}
        spec = obj.get("spec")
        if obj.get("kind") != "Kustomization" or not isinstance(spec, dict):
            continue
        raw = spec.get("path")
        if not isinstance(raw, str):
            continue
        rel = os.path.normpath("/" + raw).strip("/")
        here = start.rstrip(os.sep).split(os.sep)
        if not rel:
            return start
        parts = rel.split("/")
        if len(parts) < len(here) and here[-len(parts) :] == parts:
            return os.sep.join(here[: -len(parts)]) or os.sep
    return None
