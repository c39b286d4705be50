"""Synthetic layered Flux monorepo for the scale benchmark (issue 8).

    python benchmarks/gen_monorepo.py OUT [--clusters 2] [--layers 8] [--components 8]
                                          [--objects-per-component 10] [--seed 0]
    python benchmarks/gen_monorepo.py OUT --objects 10000   # pick --components for a size

The repository is laid out like a real Flux monorepo (the layout of
tests/fixtures/example, repeated):

    clusters/<cluster>/flux-system/{gotk-components,gotk-sync,kustomization}.yaml
    clusters/<cluster>/cluster-vars.yaml       ConfigMap read by every postBuild.substituteFrom
    clusters/<cluster>/<layer>.yaml            one Flux Kustomization per layer, layer i
                                               dependsOn layer i-1
    clusters/<cluster>/kustomization.yaml
    namespaces/base/<layer>/                   one Namespace per component of <layer>
    crds/base/bench/                           a few CRDs (prune: disabled, openAPIV3Schema)
    <layer>/base/<component>/                  kustomize bases: Deployments, Services,
                                               ConfigMaps (or a configMapGenerator) and
                                               custom resources of the CRDs, with
                                               ${cluster_name} / ${domain} substitutions
    <layer>/<cluster>/kustomization.yaml       per-cluster overlay: the bases, a patch, images
    apps/<cluster>/<component>.yaml            the last layer ("apps") renders one Flux
                                               Kustomization per component (spec.path to the
                                               base, spec.images, spec.patches, dependsOn)

Layers: ``namespaces``, ``crds`` (prune: false, wait: true), then ``layers - 2``
workload layers (infrastructure, security, observability, ..., apps), each
with ``components`` components of ``objects_per_component`` objects.

The repository is valid: ``gitops-lint ROOT`` reports no finding. The object
count (objects rendered across all clusters, the Flux objects included) is
computed exactly by :func:`count_objects` and returned by :func:`generate`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys

FLUX_VERSION = "v2.9.0"
GROUP = "bench.example.com"
CRD_KINDS = ("Widget", "Gadget", "Gizmo")
WORKLOAD_LAYERS = ("infrastructure", "security", "observability", "platform", "tooling", "data")
WORDS = (
    "billing", "catalog", "checkout", "search", "ledger", "gateway", "auth", "mailer",
    "metrics", "profile", "orders", "pricing", "reports", "storage", "tracker", "webhooks",
)  # fmt: skip
# one object per slot, cycling: Deployment, Service, ConfigMap, custom resource
SLOTS = ("Deployment", "Service", "ConfigMap", "Custom")


def layer_names(layers: int) -> list[str]:
    if layers < 3:
        raise ValueError("layers must be >= 3 (namespaces, crds, and at least one workload layer)")
    workload = layers - 2
    if workload == 1:
        names = ["apps"]
    else:
        extra = [f"layer{i}" for i in range(len(WORKLOAD_LAYERS), workload - 1)]
        names = [*WORKLOAD_LAYERS, *extra][: workload - 1] + ["apps"]
    return ["namespaces", "crds", *names]


def apps_children(layers: int) -> bool:
    """The last layer renders one Flux Kustomization per component (when it is not the only one)."""
    return layers - 2 >= 2


def count_objects(clusters: int, layers: int, components: int, objects_per_component: int) -> int:
    """Objects rendered across all clusters (what the linter builds), Flux objects included."""
    workload = layers - 2
    per_cluster = (
        3  # flux-system: Namespace, GitRepository, Kustomization
        + 1  # cluster-vars ConfigMap
        + layers  # one Flux Kustomization per layer
        + workload * components  # the namespaces layer: one Namespace per workload component
        + len(CRD_KINDS)  # the crds layer
        + workload * components * objects_per_component
        + (components if apps_children(layers) else 0)  # apps/<cluster>/<component>.yaml
    )
    return clusters * per_cluster


def components_for(objects: int, clusters: int, layers: int, objects_per_component: int) -> int:
    """The component count whose object count is nearest to ``objects`` (at least 1)."""
    fixed = count_objects(clusters, layers, 0, objects_per_component)
    step = count_objects(clusters, layers, 1, objects_per_component) - fixed
    return max(1, round((objects - fixed) / step))


class _Writer:
    def __init__(self, root: str):
        self.root = root
        self.files = 0

    def write(self, rel: str, text: str) -> None:
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        self.files += 1


def _block(text: str, indent: int) -> str:
    pad = " " * indent
    return "\n".join(pad + line if line else line for line in text.splitlines())


def _substitute_from() -> str:
    return "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-vars\n"


def _crd(kind: str) -> str:
    plural = kind.lower() + "s"
    return f"""apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.{GROUP}
  annotations:
    kustomize.toolkit.fluxcd.io/prune: disabled
