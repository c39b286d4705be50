"""Statuses are str-valued Enums: typed in the code, the same strings in every output."""

from __future__ import annotations

import json
import pickle

import pytest

from gitops_lint.discover.flux_fields import REFUSED
from gitops_lint.discover.sources import SourceResolution, SourceStatus
from gitops_lint.model.secrets import SecretStatus, SecretValue, classify
from gitops_lint.render.types import BuildIssue, IssueKind
from gitops_lint.substitute.engine import NoteKind, SubstitutionNote

ENUMS = [SourceStatus, SecretStatus, IssueKind, NoteKind]


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_each_member_is_its_string_everywhere(enum):
    for member in enum:
        text = member.value
        assert isinstance(member, str) and member == text and hash(member) == hash(text)
        assert str(member) == text and f"{member}" == text and f"{member:>20}" == f"{text:>20}"
        assert json.dumps(member) == json.dumps(text)
        assert enum(text) is member
        assert pickle.loads(pickle.dumps(member)) is member


def test_the_records_hold_members_even_when_given_strings():
    assert SourceResolution("not-found").status is SourceStatus.NOT_FOUND
    assert BuildIssue(REFUSED, "m", "f", 1).kind is IssueKind.REFUSED
    assert SubstitutionNote("retyped", (), "${x}").kind is NoteKind.RETYPED
    assert SecretValue("plaintext", "what", "v").status is SecretStatus.PLAINTEXT
    assert classify("hunter2-Secret-value") is SecretStatus.PLAINTEXT
    assert classify("") is SecretStatus.EMPTY


@pytest.mark.parametrize(
    "make",
    [
        lambda: SourceResolution("okay"),
        lambda: BuildIssue("missing", "m", "f", 1),
        lambda: SubstitutionNote("retype", (), "${x}"),
        lambda: SecretValue("clear", "what", "v"),
    ],
)
def test_a_status_that_is_not_one_fails_where_it_is_made(make):
    with pytest.raises(ValueError):
        make()


def test_the_module_constants_are_the_members():
    from gitops_lint.discover import sources
    from gitops_lint.model import secrets
    from gitops_lint.render import types
    from gitops_lint.substitute import engine

    for module, enum in ((sources, SourceStatus), (secrets, SecretStatus), (engine, NoteKind)):
        for member in enum:
            assert getattr(module, member.name) is member
    for name in ("MISSING", "ESCAPE", "EXTERNAL", "ERROR", "NOTE"):
        assert getattr(types, name) is IssueKind[name]
