"""What ps/images/inspect print: durations, sizes, --format templates."""

from __future__ import annotations

import pytest

from hullbox.cli.format import format_rows, human_duration, render_template
from hullbox.cli.gotemplate import go_json, go_rfc3339, go_time
from hullbox.engine.units import human_size, parse_bytes, parse_cpus
from hullbox.errors import InvalidArgument, TemplateError


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
    assert render_template("{{json .Labels}}", obj) == '{"k":"v"}'
    assert render_template('{{index .Labels "k"}}', obj) == "v"
    assert render_template("{{.Missing}}", obj) == "<no value>"


def test_a_missing_field_is_an_error_and_a_missing_map_key_is_not() -> None:
    item = {"State": {"Status": "exited"}, "Config": {"Labels": {"k": "v"}},
            "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "10.0.0.2"}}}}
    with pytest.raises(TemplateError, match=r'^template: :1:2: executing "" at <\.Nope>: '
                       r'map has no entry for key "Nope"$'):
        render_template("{{.Nope}}", item, "inspect")
    with pytest.raises(TemplateError, match=r":2:7: executing \"\" at <\.State\.Nope>"):
        render_template("x\n{{json .State.Nope}}", item, "inspect")
    # docker's types have these: hullbox left them out, so no error
    assert render_template("{{.State.Health}} {{.Config.StopSignal}}", item,
                           "inspect") == "<no value> <no value>"
    assert render_template("{{.Config.Labels.nope}}", item, "inspect") == "<no value>"
    assert render_template("{{.NetworkSettings.Networks.bridge.IPAddress}}", item,
                           "inspect") == "10.0.0.2"
    with pytest.raises(TemplateError, match="<.NetworkSettings.Networks.bridge.Nope>"):
        render_template("{{.NetworkSettings.Networks.bridge.Nope}}", item, "inspect")
    with pytest.raises(TemplateError, match="can't evaluate field Nope$"):
        render_template("{{.Nope}}", {"ID": "abc"}, "listing")


def test_go_spellings_of_times_and_json() -> None:
    assert go_time(1704164645, fraction=True).startswith("2024-01-02 ")
    import os
    import time

    zone = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        assert go_time(1704164645) == "2024-01-02 03:04:05 +0000 UTC"
        assert go_time(1704164645.25, fraction=True) == "2024-01-02 03:04:05.25 +0000 UTC"
        assert go_rfc3339(1704164645.25) == "2024-01-02T03:04:05Z"
    finally:
        if zone is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = zone
        time.tzset()
    assert go_json({"b": "<x>", "a": 1}, escape_html=True, sort_keys=True) == (
        '{"a":1,"b":"\\u003cx\\u003e"}')


def test_format_rows_json_template_and_table_template() -> None:
    rows = [{"ID": "abc", "Name": "web"}, {"ID": "defghi", "Name": "db"}]
    assert format_rows(rows, None) is None and format_rows(rows, "table") is None
    assert format_rows(rows, "json") == ['{"ID":"abc","Name":"web"}',
                                         '{"ID":"defghi","Name":"db"}']
    assert format_rows(rows, "{{.Name}}={{.ID}}") == ["web=abc", "db=defghi"]
    assert format_rows(rows, "table {{.ID}}\t{{.Name}}", {"ID": "CONTAINER ID"}) == [
        "CONTAINER ID   NAME", "abc            web", "defghi         db"]
    # a literal backslash-t typed in the shell separates the columns too
    assert format_rows(rows, r"table {{.Name}}\t{{.ID}}") == [
        "NAME   ID", "web    abc", "db     defghi"]