spec:
  group: {GROUP}
  names:
    kind: {kind}
    listKind: {kind}List
    plural: {plural}
    singular: {kind.lower()}
  scope: Namespaced
  versions:
    - name: v1alpha1
      served: true
      storage: true
      subresources:
        status: {{}}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion:
              type: string
            kind:
              type: string
            metadata:
              type: object
            spec:
              type: object
              required: [owner, size]
              properties:
                owner:
                  type: string
                cluster:
                  type: string
                endpoint:
                  type: string
                size:
                  type: integer
                  minimum: 1
                tags:
                  type: array
                  items:
                    type: string
                settings:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true
            status:
              type: object
              x-kubernetes-preserve-unknown-fields: true
"""


def _deployment(name: str, comp: str, image: str, replicas: int) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app.kubernetes.io/name: {name}
  annotations:
    bench.example.com/owner: {comp}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 65534
      containers:
        - name: app
          image: {image}:1.0.0
          args:
            - --listen=:8080
            - --cluster=${{cluster_name}}
          env:
            - name: CLUSTER
              value: "${{cluster_name}}"
            - name: PUBLIC_URL
              value: "https://{name}.${{domain}}"
            - name: REGION
              value: "${{region:=eu-west-1}}"
          ports:
            - name: http
              containerPort: 8080
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
          resources:
            requests:
              cpu: 10m
              memory: 32Mi
            limits:
              memory: 64Mi
"""


def _service(name: str, target: str) -> str:
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector:
    app.kubernetes.io/name: {target}
  ports:
    - name: http
      port: 80
      targetPort: http
"""


def _configmap(name: str, comp: str) -> str:
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
data:
  cluster: "${{cluster_name}}"
  url: "https://{comp}.${{domain}}"
  environment: "${{environment}}"
  log-level: info
"""


def _custom(name: str, kind: str, comp: str, size: int) -> str:
    return f"""apiVersion: {GROUP}/v1alpha1
kind: {kind}
metadata:
  name: {name}
spec:
  owner: {comp}
  cluster: "${{cluster_name}}"
  endpoint: "{name}.${{domain}}"
  size: {size}
  tags: [bench, {comp}]
  settings:
    tier: standard
"""


def _flux_ks(
    name: str,
    path: str,
    *,
    depends: list[str],
    prune: bool,
    wait: bool,
    health: list[tuple[str, str, str, str]],
    extra: str = "",
) -> str:
    out = [
        "apiVersion: kustomize.toolkit.fluxcd.io/v1",
        "kind: Kustomization",
        "metadata:",
        f"  name: {name}",
        "  namespace: flux-system",
        "spec:",
    ]
    if depends:
        out.append("  dependsOn:")
        out.extend(f"    - name: {d}" for d in depends)
    out += [
        "  interval: 10m",
        "  retryInterval: 1m",
        "  timeout: 5m",
        f"  path: {path}",
        f"  prune: {'true' if prune else 'false'}",
    ]
    if wait:
        out.append("  wait: true")
    out += ["  sourceRef:", "    kind: GitRepository", "    name: flux-system"]
    if health:
        out.append("  healthChecks:")
        for api, kind, hname, ns in health:
            out += [f"    - apiVersion: {api}", f"      kind: {kind}", f"      name: {hname}"]
            out.append(f"      namespace: {ns}")
    return "\n".join(out) + "\n" + extra + _substitute_from()


_OVERLAY_PATCH = """- op: add
  path: /metadata/annotations/bench.example.com~1cluster
  value: ${cluster_name}"""


class _Component:
    def __init__(self, layer: str, index: int, rng: random.Random, objects: int):
        self.layer = layer
        self.name = f"{rng.choice(WORDS)}-{index:04d}"
        self.namespace = f"{layer}-{self.name}"
        self.objects = objects
        self.generator = rng.random() < 0.35  # first ConfigMap slot as a configMapGenerator
        self.patch = rng.random() < 0.5  # a strategic-merge patch on the first Deployment
        self.common_labels = rng.random() < 0.3  # commonLabels (else labels)
        self.replicas = rng.randint(1, 3)
        self.kinds = [CRD_KINDS[rng.randrange(len(CRD_KINDS))] for _ in range(objects)]

    def slots(self) -> list[tuple[str, str]]:
        return [(SLOTS[k % len(SLOTS)], f"{self.name}-{k:03d}") for k in range(self.objects)]

    def first_deployment(self) -> str | None:
        return next((n for kind, n in self.slots() if kind == "Deployment"), None)

    def image(self, name: str) -> str:
        return f"registry.example.com/{self.layer}/{name}"


