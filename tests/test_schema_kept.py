"""The schema rule's verdicts kept between runs (``celcache``, the ``schema`` side entry).

A run after a change takes "valid" for every object of a kept build whose verdict the run
before kept, under the same schema, and prints what a run without the cache prints; a
change of the substitution's variables, or of the CRD, is another key; a verdict made
through variables that hold a Secret's value is not kept; a damaged record is a miss.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_lint import cache as cache_module
from gitops_lint.celcache import SCHEMA_SIDE, KeptVerdicts, record_key
from gitops_lint.core.records import SideRecords
from gitops_lint.render import memo
from tests.helpers import (
    GOTK,
    KUSTOMIZATION,
    RecordingWarm,
    gotk,
    kept_records,
    ks,
    lint_watching,
    side_shards,
    widget_crd,
    write_tree,
)

KUST = KUSTOMIZATION
CRD = widget_crd(
    """              type: object
              properties:
                size: {type: integer, maximum: MAX}
                label: {type: string}
"""
)


def widget(name: str, size: str, label: str = "x") -> str:
    return (
        f"---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: {name}, namespace: default}}\n"
        f"spec:\n  size: {size}\n  label: {label}\n"
    )


LABEL = "label-of-widget-b"
CONFIGMAP = (
    "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain, namespace: default}\ndata: {a: b}\n"
)


def _cluster(name: str, size: str, source: str) -> dict[str, str]:
    """A cluster whose apps substitute SIZE from ``source`` (``inline``: the Flux
    Kustomization's own ``substitute``; ``secret``: a plaintext Secret's stringData;
    ``unset``: nothing, so b's ``${SIZE}`` stays unresolved)."""
    if source in ("inline", "unset"):
        sizes = f"SIZE: '{size}', " if source == "inline" else ""
        post = f"  postBuild:\n    substitute: {{{sizes}LABEL: {LABEL}}}\n"
        extra = {}
    else:
        post = "  postBuild:\n    substituteFrom:\n      - {kind: Secret, name: sizes}\n"
        extra = {
            f"clusters/{name}/sizes.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: sizes, namespace: flux-system}\n"
            f"stringData: {{SIZE: '{size}', LABEL: {LABEL}}}\n"
        }
    entry = gotk(name) if name != "dev" else GOTK
    return {
        **entry,
        **extra,
        f"clusters/{name}/crds.yaml": ks("crds", "./crds"),
        f"clusters/{name}/apps.yaml": ks("apps", "./apps", depends=["crds"], extra=post),
        f"clusters/{name}/other.yaml": ks("other", "./other"),
    }


def tree(size: str = "3", maximum: int = 10, source: str = "inline", clusters=("dev",)) -> dict[str, str]:
    files = {k: v for c in clusters for k, v in _cluster(c, size, source).items()}
    files["crds/kustomization.yaml"] = KUST + "resources: [widget.yaml]\n"
    files["crds/widget.yaml"] = CRD.replace("MAX", str(maximum))
    files["apps/kustomization.yaml"] = KUST + "resources: [widgets.yaml, plain.yaml]\n"
    # a: no ``$`` (its kept text is the object); b: substituted
    files["apps/widgets.yaml"] = widget("a", "1") + widget("b", "${SIZE}", "${LABEL}")
    files["apps/plain.yaml"] = CONFIGMAP
    files["other/kustomization.yaml"] = KUST + "resources: [other.yaml]\n"
    files["other/other.yaml"] = CONFIGMAP.replace("plain", "other")
    return files


def lint(root: Path, *args: str, seed: str = "0", jobs: str = "1") -> dict:
    return lint_watching(root, *args, seed=seed, jobs=jobs, side=SCHEMA_SIDE)


def make(tmp_path: Path, **kwargs) -> Path:
    root = write_tree(tmp_path / "repo", tree(**kwargs))
    (root / ".git").mkdir()
    return root


def touch(root: Path, n: int) -> None:
    """A change of a file only the ``other`` build reads: the run misses its whole-run entry,
    the apps' and the CRD's kept builds are served, their objects keyed."""
    with open(root / "other/other.yaml", "a", encoding="utf-8") as fh:
        fh.write(f"# change {n}\n")


def schema_findings(out: str) -> list[str]:
    return sorted(f["message"] for f in json.loads(out)["findings"] if f["rule"] == "schema")


def kept(root: Path) -> dict[str, str]:
    return kept_records(root, SCHEMA_SIDE)


def settle(root: Path) -> dict:
    """Two runs with the cache, a file changed between them: the second keeps the verdicts
    of the objects its kept builds serve (the first one's builds were all new)."""
    first = lint(root)
    assert first["new"] == 0 and not kept(root)  # every build new: nothing keyed, nothing kept
    touch(root, 1)
    second = lint(root)
    assert second["used"] == 0 and second["new"] > 0
    return second


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_run_after_a_change_takes_the_kept_verdicts_and_prints_what_a_cold_run_prints(tmp_path, jobs):
    # with workers, the first cluster's rules run here and the others' in a worker, whose
    # verdicts come back to be kept (lint.Linter._cluster_findings)
    root = make(tmp_path, clusters=("dev", "prod", "test"))
    cold = lint(root, "--no-cache", jobs=jobs)
    first = lint(root, seed="1", jobs=jobs)
    touch(root, 1)
    second = lint(root, seed="2", jobs=jobs)
    assert (first["new"], second["used"]) == (0, 0) and second["new"] > 0
    assert len(kept(root)) == second["new"]
    touch(root, 2)
    third = lint(root, seed="3", jobs=jobs)  # another hash seed: the same keys
    assert (third["new"], third["used"]) == (0, second["new"])
    assert third["out"] == second["out"] == first["out"] == cold["out"]
    assert schema_findings(cold["out"]) == []


@pytest.mark.slow
def test_other_variables_are_another_key(tmp_path):
    root = make(tmp_path)
    settled = settle(root)
    apps = root / "clusters/dev/apps.yaml"
    apps.write_text(apps.read_text().replace("SIZE: '3'", "SIZE: '30'"))  # the apps' build is kept
    warm = lint(root)
    assert 0 < warm["used"] < settled["new"]  # a's verdict and others taken, not b's
    assert warm["out"] == lint(root, "--no-cache")["out"]
    found = schema_findings(warm["out"])
    assert len(found) == 1 and found[0].startswith("spec.size: must be <= 10, got integer 30")


@pytest.mark.slow
def test_another_schema_is_another_identity(tmp_path):
    root = make(tmp_path)
    settled = settle(root)
    crd = root / "crds/widget.yaml"
    crd.write_text(crd.read_text().replace("maximum: 10", "maximum: 0"))
    built = lint(root)  # the CRD built anew: named by its new text, no verdict under it
    touch(root, 2)
    warm = lint(root)  # the CRD's build kept: the same name, the CRD's own verdict kept too
    assert 0 < built["used"] <= warm["used"] < settled["new"]
    cold = lint(root, "--no-cache")["out"]
    assert warm["out"] == built["out"] == cold
    assert len(schema_findings(cold)) == 2  # a (1) and b (3) over the maximum of 0


@pytest.mark.slow
def test_a_schemas_directory_that_appears_names_another_schema(tmp_path):
    # the kept records are not keyed by the config: a schema's name says which source won
    root = make(tmp_path)
    settled = settle(root)
    strict = {"type": "object", "properties": {"data": {"type": "object", "maxProperties": 0}}}
    (root / "schemas").mkdir()
    (root / "schemas" / "configmap-v1.json").write_text(json.dumps(strict))
    (root / ".gitops-lint.yaml").write_text("schemas: [schemas]\n")
    warm = lint(root)
    assert 0 < warm["used"] < settled["new"]  # the widgets' verdicts, not the ConfigMaps'
    cold = lint(root, "--no-cache")
    assert warm["out"] == cold["out"]
    found = schema_findings(cold["out"])
    assert found and all("(v1 ConfigMap)" in m for m in found)


DEPLOYMENT = """---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      resources: {limits: {cpu: "1"}}
      containers: [{name: web, image: "nginx:1"}]
"""


@pytest.mark.slow
def test_another_kubernetes_version_names_another_schema(tmp_path):
    # pod-level resources: in the schemas of Kubernetes 1.32 on, an unknown field in 1.25's
    root = make(tmp_path)
    with open(root / "apps/plain.yaml", "a", encoding="utf-8") as fh:
        fh.write(DEPLOYMENT)
    settle(root)
    assert schema_findings(lint(root)["out"]) == []  # the newest version: valid, and kept so
    touch(root, 2)
    warm = lint(root, "--kube-version", "1.25")
    assert warm["out"] == lint(root, "--kube-version", "1.25", "--no-cache")["out"]
    found = schema_findings(warm["out"])
    assert len(found) == 1 and "resources" in found[0] and "(apps/v1 Deployment)" in found[0]


@pytest.mark.slow
def test_a_verdict_made_through_a_secrets_value_is_not_kept(tmp_path):
    root = make(tmp_path, source="secret")
    settled = settle(root)
    assert len(kept(root)) == settled["new"] - 1  # not b's: its key holds the Secret's value
    touch(root, 2)
    third = lint(root)
    assert (third["used"], third["new"]) == (settled["new"] - 1, 1)
    assert third["out"] == lint(root, "--no-cache")["out"]
    cache_text = "".join(p.read_text() for p in (root / cache_module.DIR_NAME).rglob("side-schema-*"))
    assert LABEL not in cache_text


@pytest.mark.slow
def test_an_object_whose_only_errors_the_rule_leaves_out_is_kept_as_valid(tmp_path):
    # b's size is a ${SIZE} nothing fills: not an integer, an error at a value Flux fills
    # in later, which the rule does not report; its verdict is kept as a valid one's
    inline = settle(make(tmp_path / "inline"))
    root = make(tmp_path / "unset", source="unset")
    settled = settle(root)
    assert settled["new"] == inline["new"] == len(kept(root))  # b's too
    touch(root, 2)
    warm = lint(root)
    assert (warm["used"], warm["new"]) == (settled["new"], 0)
    cold = lint(root, "--no-cache")["out"]
    assert warm["out"] == cold and schema_findings(cold) == []
    assert any(f["rule"] == "unresolved-variable" for f in json.loads(cold)["findings"])


SOPS_SECRET = """---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: default}
type: Opaque
stringData:
  token: ENC[AES256_GCM,data:pX2Fh0g=,iv:zuVhtvS8wjC6Gbmd1Z2gKaSWyp3kPqV2YmFfZ9J5cNo=,tag:Ct5xL+Yg0v3tKR0bnpr1iA==,type:str]
sops:
  lastmodified: "2024-01-01T00:00:00Z"
  mac: ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi=,type:str]
  encrypted_regex: ^(data|stringData)$
  version: 3.8.1
"""


@pytest.mark.slow
@pytest.mark.parametrize("written", ["Opaque", "${LABEL}"])
def test_an_object_kept_by_reference_that_changed_is_checked_again(tmp_path, written):
    # a SOPS Secret is kept by reference (buildcache): its record's text is the same whatever
    # its ``type``; a verdict kept for the valid one must not stand for the invalid one, nor
    # a substitution kept for ``${LABEL}`` (keyed alike) stand for ``5``
    files = tree()
    files["apps/kustomization.yaml"] = KUST + "resources: [widgets.yaml, plain.yaml, creds.yaml]\n"
    files["apps/creds.yaml"] = SOPS_SECRET.replace("type: Opaque", f"type: {written}")
    root = write_tree(tmp_path / "repo", files)
    (root / ".git").mkdir()
    settle(root)
    creds = root / "apps/creds.yaml"
    creds.write_text(creds.read_text().replace(f"type: {written}", "type: 5"))
    built = lint(root)  # the apps' build made again: its objects checked afresh
    touch(root, 2)
    warm = lint(root)  # the apps' new record served: the Secret's key is not the valid one's
    cold = lint(root, "--no-cache")["out"]
    assert warm["out"] == built["out"] == cold
    assert schema_findings(cold) == ["type: expected string or null, got an integer (v1 Secret)"]


@pytest.mark.slow
def test_a_damaged_record_is_a_miss(tmp_path):
    root = make(tmp_path)
    settled = settle(root)
    shards = side_shards(root, SCHEMA_SIDE)
    damaged = 0
    for shard in shards:
        lines = shard.read_text().split("\n")
        for i, line in enumerate(lines[1:], 1):
            if line and damaged < 2:
                key, checksum, _ = line.split("\t")
                lines[i] = f"{key}\t{checksum}\t[true, 1]"  # the checksum no longer holds
                damaged += 1
        shard.write_text("\n".join(lines))
    touch(root, 2)
    warm = lint(root)
    assert (warm["used"], warm["new"]) == (settled["new"] - 2, 2)
    assert warm["out"] == lint(root, "--no-cache")["out"]


def _facts(rec: memo.KeptRecord) -> tuple[list[int | None], list[str | None]]:
    objects, spans, refs = memo._decode_served(rec.objects)
    texts = [rec.objects[a:b] for a, b in spans]
    return memo.item_facts(texts, [o for _, o in objects], refs, rec.files)


def _keys(rec: memo.KeptRecord) -> list[str | None]:
    return _facts(rec)[1]


def _payload(rec: memo.KeptRecord, **changed) -> str:
    """``rec`` as a side entry holds it, with what the record's head holds of each item
    (``buildcache.prepare``), or with ``changed`` instead."""
    objects, spans, _ = memo._decode_served(rec.objects)
    sizes, keys = _facts(rec)
    head = {
        "keys": keys,
        "sizes": sizes,
        "lengths": [b - a for a, b in spans],
        "kinds": [obj.get("kind") for obj, _ in objects],
        **changed,
    }
    return rec.payload(rec.objects, **head)


def test_a_kept_builds_keys_name_each_objects_text_and_place():
    text = '[[{"kind":"A"},["a.yaml",1,0]],[{"kind":"B"},["a.yaml",3,1]]]'

    def record(objects: str) -> memo.KeptRecord:
        rec = memo.KeptRecord(("app", "", 1), {"a.yaml": "0" * 40}, {}, {}, [], None, objects)
        back = memo.KeptRecord.from_payload(_payload(rec), rec.key)  # as written, read
        assert back is not None and back.keys == _keys(rec) == _keys(back) and back.sizes == _facts(rec)[0]
        return back

    keys = _keys(record(text))
    assert keys == _keys(record(text)) and len(set(keys)) == 2 and None not in keys
    other = _keys(record(text.replace('"B"', '"C"')))
    assert other[0] == keys[0] and other[1] != keys[1]  # a change of one object: its key only
    moved = _keys(record(text.replace("3,1]", "4,1]")))
    assert moved[0] == keys[0] and moved[1] != keys[1]  # its place is part of what it is
    # a build made anew in a run names its objects as the record its store writes will
    objects = [({"kind": "A"}, memo.Origin("a.yaml", 1, 0)), ({"kind": "B"}, memo.Origin("a.yaml", 3, 1))]
    assert memo.joined(memo.encode_items(objects)) == text
    assert memo.item_facts(memo.encode_items(objects), [o for _, o in objects], None, {})[1] == keys


def test_a_kept_builds_lengths_are_written_with_it_and_served_unscanned(monkeypatch):
    text = '[[{"p":"^[a-z]+$"},["a.yaml",1,0]],[{"v":"${X}"},["a.yaml",3,1]],[{"k":"A"},["a.yaml",5,2]]]'
    rec = memo.KeptRecord(("app", "", 1), {"a.yaml": "0" * 40}, {}, {}, [], None, text)
    sizes, keys = _facts(rec)
    assert (
        sizes[0] is not None and sizes[1] is None and sizes[2] is not None
    )  # a bare "$" substitutes to itself
    back = memo.KeptRecord.from_payload(_payload(rec), rec.key)
    renderer = memo.KeepingRenderer.__new__(memo.KeepingRenderer)
    monkeypatch.setattr(memo, "_size", None)  # serving the record scans no object's text
    served = memo.KeepingRenderer._result(renderer, back, memo._decode_served(text), "app", None)
    assert served[1:] == (sizes, keys)
    monkeypatch.undo()
    # a record whose head is not what this code writes is not taken
    for bad in ({"sizes": [1, 2]}, {"sizes": [1, None, -1]}, {"sizes": [1, None, True]}, {"sizes": "x"}):
        assert memo.KeptRecord.from_payload(_payload(rec, **bad), rec.key) is None, bad
    # nor are its items' lengths and kinds, where they are read
    assert memo._lengths_and_kinds(back) == ([b - a for a, b in memo._decode_served(text)[1]], [None] * 3)
    lengths = memo._lengths_and_kinds(back)[0]
    for bad in (
        {"lengths": [lengths[0] - 1, *lengths[1:]]},  # one short of the text
        {"lengths": [*lengths, 1]},
        {"lengths": [0, lengths[0] + lengths[1] + 1, lengths[2]]},
        {"lengths": None},
        {"kinds": [None, None]},
        {"kinds": [1, None, None]},
    ):
        read = memo.KeptRecord.from_payload(_payload(rec, **bad), rec.key)
        assert read is not None and memo._lengths_and_kinds(read) is None, bad
        assert memo._decode_kinds(read, frozenset({"A"})) is None


_KINDS = ["A", "B", "Secret", None]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_KINDS), st.text(alphabet='ab$"é', max_size=6)),
        max_size=8,
    ),
    st.frozensets(st.sampled_from(["A", "B", "Secret", "C"])),
)
def test_a_kept_build_decodes_the_items_of_some_kinds_alone(items, wanted):
    """``KeepingRenderer.build_kinds`` decodes only the items of the kinds asked for, by the
    lengths and kinds the record's head holds: the same objects, in the same order, as the
    whole build decoded and filtered."""
    objects = [
        ({**({"kind": kind} if kind is not None else {}), "v": value}, memo.Origin(f"f{i}.yaml", i + 1, 0))
        for i, (kind, value) in enumerate(items)
    ]
    text = memo.joined(memo.encode_items(objects))
    rec = memo.KeptRecord(("app", "", 1), {}, {}, {}, [], None, text)
    back = memo.KeptRecord.from_payload(_payload(rec), rec.key)
    assert back is not None
    some = memo._decode_kinds(back, wanted)
    whole, _, _ = memo._decode_served(text)
    assert [(o, w) for o, w, _ in some] == [(o, w) for o, w in whole if o.get("kind") in wanted]
    assert all(ref is None for _, _, ref in some)
    again = memo._decode_kinds(back, wanted)
    assert all(a[0] is not b[0] for a, b in zip(some, again))  # new objects each time
    # a head that does not say what the text holds never gives other objects: None, or the same
    lengths, kinds = memo._lengths_and_kinds(back)
    relabelled = ["Z" if k in wanted else k for k in kinds]
    mislabelled = memo.KeptRecord.from_payload(_payload(rec, kinds=relabelled), rec.key)
    assert memo._decode_kinds(mislabelled, frozenset({"Z"})) in (None, [])
    if len(items) >= 2:
        moved = [lengths[0] - 1, lengths[1] + 1, *lengths[2:]]
        shifted = memo.KeptRecord.from_payload(_payload(rec, lengths=moved), rec.key)
        assert memo._decode_kinds(shifted, wanted) in (None, some)


