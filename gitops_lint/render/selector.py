"""Patch, replacement and generator target selectors.

kustomize's ``Select`` (api/resmap/reswrangler.go): ``group``, ``version``
and ``kind`` compare exactly; ``name`` and ``namespace`` are regular
expressions anchored at both ends, tried against the *original* and the
*current* value (effective namespace: ``default`` when unset, none for a
cluster-scoped kind); ``labelSelector`` and ``annotationSelector`` use the
Kubernetes label selector syntax (``a=b,c!=d,e in (x,y),!f,g``).

Both are written by the repository, so both are matched in linear time:
the name and namespace regexes with RE2 (they are Go regexps in kustomize,
:mod:`gitops_lint.core.regex`), and a label requirement by an RE2 program too
(Python's backtracking made ``a`` + 8,000 spaces + ``b`` take 3 s).
"""

from __future__ import annotations

from functools import lru_cache

import re2

from ..core.regex import GoRegex, RegexError, compile_go
from .resource import Res


class SelectorError(Exception):
    pass


def anchored(pattern: str) -> GoRegex:
    """kustomize ``anchorRegex``: ``^(?:pattern)$``, compiled by Go's regexp (cached)."""
    try:
        return compile_go(f"^(?:{pattern})$")
    except RegexError as exc:
        raise SelectorError(f"invalid regular expression {pattern!r}: {exc}") from None


_REQ_PATTERN = r"""^\s*(?:
        (?P<notexists>!)\s*(?P<nkey>[^\s!=,()]+)
      | (?P<key>[^\s!=,()]+)\s*(?:
            (?P<op>==|=|!=)\s*(?P<value>[^\s,()]*)
          | \s+(?P<setop>in|notin)\s*\((?P<values>[^)]*)\)
        )?
    )\s*$"""


@lru_cache(maxsize=1)
def _requirement():
    """Compiled on first use (most builds have no label selector); RE2 has no verbose
    flag, so the layout whitespace is dropped (the pattern has no literal space)."""
    options = re2.Options()
    options.log_errors = False
    return re2.compile("".join(_REQ_PATTERN.split()), options)


def split_outside(text: str, sep: str, open_: str, close: str) -> list[str]:
    """Split ``text`` on ``sep`` where it is not inside ``open_ ... close`` brackets
    (a label requirement's ``in (a,b)``, a field path's ``[name=x.y]``)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _split_requirements(text: str) -> list[str]:
    return [p for p in split_outside(text, ",", "(", ")") if p.strip()]


@lru_cache(maxsize=512)
def parse_label_selector(text: str):
    """A list of (key, op, values) requirements."""
    reqs = []
    for part in _split_requirements(text):
        m = _requirement().match(part)
        if not m:
            raise SelectorError(f"unable to parse requirement {part.strip()!r}")
        if m.group("notexists"):
            reqs.append((m.group("nkey"), "!", ()))
        elif m.group("op"):
            op = "!=" if m.group("op") == "!=" else "="
            reqs.append((m.group("key"), op, (m.group("value"),)))
        elif m.group("setop"):
            values = tuple(v.strip() for v in m.group("values").split(",") if v.strip())
            reqs.append((m.group("key"), m.group("setop"), values))
        else:
            reqs.append((m.group("key"), "exists", ()))
    return tuple(reqs)


def matches_labels(labels: dict, text: str) -> bool:
    for key, op, values in parse_label_selector(text):
        present = key in labels
        value = labels.get(key)
        value = "" if value is None else (value if isinstance(value, str) else str(value))
        if op == "=" and not (present and value == values[0]):
            return False
        if op == "!=" and present and value == values[0]:
            return False
        if op == "in" and not (present and value in values):
            return False
        if op == "notin" and present and value in values:
            return False
        if op == "exists" and not present:
            return False
        if op == "!" and present:
            return False
    return True


class Selector:
    """A kustomize target selector (types.Selector)."""

    __slots__ = ("group", "version", "kind", "name", "namespace", "label_selector", "annotation_selector")

    def __init__(
        self,
        group: str = "",
        version: str = "",
        kind: str = "",
        name: str = "",
        namespace: str = "",
        label_selector: str = "",
        annotation_selector: str = "",
    ):
        self.group = group
        self.version = version
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.label_selector = label_selector
        self.annotation_selector = annotation_selector

    @classmethod
    def parse(cls, data: dict) -> Selector:
        def text(key: str) -> str:
            v = data.get(key)
            return "" if v is None else str(v)

        group, version = text("group"), text("version")
        api = data.get("apiVersion")
        if isinstance(api, str) and api and not (group or version):
            group, _, version = api.rpartition("/") if "/" in api else ("", "", api)
        return cls(
            group=group,
            version=version,
            kind=text("kind"),
            name=text("name"),
            namespace=text("namespace"),
            label_selector=text("labelSelector"),
            annotation_selector=text("annotationSelector"),
        )

    def matches(self, res: Res) -> bool:
        cur = res.cur_id()
        org = res.org_id()
        if self.namespace:
            rx = anchored(self.namespace)
            if not rx.search(org.effective_ns()) and not rx.search(cur.effective_ns()):
                return False
        if self.name:
            rx = anchored(self.name)
            if not rx.search(org.name) and not rx.search(cur.name):
                return False
        if not cur.gvk_selected(self.group, self.version, self.kind):
            return False
        if self.label_selector and not matches_labels(res.labels(), self.label_selector):
            return False
        return not (
            self.annotation_selector and not matches_labels(res.annotations(), self.annotation_selector)
        )


def select(resources, selector: Selector) -> list[Res]:
    return [r for r in resources if selector.matches(r)]