def _write_base(w: _Writer, comp: _Component) -> None:
    base = f"{comp.layer}/base/{comp.name}"
    files: dict[str, list[str]] = {}
    generated = None
    last_deployment = None
    for k, (kind, name) in enumerate(comp.slots()):
        if kind == "Deployment":
            last_deployment = name
            files.setdefault("deployments.yaml", []).append(
                _deployment(name, comp.name, comp.image(name), comp.replicas)
            )
        elif kind == "Service":
            files.setdefault("services.yaml", []).append(_service(name, last_deployment or name))
        elif kind == "ConfigMap":
            if comp.generator and generated is None:
                generated = name
            else:
                files.setdefault("configmaps.yaml", []).append(_configmap(name, comp.name))
        else:
            files.setdefault("custom-resources.yaml", []).append(
                _custom(name, comp.kinds[k], comp.name, 1 + k % 5)
            )
    for fname, docs in files.items():
        w.write(f"{base}/{fname}", "---\n".join(docs))
    lines = [
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        f"namespace: {comp.namespace}",
        "resources:",
        *(f"  - {f}" for f in files),
    ]
    if comp.common_labels:
        lines += ["commonLabels:", f"  app.kubernetes.io/part-of: {comp.name}"]
    else:
        lines += [
            "labels:",
            "  - pairs:",
            f"      app.kubernetes.io/part-of: {comp.name}",
            f"      bench.example.com/layer: {comp.layer}",
        ]
    if generated:
        lines += [
            "configMapGenerator:",
            f"  - name: {generated}",
            "    literals:",
            "      - CLUSTER=${cluster_name}",
            "      - DOMAIN=${domain}",
            f"      - COMPONENT={comp.name}",
        ]
    first = comp.first_deployment()
    if comp.patch and first:
        lines += [
            "patches:",
            "  - patch: |-",
            "      apiVersion: apps/v1",
            "      kind: Deployment",
            "      metadata:",
            f"        name: {first}",
            "      spec:",
            f"        replicas: {comp.replicas + 1}",
        ]
    w.write(f"{base}/kustomization.yaml", "\n".join(lines) + "\n")