def test_the_key_of_an_object_kept_by_reference_names_its_files_content():
    # a Secret kept by reference: the text holds its own keys and its keys' names, the rest
    # is its document's; the same text with another document is another object
    text = (
        '[[{"kind":"A"},["a.yaml",1,0]],'
        '[{"apiVersion":"v1","kind":"Secret"},["s.yaml",1,0],["apiVersion","kind","type","sops"]]]'
    )

    def record(secret_hash: str | None) -> memo.KeptRecord:
        files = {"a.yaml": "a" * 40, **({"s.yaml": secret_hash} if secret_hash else {})}
        return memo.KeptRecord(("app", "", 1), files, {}, {}, [], None, text)

    first, second, unknown = _keys(record("1" * 40)), _keys(record("2" * 40)), _keys(record(None))
    assert first[0] == second[0] == unknown[0]  # kept whole: its text says it all
    assert None not in (first[1], second[1]) and first[1] != second[1]
    assert unknown[1] is None  # a file the record does not name: no key, checked afresh


def test_valid_is_kept_and_found_only_as_written():
    verdicts = KeptVerdicts(SideRecords(), SCHEMA_SIDE)
    verdicts.add_valid("schema-1", "object-1", "")
    verdicts.add_valid("schema-1", "object-2", '[[["SIZE","hunter2-xyz"]],false]')
    warm = RecordingWarm(SCHEMA_SIDE)
    verdicts.store(warm, lambda text: "hunter2-xyz" in text)
    rows = dict(row for shard in warm.written.values() for row in shard)
    assert set(rows) == {record_key("schema-1", "object-1")}
    again = KeptVerdicts(
        SideRecords.from_rows({**rows, record_key("schema-2", "object-1"): "[false, 0]"}), SCHEMA_SIDE
    )
    assert again.valid("schema-1", "object-1")
    assert not again.valid("schema-2", "object-1")  # not a "valid" record
    assert not again.valid("schema-1", "object-2") and not again.valid("schema-3", "object-1")
    assert again.used == {record_key("schema-1", "object-1")}
