"""Name references: the last step of a build, after hash suffixes.

When a transformer renamed a resource (prefix, suffix, namespace, hash), the
fields of *other* resources that named it still hold the old name. kustomize
(api/filters/nameref, resmap.SubsetThatCouldBeReferencedByResource) rewrites
them at the end of the top-level build. For each referrer field:

* candidates are the resources the referrer may see: all of them for a
  cluster-scoped referrer; otherwise cluster-scoped ones, those in the
  referrer's namespace, and, for a RoleBinding, those in a namespace one of
  its ServiceAccount subjects names;
* a candidate must have had the referenced name among its *previous* names,
  a previous id of the referenced kind (and, for ``roleRef``, of the role's
  kind and group), and be in the referrer's namespace unless one of them is
  cluster scoped or it is a ServiceAccount;
* several candidates left are narrowed by the prefixes/suffixes the
  referrer and the candidate received; if they still differ, the build fails;
* a mapping field (RoleBinding subjects, webhook ``clientConfig.service``)
  also gets the referral's namespace, and its own ``namespace`` narrows the
  candidates (by original namespace, then current).
"""

from __future__ import annotations

from . import fieldspec as fsmod
from .fieldspec import NameBackRef
from .resource import CLUSTER_SCOPED, DEFAULT_NS, Res, ResId


class NameRefError(Exception):
    pass


def _same_ending(a: list[str], b: list[str]) -> bool:
    """utils.SameEndingSubSlice."""
    shortest, longest = (a, b) if len(a) <= len(b) else (b, a)
    diff = len(longest) - len(shortest)
    if not shortest:
        return diff == 0
    return all(longest[i + diff] == shortest[i] for i in range(len(shortest)))


def _affixes_equal(r: Res, o: Res, allow_empty: bool) -> bool:
    if allow_empty:
        prefix_ok = not r.prefixes or not o.prefixes or _same_ending(r.prefixes, o.prefixes)
        suffix_ok = not r.suffixes or not o.suffixes or _same_ending(r.suffixes, o.suffixes)
        return prefix_ok and suffix_ok
    return _same_ending(r.prefixes, o.prefixes) and _same_ending(r.suffixes, o.suffixes)


class _Index:
    """What every referral lookup of one ``fix_references`` needs, computed once.

    A lookup used to scan every resource for every reference field (quadratic in
    the size of a build: 30% of a 100,000-object lint). Only resources that were
    renamed can be a referral, so they are indexed by their previous names, in
    resource order; whether a referrer may see a resource is a predicate instead
    of a list.
    """

    def __init__(self, resources: list[Res]):
        self.resources = resources
        self.by_prev_name: dict[str, list[Res]] = {}
        for res in resources:
            for name in dict.fromkeys(p.name for p in res.prev_ids()):
                self.by_prev_name.setdefault(name, []).append(res)


class _Scope:
    """The resources one referrer may see (kustomize's SubsetThatCouldBeReferencedByResource)."""

    def __init__(self, referrer: Res, index: _Index):
        self.index = index
        rid = referrer.cur_id()
        self.everything = rid.cluster_scoped
        self.ref_ns = rid.effective_ns()
        self.rb_namespaces: set[str] = set()
        if referrer.kind == "RoleBinding":
            subjects = referrer.obj.get("subjects")
            if isinstance(subjects, list):
                for s in subjects:
                    if isinstance(s, dict) and "namespace" in s and s.get("kind") == "ServiceAccount":
                        self.rb_namespaces.add(str(s["namespace"]))
        self._all: list[Res] | None = None

    def sees(self, res: Res) -> bool:
        if self.everything:
            return True
        cid = res.cur_id()
        return cid.cluster_scoped or cid.effective_ns() == self.ref_ns or res.namespace in self.rb_namespaces

    def named(self, old_name: str) -> list[Res]:
        """The visible resources that were once called ``old_name``."""
        return [r for r in self.index.by_prev_name.get(old_name, ()) if self.sees(r)]

    def all(self) -> list[Res]:
        if self._all is None:
            self._all = [r for r in self.index.resources if self.sees(r)]
        return self._all