def generate(
    root: str,
    clusters: int,
    layers: int,
    components: int,
    objects_per_component: int,
    seed: int = 0,
) -> dict:
    """Write the repository under ``root``; returns its counts (objects, files, ...)."""
    if clusters < 1 or components < 1 or objects_per_component < 1:
        raise ValueError("clusters, components and objects_per_component must be >= 1")
    rng = random.Random(seed)
    names = layer_names(layers)
    workload = names[2:]
    children = apps_children(layers)
    w = _Writer(root)
    cluster_names = [f"cluster-{i:02d}" for i in range(clusters)]

    comps = {layer: [_Component(layer, j, rng, objects_per_component) for j in range(components)]
             for layer in workload}  # fmt: skip

    # -- bases, shared by every cluster ----------------------------------------------------
    for layer in workload:
        ns_docs = [
            f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {c.namespace}\n" for c in comps[layer]
        ]
        w.write(f"namespaces/base/{layer}/namespaces.yaml", "---\n".join(ns_docs))
        w.write(
            f"namespaces/base/{layer}/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "resources:\n  - namespaces.yaml\n"
            f"labels:\n  - pairs:\n      bench.example.com/tenant: {layer}\n",
        )
        for comp in comps[layer]:
            _write_base(w, comp)
    for kind in CRD_KINDS:
        w.write(f"crds/base/bench/{kind.lower()}s.yaml", _crd(kind))
    w.write(
        "crds/base/bench/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
        + "".join(f"  - {k.lower()}s.yaml\n" for k in CRD_KINDS)
        + "labels:\n  - pairs:\n      app.kubernetes.io/name: bench-crds\n",
    )

    # -- per cluster -----------------------------------------------------------------------
    for ci, cname in enumerate(cluster_names):
        cdir = f"clusters/{cname}"
        w.write(
            f"{cdir}/flux-system/gotk-components.yaml",
            f"# Flux Version: {FLUX_VERSION}\n# Stand-in for the manifests `flux bootstrap` generates.\n"
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n  labels:\n"
            "    app.kubernetes.io/instance: flux-system\n    app.kubernetes.io/part-of: flux\n"
            f"    app.kubernetes.io/version: {FLUX_VERSION}\n",
        )
        w.write(
            f"{cdir}/flux-system/gotk-sync.yaml",
            "# This manifest was generated by flux. DO NOT EDIT.\n---\n"
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n"
            "  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m0s\n"
            "  ref:\n    branch: main\n  url: https://github.com/example/bench-monorepo\n---\n"
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
            "  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m0s\n"
            f"  path: ./{cdir}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n"
            "    name: flux-system\n",
        )
        w.write(
            f"{cdir}/flux-system/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "resources:\n  - gotk-components.yaml\n  - gotk-sync.yaml\n",
        )
        w.write(
            f"{cdir}/cluster-vars.yaml",
            "# Variables of this cluster, read by every layer's postBuild.substituteFrom.\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-vars\n"
            f"  namespace: flux-system\ndata:\n  cluster_name: {cname}\n"
            f"  domain: {cname}.bench.example.com\n  environment: {('staging', 'production')[ci % 2]}\n"
            f"  region: {('eu-west-1', 'us-east-1', 'ap-south-1')[ci % 3]}\n",
        )
        w.write(
            f"{cdir}/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
            "  - flux-system\n  - cluster-vars.yaml\n" + "".join(f"  - {n}.yaml\n" for n in names),
        )
        for i, layer in enumerate(names):
            depends = [names[i - 1]] if i else []
            health: list[tuple[str, str, str, str]] = []
            wait = True
            if layer in workload and layer != "apps" and i % 2:
                first = comps[layer][0]
                dep = first.first_deployment()
                if dep:
                    health = [("apps/v1", "Deployment", dep, first.namespace)]
                    wait = False
            w.write(
                f"{cdir}/{layer}.yaml",
                _flux_ks(layer, f"./{layer}/{cname}", depends=depends, prune=layer != "crds",
                         wait=wait, health=health),
            )  # fmt: skip

        # overlays
        label = "labels:\n  - pairs:\n      bench.example.com/cluster: ${cluster_name}\n"
        w.write(
            f"namespaces/{cname}/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
            + "".join(f"  - ../base/{layer}\n" for layer in workload)
            + label,
        )
        w.write(
            f"crds/{cname}/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "resources:\n  - ../base/bench\n",
        )
        for layer in workload:
            if layer == "apps" and children:
                _write_apps(w, cname, comps[layer])
                continue
            lines = [
                "apiVersion: kustomize.config.k8s.io/v1beta1",
                "kind: Kustomization",
                "resources:",
                *(f"  - ../base/{c.name}" for c in comps[layer]),
                label.rstrip("\n"),
                "images:",
            ]
            for c in comps[layer]:
                dep = c.first_deployment()
                if dep:
                    lines += [f"  - name: {c.image(dep)}", f"    newTag: 1.{ci}.0"]
            if lines[-1] == "images:":
                lines.pop()
            if any(c.first_deployment() for c in comps[layer]):
                lines += ["patches:", "  - target:", "      kind: Deployment", "    patch: |-"]
                lines.append(_block(_OVERLAY_PATCH, 6))
            w.write(f"{layer}/{cname}/kustomization.yaml", "\n".join(lines) + "\n")

    objects = count_objects(clusters, layers, components, objects_per_component)
    return {
        "objects": objects,
        "files": w.files,
        "clusters": clusters,
        "layers": layers,
        "components": components,
        "objects_per_component": objects_per_component,
        "seed": seed,
    }


def _write_apps(w: _Writer, cname: str, comps: list[_Component]) -> None:
    """apps/<cluster>/: one Flux Kustomization per component, as real repositories do."""
    for j, c in enumerate(comps):
        dep = c.first_deployment()
        extra = ""
        if dep:
            extra += f"  images:\n    - name: {c.image(dep)}\n      newTag: 1.1.0\n"
            extra += "  patches:\n    - target:\n        kind: Deployment\n      patch: |-\n"
            extra += _block(_OVERLAY_PATCH, 8) + "\n"
        w.write(
            f"apps/{cname}/{c.name}.yaml",
            _flux_ks(
                c.name,
                f"./apps/base/{c.name}",
                depends=[comps[(j - 1) // 2].name] if j else [],
                prune=True,
                wait=j % 3 == 0,
                health=[] if j % 3 == 0 or not dep else [("apps/v1", "Deployment", dep, c.namespace)],
                extra=extra,
            ),
        )
    w.write(
        f"apps/{cname}/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
        + "".join(f"  - {c.name}.yaml\n" for c in comps),
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="directory to write (must not exist or be empty)")
    ap.add_argument("--clusters", type=int, default=2)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--components", type=int, default=8, help="components per workload layer")
    ap.add_argument("--objects-per-component", type=int, default=10)
    ap.add_argument("--objects", type=int, help="target object count: sets --components")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if os.path.exists(args.out) and os.listdir(args.out):
        print(f"{args.out}: exists and is not empty", file=sys.stderr)
        return 2
    components = args.components
    if args.objects:
        components = components_for(args.objects, args.clusters, args.layers, args.objects_per_component)
    counts = generate(args.out, args.clusters, args.layers, components, args.objects_per_component, args.seed)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
