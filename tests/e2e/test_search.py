"""``hullbox search REGISTRY/TERM`` against a real docker-registry on
127.0.0.1: the repositories of its catalog whose name holds TERM, in
docker's columns."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from .conftest import Hullbox
from .registry_helpers import (
    Registry,
    fails,
    pushed,
    running_registry,
    untag_registry_images,
)

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, hullbox: Hullbox) -> Iterator[Registry]:
    # Two names a page: a search of three repositories follows the Link header.
    with running_registry(tmp_path_factory.mktemp("registry"),
                          auth="catalog: {maxentries: 2}") as running:
        for repo in ("srch/alpha", "srch/beta", "other/alphabet"):
            pushed(hullbox, f"{running.host}/{repo}:latest")
        yield running
        untag_registry_images(hullbox)


def test_term_matches_part_of_the_name(hullbox: Hullbox, registry: Registry) -> None:
    lines = hullbox.ok("search", f"{registry.host}/alpha").splitlines()
    assert lines[0].split() == ["NAME", "DESCRIPTION", "STARS", "OFFICIAL"]
    assert [line.split() for line in lines[1:]] == [
        [f"{registry.host}/other/alphabet", "0"], [f"{registry.host}/srch/alpha", "0"]]
    everything = hullbox.ok("search", "--format", "{{.Name}}", f"{registry.host}/")
    assert everything.split() == [f"{registry.host}/{r}"
                                  for r in ("other/alphabet", "srch/alpha", "srch/beta")]
    assert hullbox.ok("search", "--format", "{{.Name}}", f"{registry.host}/BETA"
                      ) == f"{registry.host}/srch/beta\n"


def test_limit_filters_and_format(hullbox: Hullbox, registry: Registry) -> None:
    host = registry.host
    assert len(hullbox.ok("search", "--limit", "1", "--format", "{{.Name}}",
                          f"{host}/").split()) == 1
    # a catalog has no stars and no official images
    assert hullbox.ok("search", "--filter", "stars=1", f"{host}/").splitlines() == [
        "NAME   DESCRIPTION   STARS   OFFICIAL"]
    assert hullbox.ok("search", "-f", "is-official=true", "--format", "{{.Name}}",
                      f"{host}/") == ""
    assert len(hullbox.ok("search", "-f", "is-official=false", "--format", "{{.Name}}",
                          f"{host}/").split()) == 3
    rows = [json.loads(line) for line in
            hullbox.ok("search", "--no-trunc", "--format", "json", f"{host}/beta").splitlines()]
    assert rows == [{"Name": f"{host}/srch/beta", "Description": "", "StarCount": "0",
                     "IsOfficial": "", "IsAutomated": "", "Index": host}]
    table = hullbox.ok("search", "--format", "table {{.Index}}\t{{.Name}}", f"{host}/beta")
    assert table.split() == ["INDEX", "NAME", host, f"{host}/srch/beta"]


def test_bad_input_is_one_line(hullbox: Hullbox, registry: Registry) -> None:
    line = fails(hullbox, "search", "busybox")
    assert "Docker Hub" in line and "REGISTRY/TERM" in line
    assert "--limit 0" in fails(hullbox, "search", "--limit", "0", f"{registry.host}/")
    assert "invalid filter 'colour'" in fails(hullbox, "search", "-f", "colour=red",
                                              f"{registry.host}/")
    assert "stars=many" in fails(hullbox, "search", "-f", "stars=many", f"{registry.host}/")
    # port 1: nothing listens there (a free port could be taken meanwhile)
    assert "cannot reach" in fails(hullbox, "search", "127.0.0.1:1/x")
