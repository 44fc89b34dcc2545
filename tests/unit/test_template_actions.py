"""Go text/template's actions in ``--format``: what Go prints for each."""

from __future__ import annotations

import pytest

from hullbox.cli.format import format_rows, render_template
from hullbox.errors import TemplateError

CONTAINER = {
    "Name": "/web",
    "State": {"Running": True, "Status": "running", "ExitCode": 0, "Pid": 42},
    "Config": {"Labels": {"tier": "web", "team": "db"}, "Env": ["A=1", "B=2"],
               "Cmd": ["sleep", "600"]},
    "NetworkSettings": {"Networks": {"net-b": {"IPAddress": "10.2.0.6"},
                                     "net-a": {"IPAddress": "10.1.0.5"}}},
}


def inspect(template: str) -> str:
    return render_template(template, CONTAINER, "inspect")


def test_range_over_a_map_goes_in_key_order_and_over_a_list_in_order() -> None:
    assert inspect("{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}") == (
        "10.1.0.5 10.2.0.6 ")
    assert inspect("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}") == (
        "team=db tier=web ")
    assert inspect("{{range $i, $e := .Config.Env}}{{$i}}:{{$e}},{{end}}") == "0:A=1,1:B=2,"
    assert inspect("{{range $e := .Config.Cmd}}<{{$e}}>{{end}}") == "<sleep><600>"
    assert inspect("{{range .Config.Cmd}}{{.}}{{break}}{{end}}") == "sleep"
    assert inspect("{{range .Config.Cmd}}{{if eq . \"sleep\"}}{{continue}}{{end}}"
                   "{{.}}{{end}}") == "600"


def test_range_else_runs_for_an_empty_or_missing_value() -> None:
    empty = {"Config": {"Labels": {}, "Env": []}}
    assert render_template("{{range .Config.Labels}}x{{else}}none{{end}}", empty,
                           "inspect") == "none"
    assert render_template("{{range .Config.Env}}x{{else}}none{{end}}", empty) == "none"


def test_if_else_if_else_with_gos_truth() -> None:
    assert inspect("{{if .State.Running}}up{{else}}down{{end}}") == "up"
    for false in (False, 0, "", [], {}, None):
        assert render_template("{{if .V}}t{{else}}f{{end}}", {"V": false}) == "f", false
    for true in (True, 1, "x", [0], {"k": ""}):
        assert render_template("{{if .V}}t{{else}}f{{end}}", {"V": true}) == "t", true
    template = "{{if eq .V 1}}one{{else if eq .V 2}}two{{else}}many{{end}}"
    assert [render_template(template, {"V": v}) for v in (1, 2, 3)] == ["one", "two", "many"]


def test_with_sets_dot_and_else_runs_when_empty() -> None:
    assert format_rows([{"Labels": "a=1,b=2"}, {"Labels": ""}],
                       "{{with .Labels}}{{.}}{{end}}") == ["a=1,b=2", ""]
    assert format_rows([{"Names": "web", "Labels": "a=1"}],
                       "table {{.Names}}\t{{with .Labels}}{{.}}{{end}}") == [
        "NAMES   LABELS", "web     a=1"]
    assert inspect("{{with .State}}{{.Status}}/{{.Pid}}{{end}}") == "running/42"
    assert inspect("{{with .Config.Labels.nope}}x{{else}}no label{{end}}") == "no label"


def test_variables_root_declaration_and_assignment() -> None:
    assert inspect("{{range .Config.Cmd}}{{$.Name}} {{end}}") == "/web /web "
    assert inspect("{{$n := .Name}}{{with .State}}{{$n}} {{.Status}}{{end}}") == (
        "/web running")
    assert inspect("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}") == "2"


def test_pipelines_comparisons_and_logic() -> None:
    assert inspect("{{.State.Status | upper}} {{.Name | printf \"%s!\"}}") == "RUNNING /web!"
    assert inspect('{{eq .State.Status "exited" "running"}} {{ne 1 2}} {{lt 1 2}} '
                   '{{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}') == "true true true true true false"
    assert inspect("{{and 1 0}} {{and 1 2}} {{or 0 \"\"}} {{or 0 \"x\"}} {{not 0}}") == (
        "0 2  x true")
    assert inspect("{{len .Config.Labels}} {{len .Name}} {{len .Config.Env}}") == "2 4 2"
    assert inspect("{{(index .NetworkSettings.Networks \"net-a\").IPAddress}}") == "10.1.0.5"