class _Filter:
    def __init__(self, referrer: Res, spec: fsmod.FieldSpec, target: NameBackRef, scope: _Scope):
        self.referrer = referrer
        self.spec = spec
        self.target = target
        self.scope = scope

    def _role_ref_gvk(self) -> tuple[str, str] | None:
        if not self.spec.path.endswith("roleRef/name"):
            return None
        role_ref = self.referrer.obj.get("roleRef")
        if not isinstance(role_ref, dict) or "apiGroup" not in role_ref or "kind" not in role_ref:
            return None
        return str(role_ref.get("apiGroup") or ""), str(role_ref.get("kind") or "")

    def select(self, old_name: str, candidates: list[Res], identical) -> Res | None:
        """``candidates`` were once called ``old_name`` (or at least may have been)."""
        target = self.target
        role_ref = self._role_ref_gvk()
        ref_id = self.referrer.cur_id()
        ref_ns = ref_id.effective_ns()
        found = []
        for res in candidates:
            prev = res.prev_ids()
            if not any(p.name == old_name for p in prev):
                continue
            if not any(p.gvk_selected(target.group, target.version, target.kind) for p in prev):
                continue
            if role_ref is not None and not any(p.gvk_selected(role_ref[0], "", role_ref[1]) for p in prev):
                continue
            if not ref_id.cluster_scoped:
                cid = res.cur_id()
                if not (cid.cluster_scoped or res.kind == "ServiceAccount" or cid.effective_ns() == ref_ns):
                    continue
            found.append(res)
        if len(found) == 1:
            return found[0]
        found = [r for r in found if _affixes_equal(r, self.referrer, True)]
        if len(found) > 1:
            found = [r for r in found if _affixes_equal(r, self.referrer, False)]
        if len(found) == 1:
            return found[0]
        if not found:
            return None
        if identical(found):
            return found[0]
        ids = ", ".join(r.cur_id().display() for r in found)
        raise NameRefError(f"found multiple possible referrals: {ids}")

    def set(self, container, key) -> None:
        node = container[key]
        if node is None:
            return
        if isinstance(node, dict):
            self._set_mapping(node)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                if isinstance(item, dict):
                    self._set_mapping(item)
                elif item is not None and not isinstance(item, list):
                    self._set_scalar(node, i)
        else:
            self._set_scalar(container, key)

    def _set_scalar(self, container, key) -> None:
        value = container[key]
        old = value if isinstance(value, str) else str(value)
        referral = self.select(old, self.scope.named(old), _names_same)
        if referral is not None and referral.name != old:
            container[key] = referral.name

    def _set_mapping(self, node: dict) -> None:
        if "name" not in node:
            raise NameRefError("path config error; no 'name' field in node")
        name = node.get("name")
        old = "" if name is None else str(name)
        candidates = self.scope.named(old)
        if "namespace" in node:
            # narrowed by the whole visible set, as kustomize does: a namespace any
            # visible resource came from wins, even one of another name
            candidates = self.scope.all()
            ns = node.get("namespace")
            ns = "" if ns is None else str(ns)
            by_org = [r for r in candidates if _namespaced_in(r.org_id(), ns)]
            candidates = by_org or [r for r in candidates if _namespaced_in(r.cur_id(), ns)]
        referral = self.select(old, candidates, _names_and_namespaces_same)
        if referral is None:
            return
        if referral.name == old and not referral.namespace:
            return
        node["name"] = referral.name
        if referral.namespace:
            node["namespace"] = referral.namespace


def _namespaced_in(rid: ResId, ns: str) -> bool:
    """``not rid.cluster_scoped and rid.effective_ns() == ns``, computed once."""
    return (rid.group, rid.version, rid.kind) not in CLUSTER_SCOPED and (rid.namespace or DEFAULT_NS) == ns


def _names_same(items: list[Res]) -> bool:
    return len({r.name for r in items}) == 1


def _names_and_namespaces_same(items: list[Res]) -> bool:
    return len({(r.name, r.namespace) for r in items}) == 1


def fix_references(resources: list[Res], config: fsmod.TransformerConfig) -> None:
    """nameReferenceTransformer.Transform over the final resource list."""
    if not any(r.prev for r in resources):
        return  # nothing was renamed: no referral can match a previous name
    by_kind, generic = config.nameref_index()
    plan: list[tuple[Res, list[tuple[fsmod.FieldSpec, NameBackRef]]]] = []
    for res in resources:
        org = res.org_id()
        specs = by_kind.get(org.kind, [])
        if generic:
            specs = specs + generic
        hits = [
            (spec, backref)
            for spec, backref in specs
            if org.gvk_selected(spec.group, spec.version, spec.kind) and fsmod.has_field(res.obj, spec)
        ]
        if hits:
            plan.append((res, hits))
    index = _Index(resources)
    for referrer, items in plan:
        scope = _Scope(referrer, index)
        group, version, kind = referrer.gvk()
        for spec, backref in items:
            if not spec.matches(group, version, kind):
                continue
            f = _Filter(referrer, spec, backref, scope)
            try:
                fsmod.apply(referrer.obj, spec, f.set, None)
            except fsmod.FieldSpecError as exc:
                raise NameRefError(
                    f"updating name reference in '{spec.path}' field of '{referrer.cur_id().display()}': {exc}"
                ) from None
