"""``python -m hullbox.vm.micro.runner PLAN``: a detached container's
process when it runs in a microVM. Its monitor waits on it as on any
container process: the guest's output is this process's stdout and stderr,
its exit code this process's, and the signals ``stop``/``kill`` send it go
on to the command in the guest.

PLAN is a JSON file: {"spec": GuestSpec, "command": GuestCommand, "log": path}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hullbox.errors import HullboxError
from hullbox.vm.micro.machine import GuestSpec
from hullbox.vm.micro.script import command_from_json
from hullbox.vm.micro.session import run_guest


def main(argv: list[str]) -> int:
    plan = json.loads(Path(argv[1]).read_text())
    try:
        command = command_from_json(plan["command"])
        return run_guest(GuestSpec.from_json(plan["spec"]), command,
                         stdin=0 if command.interactive else None, stdout=1, stderr=2,
                         log=Path(plan["log"]))
    except HullboxError as exc:
        sys.stderr.write(f"hullbox: {exc}\n")
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
