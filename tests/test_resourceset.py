"""flux-operator ResourceSets: the Go template subset, the expansion, and a lint run over both."""

from __future__ import annotations

import shutil

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from gitops_lint.core.data import Severity
from gitops_lint.graph.dependson import build_graph, find_cycles
from gitops_lint.lint import Linter
from gitops_lint.load.config import load_config
from gitops_lint.render.gotemplate import TemplateError, Unsupported, render
from gitops_lint.render.resourceset import combined_inputs, expand
from gitops_lint.vocabulary import vocabulary
from tests.conftest import FIXTURES
from tests.helpers import lint_repo

REPO = FIXTURES / "rs-resourceset"

# -- the template subset, against what Go's text/template + slim-sprig print ---------

INPUTS = {
    "name": "team1",
    "port": 8080,
    "apps": [{"app": "a"}, {"app": "b", "namespace": "media", "size": "2Gi"}],
    "defaults": {"size": "1Gi"},
    "labels": {"b": "2", "a": "1"},
    "enabled": True,
    "empty": "",
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("name: << inputs.name >>", "name: team1"),
        ("port: << inputs.port >>", "port: 8080"),
        ("<< inputs.name | quote >>", '"team1"'),
        ("<< inputs.port | quote >>", '"8080"'),
        ("<< inputs.name | upper >>-<< inputs.name | title >>", "TEAM1-Team1"),
        ('<< inputs.empty | default "x" >>', "x"),
        ('<< get (index inputs.apps 1) "size" | default inputs.defaults.size >>', "2Gi"),
        ('<< get (index inputs.apps 0) "size" | default inputs.defaults.size >>', "1Gi"),
        ('<< printf "%s-%d" inputs.name 3 >>', "team1-3"),
        ('<< if eq inputs.name "team1" >>yes<< else >>no<< end >>', "yes"),
        ("<< if not inputs.enabled >>off<< else if inputs.empty >>e<< else >>on<< end >>", "on"),
        ("<<- range $a := inputs.apps >>\n- << $a.app >><<- end >>", "\n- a\n- b"),
        ("<< range $i, $a := inputs.apps >><< $i >>=<< .app >>,<< end >>", "0=a,1=b,"),
        ("<< range $k, $v := inputs.labels >><< $k >><< $v >><< end >>", "a1b2"),
        ("a: << inputs.labels | toYaml | nindent 2 >>", 'a: \n  a: "1"\n  b: "2"\n  '),
        ('<< dig "missing" "deep" "fallback" inputs >>', "fallback"),
        ('<< "Hello World & Co" | slugify >>', "hello-world-and-co"),
        ('<< "08" | int >> << 3.0 >> << 1000000 >>', "0 3 1000000"),
        ("<< $x := inputs.name >><< $x >>", "team1"),
        ("<</* a comment */>>a  <<- /* trimmed */ ->>  b", "ab"),
        ('<< list 1 "a" | toJson >>', '[1,"a"]'),
        ("<< len inputs.apps >>", "2"),
        ('<< hasKey inputs "port" >> << has "a" (list "a" "b") >>', "true true"),
    ],
)
def test_template_renders_as_go_does(template, expected):
    assert render(template, INPUTS) == expected


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("<< inputs.missing >>", TemplateError),  # missingkey=error
        ("<< inputs.name.deeper >>", TemplateError),
        ("<< $undefined >>", TemplateError),
        ("<< if true >>unclosed", TemplateError),
        ('<< "a" "b" >>', TemplateError),
        ("<< eq inputs.name 1 >>", TemplateError),
        ('<< template "x" >>', Unsupported),
        ('<< define "x" >><< end >>', Unsupported),
        ("<< exec >>", Unsupported),  # not a slim-sprig function here
        ("<< until 100000 >>", Unsupported),
    ],
)
def test_template_failures_are_typed(template, error):
    with pytest.raises(error):
        render(template, INPUTS)


def test_template_output_and_work_are_bounded():
    deep = "<< range $a := until 1000 >><< range $b := until 1000 >>x<< end >><< end >>"
    with pytest.raises(Unsupported):
        render(deep, {})
    with pytest.raises(Unsupported):
        render("<< " + "(" * 200 + "1" + ")" * 200 + " >>", {})


@given(st.text(alphabet=st.characters(blacklist_characters="<>"), max_size=200))
def test_text_without_actions_is_unchanged(text):
    assert render(text, {}) == text


@given(st.text(max_size=60))
def test_quote_reads_back_as_the_same_string_in_yaml(value):
    out = render("v: << inputs.s | quote >>", {"s": value})
    assert yaml.safe_load(out) == {"v": value}


@pytest.mark.slow
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(min_size=1, max_size=5), c, max_size=3),
        max_leaves=10,
    )
)
def test_to_yaml_round_trips(value):
    out = render("<< inputs.v | toYaml >>", {"v": value})
    assert yaml.safe_load(out) == value


