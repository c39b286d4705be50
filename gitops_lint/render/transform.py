"""kustomize's builtin transformers (everything but patches and name references).

Each function mirrors one builtin plugin of kustomize v5 and is applied to
the whole resource list of a kustomization, in kustomize's order (see
``kustomize.py``). The behaviour reproduced, per transformer:

* namespace: set ``metadata.namespace`` on every kind not known to be
  cluster scoped (Namespace, ClusterRole, CRD, ... stay without one);
  rename core ``Namespace`` objects to the namespace; set the namespace of
  (Cluster)RoleBinding subjects named ``default``; record the previous id;
  two resources ending with one id is an error;
* namePrefix/nameSuffix: change ``metadata.name`` of everything except
  CustomResourceDefinition, APIService and Namespace, remembering the
  prefix/suffix and previous id (name references are fixed at the end);
* labels/commonLabels/commonAnnotations: set at the field specs of the
  transformer config (selectors and templates only where asked);
* images: any ``containers``/``initContainers`` list at any depth (except
  in CRDs), plus configured field specs; ``name`` is matched as kustomize's
  unescaped regular expression ``^NAME(:tag)?(@sha256:digest)?$``;
* replicas: ``spec/replicas`` of the configured kinds, found by any name
  the resource ever had; no match is an error.
"""

from __future__ import annotations

from ..core.regex import GoRegex, RegexError, compile_go
from . import fieldspec as fsmod
from .fieldspec import MAP, SCALAR, FieldSpec
from .resource import Res


class TransformError(Exception):
    pass


class NoTarget(TransformError):
    """No resource matches (unprovable when a remote resource was skipped)."""


def _gvk(res: Res) -> tuple[str, str, str]:
    return res.gvk()


# -- namespace -----------------------------------------------------------------


def set_namespace(resources: list[Res], namespace: str, specs: list[FieldSpec]) -> None:
    if not namespace:
        return
    other = [s for s in specs if s.path != "metadata/namespace" and s.path != "subjects"]

    def set_scalar(container, key) -> None:
        container[key] = namespace

    for res in resources:
        res.store_previous_id()
        obj = res.obj
        group, version, kind = _gvk(res)
        if not res.cur_id().cluster_scoped:
            meta = res.meta()
            meta["namespace"] = namespace
        if kind in ("RoleBinding", "ClusterRoleBinding"):
            subjects = obj.get("subjects")
            if isinstance(subjects, list):
                for subject in subjects:
                    if isinstance(subject, dict) and subject.get("name") == "default":
                        subject["namespace"] = namespace
        for spec in other:
            if spec.matches(group, version, kind):
                if group and spec.path == "metadata/name" and kind == "Namespace":
                    # kubectl kustomize (v5.5) renames only the core Namespace: a custom
                    # kind named Namespace (servicebus.azure.com's) keeps its name
                    continue
                _apply(obj, spec, set_scalar, SCALAR)
    seen: dict = {}
    for res in resources:
        cur = res.cur_id()
        key = (cur.group, cur.version, cur.kind, cur.effective_ns(), cur.name)
        if key in seen:
            raise TransformError(f"namespace transformation produces ID conflict: {cur.display()}")
        seen[key] = res


def _apply(obj: dict, spec: FieldSpec, setter, create_kind: str | None) -> None:
    try:
        fsmod.apply(obj, spec, setter, create_kind)
    except fsmod.FieldSpecError as exc:
        raise TransformError(f"considering field '{spec.path}': {exc}") from None


# -- name prefix / suffix ------------------------------------------------------

_SKIP_AFFIX = (("", "CustomResourceDefinition"), ("apiregistration.k8s.io", "APIService"), ("", "Namespace"))


def _skip_affix(res: Res) -> bool:
    org = res.org_id()
    return any(org.gvk_selected(group, "", kind) for group, kind in _SKIP_AFFIX)


def add_affix(resources: list[Res], affix: str, specs: list[FieldSpec], *, suffix: bool) -> None:
    if not affix:
        return

    def setter(container, key) -> None:
        value = container[key]
        text = "" if value is None else (value if isinstance(value, str) else str(value))
        container[key] = text + affix if suffix else affix + text

    for res in resources:
        if _skip_affix(res):
            continue
        org = res.org_id()
        for spec in specs:
            if not org.gvk_selected(spec.group, spec.version, spec.kind):
                continue
            if spec.path == "metadata/name":
                (res.suffixes if suffix else res.prefixes).append(affix)
                res.store_previous_id()
            group, version, kind = _gvk(res)
            if spec.matches(group, version, kind):
                _apply(res.obj, spec, setter, None)


# -- labels and annotations ------------------------------------------------------


def set_map_entries(resources: list[Res], entries: dict, specs: list[FieldSpec]) -> None:
    """Set ``entries`` (labels or annotations) at every field spec of each resource."""
    if not entries:
        return
    items = sorted((str(k), _label_value(v)) for k, v in entries.items())

    def setter(container, key) -> None:
        target = container[key]
        if target is None:
            target = container[key] = {}
        if not isinstance(target, dict):
            raise TransformError(f"expected a map at {key!r}")
        for k, v in items:
            target[k] = v

    for res in resources:
        group, version, kind = _gvk(res)
        for spec in specs:
            if spec.matches(group, version, kind):
                _apply(res.obj, spec, setter, MAP)


