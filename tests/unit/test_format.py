"""What ps/images/inspect print: durations, sizes, --format templates."""

from __future__ import annotations

import pytest

from hullbox.cli.format import format_rows, human_duration, render_template
from hullbox.engine.units import human_size, parse_bytes, parse_cpus
from hullbox.errors import InvalidArgument


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.2, "Less than a second"),
        (1, "1 second"),
        (3, "3 seconds"),
        (65, "About a minute"),
        (150, "2 minutes"),
        (3600, "About an hour"),
        (3 * 3600, "3 hours"),
        (3 * 86400, "3 days"),
        (30 * 86400, "4 weeks"),
    ],
)
def test_human_duration_matches_docker(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_sizes_parse_as_docker_does() -> None:
    assert parse_bytes("64m") == 64 * 1024 * 1024
    assert parse_bytes("1g") == 1 << 30
    assert parse_bytes("512k") == 512 * 1024
    assert parse_bytes("100") == 100
    assert parse_bytes("2GiB") == 2 << 30
    with pytest.raises(InvalidArgument, match="invalid --memory 'lots'"):
        parse_bytes("lots", "--memory")


def test_cpus_become_nano_cpus() -> None:
    assert parse_cpus("0.5") == 500_000_000
    with pytest.raises(InvalidArgument):
        parse_cpus("half")
    with pytest.raises(InvalidArgument):
        parse_cpus("0")


def test_human_size_uses_decimal_units() -> None:
    assert human_size(4_260_000) == "4.26MB"
    assert human_size(999) == "999B"
    assert human_size(1_500_000_000) == "1.5GB"


def test_templates_render_fields_json_and_index() -> None:
    obj = {"State": {"Status": "exited", "ExitCode": 3}, "Names": ["a", "b"],
           "Labels": {"k": "v"}}
    assert render_template("{{.State.Status}}", obj) == "exited"
    assert render_template("{{.State.ExitCode}}\\t{{.Names}}", obj) == "3\t[a b]"
    assert render_template("{{json .Labels}}", obj) == '{"k": "v"}'
    assert render_template('{{index .Labels "k"}}', obj) == "v"
    assert render_template("{{.Missing}}", obj) == "<no value>"


def test_format_rows_json_template_and_table_template() -> None:
    rows = [{"ID": "abc", "Name": "web"}, {"ID": "defghi", "Name": "db"}]
    assert format_rows(rows, None) is None and format_rows(rows, "table") is None
    assert format_rows(rows, "json") == ['{"ID": "abc", "Name": "web"}',
                                         '{"ID": "defghi", "Name": "db"}']
    assert format_rows(rows, "{{.Name}}={{.ID}}") == ["web=abc", "db=defghi"]
    assert format_rows(rows, "table {{.ID}}\t{{.Name}}", {"ID": "CONTAINER ID"}) == [
        "CONTAINER ID   NAME", "abc            web", "defghi         db"]
    # a literal backslash-t typed in the shell separates the columns too
    assert format_rows(rows, r"table {{.Name}}\t{{.ID}}") == [
        "NAME   ID", "web    abc", "db     defghi"]