@pytest.mark.parametrize(
    ("value", "go"),
    [
        # go-yaml v2 (sigs.k8s.io/yaml) escapes what its is_printable rejects, in double quotes
        ("a\n\x85", 'v: "a\\n\\N"\n'),  # NEL: in a literal block it would read back as a line break
        ("x\ty", 'v: "x\\ty"\n'),
        ("\U0001f600", 'v: "\\U0001F600"\n'),  # beyond the BMP
        ("\ufeffx", 'v: "\\uFEFFx"\n'),
        ("caf\u00e9\nline", "v: |-\n  caf\u00e9\n  line\n"),  # printable: a literal block, unescaped
    ],
)
def test_to_yaml_escapes_what_go_yaml_escapes(value, go):
    out = render('<< dict "v" inputs.v | toYaml >>', {"v": value})
    assert out == go
    assert yaml.safe_load(out) == {"v": value}


# -- expansion -------------------------------------------------------------------


def _rs(spec: dict, name: str = "rs", namespace: str = "apps") -> dict:
    return {
        "apiVersion": "fluxcd.controlplane.io/v1",
        "kind": "ResourceSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def _cm(name: str, **data) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "apps"},
        "data": data,
    }


def test_values_are_retyped_by_the_yaml_read_back():
    rs = _rs(
        {
            "inputs": [{"port": 8080, "tag": "1.0"}],
            "resources": [_cm("x", port="<< inputs.port >>", q="<< inputs.port | quote >>")],
        }
    )
    (obj,) = [g.obj for g in expand(rs, lambda ns, n: None).objects]
    assert obj["data"] == {"port": 8080, "q": "8080"}


def test_duplicates_are_kept_once_and_disabled_objects_dropped():
    rs = _rs(
        {
            "inputs": [{"t": "a"}, {"t": "b"}],
            "resources": [
                _cm("shared"),
                {
                    **_cm("per-<< inputs.t >>"),
                    "metadata": {
                        "name": "per-<< inputs.t >>",
                        "namespace": "apps",
                        "annotations": {
                            "fluxcd.controlplane.io/reconcile": '<< if eq inputs.t "a" >>enabled<< else >>disabled<< end >>'
                        },
                    },
                },
            ],
            "commonMetadata": {"labels": {"team": "x"}},
        }
    )
    objs = [g.obj for g in expand(rs, lambda ns, n: None).objects]
    assert [o["metadata"]["name"] for o in objs] == ["shared", "per-a"]
    assert all(o["metadata"]["labels"] == {"team": "x"} for o in objs)


def test_permute_scopes_inputs_by_provider_name():
    provider = {
        "apiVersion": "fluxcd.controlplane.io/v1",
        "kind": "ResourceSetInputProvider",
        "metadata": {"name": "my-envs", "namespace": "apps"},
        "spec": {"type": "Static", "defaultValues": {"env": "dev"}},
    }
    rs = _rs(
        {
            "inputStrategy": {"name": "Permute"},
            "inputs": [{"app": "a"}, {"app": "b"}],
            "inputsFrom": [{"kind": "ResourceSetInputProvider", "name": "my-envs"}],
            "resources": [_cm("<< inputs.rs.app >>-<< inputs.my_envs.env >>")],
        }
    )
    result = expand(rs, lambda ns, n: provider if (ns, n) == ("apps", "my-envs") else None)
    assert [g.obj["metadata"]["name"] for g in result.objects] == ["a-dev", "b-dev"]
    inputs, _, _ = combined_inputs(rs, lambda ns, n: provider)
    assert all("id" in i for i in inputs) and len({i["id"] for i in inputs}) == 2


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        (
            {"inputsFrom": [{"kind": "ResourceSetInputProvider", "name": "absent"}], "resources": [_cm("x")]},
            "not in this cluster",
        ),
        ({"inputs": [{"a": 1}], "resources": [_cm("<< inputs.b >>")]}, "could not be rendered"),
        ({"inputs": [{"a": 1}], "resources": [_cm('<< template "t" >>')]}, "not evaluated"),
        ({"inputs": [{"a": 1}], "resourcesTemplate": "a: [unclosed"}, "not valid YAML"),
    ],
)
def test_what_cannot_be_expanded_is_said_not_guessed(spec, why):
    result = expand(_rs(spec), lambda ns, n: None)
    assert result.objects == [] and why in (result.unverifiable or "")


# -- a lint run ------------------------------------------------------------------


def test_generated_kustomizations_are_rendered_and_depended_on():
    result = lint_repo(REPO, "clusters/dev")
    assert [(f.rule, f.severity, f.file) for f in result.findings] == [
        ("kustomize-build", Severity.INFO, "infra/previews.yaml")
    ]
    (cluster,) = result.clusters
    ks = {k[3]: v for k, v in cluster.kustomizations.items()}
    assert {"app-team1", "app-team2", "consumer"} <= set(ks)
    # the ResourceSet was substituted by its Kustomization before flux-operator templates it
    web = {ro.ref.name: ro.obj["data"] for ro in ks["app-team1"].objects}
    assert web["web-team1"] == {"host": "team1.example.com", "replicas": "replicas-2"}
    names = {ro.ref.name for ro in cluster.objects if ro.obj.get("kind") == "ConfigMap"}
    assert {"alpha", "beta"} <= names