def _label_value(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def label_specs(entry: dict, config: fsmod.TransformerConfig) -> list[FieldSpec]:
    """The field specs of one ``labels:`` entry (LabelTransformer configurator)."""
    fields = entry.get("fields") or []
    if not isinstance(fields, list):
        # kustomize fails to decode it into []FieldSpec: a build error, not a crash
        raise TransformError(f"labels[].fields: expected a list, got {type(fields).__name__}")
    specs: list[FieldSpec] = [FieldSpec.parse(f) for f in fields if isinstance(f, dict)]
    if entry.get("includeSelectors") is True:
        fsmod.merge_specs(specs, config.common_labels)
    else:
        fsmod.merge_specs(specs, [FieldSpec("metadata/labels", create=True)])
        if entry.get("includeTemplates") is True:
            fsmod.merge_specs(specs, config.template_labels)
    return specs


# -- images --------------------------------------------------------------------


def _image_pattern(name: str) -> GoRegex | None:
    """kustomize ``image.IsImageMatched``: the name is a Go regexp (RE2, linear time:
    ``name: (a+)+`` must not hang the run); ``None`` when Go would not compile it."""
    try:
        return compile_go("^" + name + r"(:[\w][\w.-]{0,127})?(@sha256:[a-fA-F0-9]{64})?$")
    except RegexError:
        return None


def split_image(image: str) -> tuple[str, str, str]:
    """image.Split: name, tag, digest (a registry port is not a tag)."""
    search = image
    slash = image.find("/")
    if slash > 0:
        search = image[slash:]
    else:
        slash = 0
    i_at = search.find("@")
    i_colon = search.find(":")
    if i_colon < 0 and i_at < 0:
        return image, "", ""
    if i_at >= 0 and (i_at < i_colon or i_colon < 0):
        i_at += slash
        return image[:i_at], "", image[i_at + 1 :]
    if i_at >= 0 and i_colon >= 0:
        i_at += slash
        i_colon += slash
        return image[:i_colon], image[i_colon + 1 : i_at], image[i_at + 1 :]
    i_colon += slash
    return image[:i_colon], image[i_colon + 1 :], ""


def new_image(value: str, spec: dict) -> str | None:
    """The updated image reference, or ``None`` when ``spec`` does not match it."""
    pattern = _image_pattern(str(spec.get("name") or ""))
    if pattern is None or not pattern.search(value):
        return None
    name, tag, digest = split_image(value)
    new_name = _label_value(spec.get("newName")) if spec.get("newName") is not None else ""
    new_tag = _label_value(spec.get("newTag")) if spec.get("newTag") is not None else ""
    new_digest = _label_value(spec.get("digest")) if spec.get("digest") is not None else ""
    if new_name:
        name = new_name
    if new_tag and new_digest:
        tag, digest = new_tag, new_digest
    elif new_tag:
        tag, digest = new_tag, ""
    elif new_digest:
        tag, digest = "", new_digest
    if tag:
        name += ":" + tag
    if digest:
        name += "@" + digest
    return name


def _container_slots(node: object, out: list) -> None:
    """Every ``containers[].image``/``initContainers[].image`` slot under ``node``, in the
    order kustomize's image filter visits them (children before the ``containers`` key)."""
    if isinstance(node, dict):
        for key, value in node.items():
            _container_slots(value, out)
            # a ``containers`` that is not a list (a map in a HelmRelease's values) is
            # skipped, as kustomize's image filter skips it; a non-scalar image is an error
            if key in ("containers", "initContainers") and isinstance(value, list):
                for elem in value:
                    if isinstance(elem, dict) and "image" in elem and elem["image"] is not None:
                        if isinstance(elem["image"], (dict, list)):
                            raise TransformError("wrong node kind: expected ScalarNode for image")
                        out.append((elem, "image"))
    elif isinstance(node, list):
        for value in node:
            _container_slots(value, out)


def set_images(resources: list[Res], images: list[dict], specs: list[FieldSpec]) -> None:
    """kustomize's ImageTagTransformer, one per ``images`` entry, in order.

    The entries are applied slot by slot rather than entry by entry: each image
    slot is found once (walking every resource once per entry was quadratic in
    an overlay with many entries), then every entry in turn rewrites its value,
    so a later entry sees what an earlier one made of it, as in kustomize.
    """
    entries = [spec for spec in images if isinstance(spec, dict)]
    if not entries:
        return
    slots: list = []

    def collect(container, key) -> None:
        if container[key] is not None:
            slots.append((container, key))

    for res in resources:
        if res.kind == "CustomResourceDefinition":
            continue
        _container_slots(res.obj, slots)
        group, version, kind = _gvk(res)
        for fs in specs:
            if fs.matches(group, version, kind):
                _apply(res.obj, fs, collect, None)
    seen: set[tuple[int, object]] = set()
    for container, key in slots:
        if (id(container), key) in seen:
            continue  # reached by the container walk and by a field spec: rewritten once
        seen.add((id(container), key))
        value = str(container[key])
        changed = False
        for spec in entries:
            updated = new_image(value, spec)
            if updated is not None:
                value, changed = updated, True
        if changed:
            container[key] = value


# -- replicas ------------------------------------------------------------------


def set_replicas(resources: list[Res], replicas: list[dict], specs: list[FieldSpec]) -> None:
    for entry in replicas:
        if not isinstance(entry, dict):
            continue
        name = str(entry.get("name") or "")
        count = entry.get("count")

        def setter(container, key, count=count) -> None:
            container[key] = count

        found = False
        for fs in specs:
            matched = [
                r
                for r in resources
                if r.any_id_matches(
                    lambda rid, fs=fs, name=name: (
                        rid.name == name and rid.gvk_selected(fs.group, fs.version, fs.kind)
                    )
                )
            ]
            if matched:
                found = True
                for res in matched:
                    group, version, kind = _gvk(res)
                    if fs.matches(group, version, kind):
                        _apply(res.obj, fs, setter, SCALAR)
        if not found:
            raise NoTarget(f"resource with name {name} does not match a config with the following GVK")
