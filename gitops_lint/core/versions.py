"""Version strings as users write them: a Flux version or range, a Kubernetes minor.

The config and the command line validate them before anything is read, and
the model and schema stages resolve them later: the parsing lives down here
so that reading a config needs none of the stages that use the answer.
"""

from __future__ import annotations

import re

# the newest Flux minor gitops-lint knows; "2.x" or ">=2.3" resolve to it
NEWEST_FLUX = (2, 9)

_CONSTRAINT = re.compile(
    r"^(>=|<=|==|=|>|<|\^|~>|~)?\s*v?(\d+)(?:\.(\d+|x|X|\*))?(?:\.(?:\d+|x|X|\*))?(?:[-+][\w.-]*)?$"
)
_KUBE_MINOR = re.compile(r"^v?(\d+)\.(\d+)")


def _newest_of(major: int) -> tuple[int, int]:
    return NEWEST_FLUX if major == NEWEST_FLUX[0] else (major, 0)


def _one(constraint: str) -> tuple[str, tuple[int, int], bool] | None:
    """(operator, (major, minor), minor given) of one semver constraint."""
    m = _CONSTRAINT.match(constraint.strip())
    if m is None:
        return None
    minor = m.group(3)
    exact = minor is not None and minor.isdigit()
    return m.group(1) or "", (int(m.group(2)), int(minor) if exact else 0), exact


def parse_flux_version(text: str) -> tuple[int, int] | None:
    """The Flux minor a version or semver range selects, newest admitted first:
    ``2.8``, ``v2.8.3``, ``2.8.x``, ``~2.8`` -> (2, 8); ``2.x``, ``>=2.3``,
    ``^2.3`` -> the newest 2.x; ``<2.8`` -> (2, 7); None when not a version."""
    text = re.sub(r"(>=|<=|==|=|>|<|\^|~>|~)\s+", r"\1", str(text).strip())
    parts = [p for p in re.split(r"[\s,]+", text) if p]
    if not parts:
        return None
    best: tuple[int, int] | None = None
    floor: tuple[int, int] = (0, 0)
    for part in parts:
        parsed = _one(part)
        if parsed is None:
            return None
        op, version, exact = parsed
        if op in ("", "=", "==", "~", "~>"):
            cap = version if exact else _newest_of(version[0])
        elif op in (">", ">=", "^"):
            floor = max(floor, version)
            cap = _newest_of(version[0]) if op == "^" else max(NEWEST_FLUX, version)
        elif op == "<=":
            cap = version
        else:  # "<": the newest minor before
            cap = (version[0], version[1] - 1) if version[1] > 0 else (version[0] - 1, 99)
        best = cap if best is None else min(best, cap)
    return None if best is None or best < floor else best


def kube_minor(text: str) -> tuple[int, int] | None:
    """(major, minor) of a Kubernetes version (``1.33``, ``v1.33.2``), or None."""
    m = _KUBE_MINOR.match(str(text).strip())
    return (int(m.group(1)), int(m.group(2))) if m else None
