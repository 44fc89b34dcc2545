"""Docker's most typed ``--format`` templates with actions (range over a
map, range with ``$k, $v :=``, if/else, with), as a user types them, and
what docker prints for them."""

from __future__ import annotations

from .conftest import Hullbox, refused
from .netkit import free_subnet


def test_range_if_and_with_in_inspect_and_ps(hullbox: Hullbox, name: str) -> None:
    (subnet_a, prefix_a), (subnet_b, prefix_b) = free_subnet(), free_subnet()
    while subnet_b == subnet_a:
        subnet_b, prefix_b = free_subnet()
    first, second = f"{name}-a", f"{name}-b"
    hullbox.ok("network", "create", "--subnet", subnet_a, first)
    hullbox.ok("network", "create", "--subnet", subnet_b, second)
    up, down = f"{name}-up", f"{name}-down"
    try:
        hullbox.ok("run", "-d", "--name", up, "--network", first, "--ip", prefix_a + "5",
                   "--label", "tier=web", "--label", "team=db", "busybox", "sleep", "600")
        hullbox.ok("network", "connect", "--ip", prefix_b + "6", second, up)
        hullbox.ok("create", "--name", down, "busybox", "true")

        # the networks in their names' order, the addresses back to back
        assert hullbox.ok("inspect", "-f",
                          "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                          up) == f"{prefix_a}5{prefix_b}6\n"
        assert hullbox.ok("inspect", "-f",
                          "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}",
                          up) == "team=db tier=web \n"
        assert hullbox.ok("inspect", "-f", "{{if .State.Running}}up{{else}}down{{end}}",
                          up, down) == "up\ndown\n"
        rows = hullbox.ok("ps", "-a", "--filter", f"name={name}", "--format",
                          "{{.Names}}:{{with .Labels}}{{.}}{{end}}")
        assert sorted(rows.splitlines()) == [f"{down}:", f"{up}:team=db,tier=web"]

        # more of what docker users type
        assert hullbox.ok("inspect", "-f", '{{index .Config.Labels "nope"}}|'
                          '{{len .NetworkSettings.Networks}}|'
                          '{{range $n, $e := .NetworkSettings.Networks}}'
                          '{{if eq $n "' + second + '"}}{{$e.IPAddress}}{{end}}{{end}}|'
                          '{{printf "%s=%q" .Name .State.Status}}', up) == (
            f'|2|{prefix_b}6|/{up}="running"\n')
        assert hullbox.ok("inspect", "-f", "{{range .Config.Labels}}x{{else}}none{{end}}",
                          down) == "none\n"
        # a field docker's endpoint lacks is still an error inside range
        line = refused(hullbox, "inspect", "-f",
                       "{{range .NetworkSettings.Networks}}{{.Nope}}{{end}}", up, code=1)
        assert 'executing "" at <.Nope>' in line, line
        # a template Go cannot parse: one line naming the fault
        line = refused(hullbox, "ps", "--format", "{{range .Names}}", code=125)
        assert "unexpected EOF" in line, line
    finally:
        hullbox("rm", "-f", up, down)
        hullbox("network", "rm", first, second)