def test_index_of_a_missing_key_is_gos_zero_value() -> None:
    assert inspect('{{index .Config.Labels "tier"}}|{{index .Config.Labels "nope"}}|') == (
        "web||")
    assert inspect("{{index .Config.Env 1}} {{index .Name 1}}") == "B=2 119"
    with pytest.raises(TemplateError, match=r"error calling index: index out of range: 5$"):
        inspect("{{index .Config.Env 5}}")


def test_printf_print_and_println_print_values_as_go_does() -> None:
    assert inspect('{{printf "%s %d %v %q %t" .Name .State.Pid .Config.Labels '
                   '.State.Status .State.Running}}') == (
        '/web 42 map[team:db tier:web] "running" true')
    assert inspect('{{printf "%v %s %d|%5s|%-4d|" nil nil "x" "ab" 7}}') == (
        "<nil> %!s(<nil>) %!d(string=x)|   ab|7   |")
    assert inspect('{{printf "%s"}} {{printf "%d" 1 2}}') == "%!s(MISSING) 1%!(EXTRA int=2)"
    assert inspect('{{print 1 2 "a" 3 .Config.Cmd}} {{printf "%v" 1.5}} {{print 1e6}}') == (
        "1 2a3 [sleep 600] 1.5 1e+06")
    assert inspect('{{println "a" 1 true}}') == "a 1 true\n"
    assert inspect("{{.Config.Cmd}} {{.NetworkSettings.Networks}}") == (
        "[sleep 600] map[net-a:map[IPAddress:10.1.0.5] net-b:map[IPAddress:10.2.0.6]]")


def test_trim_markers_eat_the_white_space_beside_them() -> None:
    template = "{{- range $k, $v := .Config.Labels }}\n  {{ $k -}}  ;\n{{- end }}"
    assert inspect(template) == "\n  team;\n  tier;"
    assert inspect("a  {{- 3 -}}  b {{/* a comment */}}c") == "a3b c"
    assert inspect("a \n{{-\t.Name\t-}}\n b") == "a/webb"
    # without the space a dash is a number's sign
    assert inspect("{{-3}}") == "-3"


def test_dockers_functions_still_work() -> None:
    assert inspect('{{join .Config.Cmd " "}} {{json .Config.Cmd}} {{lower "AB"}} '
                   '{{title "a b"}} {{truncate .Name 3}} [{{pad "x" 1 2}}]') == (
        'sleep 600 ["sleep","600"] ab A B /we [ x  ]')
    assert inspect('{{range split "a,b" ","}}<{{.}}>{{end}}') == "<a><b>"


def test_errors_in_gos_words() -> None:
    with pytest.raises(TemplateError, match=r'^template: :1:37: executing "" at <\.Nope>: '
                       r'map has no entry for key "Nope"$'):
        inspect("{{range .NetworkSettings.Networks}}{{.Nope}}{{end}}")
    with pytest.raises(TemplateError, match=r'^template: :1: function "nope" not defined$'):
        inspect("{{nope .Name}}")
    with pytest.raises(TemplateError, match=r"^template: :1: unexpected EOF$"):
        inspect("{{range .Config.Cmd}}")
    with pytest.raises(TemplateError, match=r"^template: :2: unexpected \{\{end\}\}$"):
        inspect("x\n{{end}}")
    with pytest.raises(TemplateError, match=r"^template: :1: missing value for if$"):
        inspect("{{if}}x{{end}}")
    with pytest.raises(TemplateError, match=r'^template: :1: undefined variable "\$nope"$'):
        inspect("{{$nope}}")
    with pytest.raises(TemplateError, match=r'^template: :1: undefined variable "\$v"$'):
        inspect("{{range $v := .Config.Cmd}}{{end}}{{$v}}")