def test_resourceset_dependencies_are_graph_edges():
    root = str(REPO)
    linter = Linter(root, load_config(root, known=vocabulary()))
    (cluster,) = linter.build_clusters([str(REPO / "clusters/dev")])
    graph = build_graph(cluster)
    rs = ("ResourceSet", "flux-system", "tenants")
    assert graph.edges[("ResourceSet", "flux-system", "settings"), rs]["depends_index"] == 0
    assert graph.edges[rs, ("Kustomization", "flux-system", "app-team1")]["applies"]
    assert find_cycles(graph) == []


def test_a_real_missing_dependency_is_still_found(tmp_path):
    repo = shutil.copytree(REPO, tmp_path / "repo")
    consumer = repo / "infra/consumer.yaml"
    consumer.write_text(consumer.read_text().replace("app-team1", "app-team3"))
    result = lint_repo(repo, "clusters/dev")
    assert [(f.rule, f.file, f.line) for f in result.findings if f.severity == Severity.ERROR] == [
        ("missing-dependency", "infra/consumer.yaml", 12)
    ]


def test_an_object_a_kustomization_and_a_resourceset_both_apply_is_a_duplicate(tmp_path):
    repo = shutil.copytree(REPO, tmp_path / "repo")
    (repo / "infra/alpha.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alpha\n  namespace: default\ndata:\n  a: b\n"
    )
    result = lint_repo(repo, "clusters/dev")
    (dup,) = [f for f in result.findings if f.rule == "duplicate-object"]
    assert "flux-system/settings" in dup.message and "flux-system/infra" in dup.message


def test_a_generated_object_without_namespace_is_not_judged_by_kustomize_controller_rules(tmp_path):
    repo = shutil.copytree(REPO, tmp_path / "repo")
    settings = repo / "infra/settings.yaml"
    settings.write_text(settings.read_text().replace("      namespace: default\n", ""))
    result = lint_repo(repo, "clusters/dev")
    assert [f.rule for f in result.findings if f.severity > Severity.INFO] == []


_PIECES = st.sampled_from(
    [
        "<<",
        ">>",
        "<<- ",
        " ->>",
        "inputs",
        ".name",
        ".apps",
        "$a",
        ":=",
        "=",
        "|",
        "(",
        ")",
        '"x"',
        "`y`",
        "1",
        "-2.5",
        "range",
        "if",
        "else",
        "end",
        "with",
        "quote",
        "toYaml",
        "nindent",
        "default",
        "printf",
        "index",
        "dig",
        "eq",
        "and",
        "or",
        "not",
        "len",
        "list",
        "dict",
        "get",
        "break",
        "continue",
        " ",
        "\n",
        "a",
        "/*",
        "*/",
    ]
)


@given(st.lists(_PIECES, max_size=40).map("".join))
def test_any_template_text_fails_only_in_the_two_typed_ways(text):
    try:
        out = render(text, INPUTS)
    except (TemplateError, Unsupported):
        return
    assert isinstance(out, str)


def test_a_resourceset_that_generates_itself_is_expanded_once(tmp_path):
    repo = shutil.copytree(REPO, tmp_path / "repo")
    (repo / "infra/self.yaml").write_text(
        """apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: again
  namespace: flux-system
spec:
  resourcesTemplate: |
    apiVersion: fluxcd.controlplane.io/v1
    kind: ResourceSet
    metadata:
      name: again
      namespace: flux-system
    spec:
      resources: []
"""
    )
    result = lint_repo(repo, "clusters/dev")
    (cluster,) = result.clusters
    assert sum(1 for ro in cluster.objects if ro.ref.name == "again") == 2


def test_a_generated_configmap_feeds_a_generated_kustomization(tmp_path):
    repo = shutil.copytree(REPO, tmp_path / "repo")
    tenants = repo / "infra/tenants.yaml"
    text = tenants.read_text()
    text = text.replace(
        "            REPLICAS: << inputs.replicas | quote >>\n",
        "            REPLICAS: << inputs.replicas | quote >>\n"
        "          substituteFrom:\n"
        "            - kind: ConfigMap\n"
        "              name: vars-<< inputs.tenant >>\n",
    )
    text += """    - apiVersion: v1
      kind: ConfigMap
      metadata:
        name: vars-<< inputs.tenant >>
        namespace: flux-system
      data:
        TEAM: << inputs.tenant | upper >>
"""
    tenants.write_text(text)
    web = repo / "apps/team2/configmap.yaml"
    web.write_text(web.read_text() + "  team: ${TEAM}\n")
    result = lint_repo(repo, "clusters/dev")
    assert [f.rule for f in result.findings if f.severity > Severity.INFO] == []
    (cluster,) = result.clusters
    (obj,) = [ro.obj for ro in cluster.objects if ro.ref.name == "web-team2"]
    assert obj["data"]["team"] == "TEAM2"
