"""Credentials, capabilities, no_new_privs and seccomp for a container process.

Runs in a forked child (the init, or an exec'd process joining a container),
so it imports nothing lazily. The order is runc's:

1. seccomp, when no_new_privs is off: loading a filter then needs CAP_SYS_ADMIN,
   which the process is about to lose;
2. bounding set, PR_SET_KEEPCAPS, groups/gid/uid, capset (effective,
   permitted, inheritable), ambient, no_new_privs;
3. (the caller: chdir, path lookup, waiting for start)
4. seccomp, when no_new_privs is on: as late as possible, just before execve,
   so a profile needs to allow as few syscalls of the runtime as possible.
"""

from __future__ import annotations

import os

from hullbox.linux import caps

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hullbox.linux.seccomp import Program
    from hullbox.oci.runtime_spec import Process


def load_seccomp_early(process: Process, program: Program | None) -> None:
    """Step 1: load the filter now unless no_new_privs lets it wait for the exec."""
    if program is not None and not process.no_new_privileges:
        program.load()


def set_credentials(process: Process) -> None:
    """Step 2: user, groups and the five capability sets exactly as config.json says."""
    user = process.user
    pcaps = process.capabilities
    if pcaps is not None:
        caps.drop_bounding(caps.cap_mask(pcaps.bounding))
        caps.set_keepcaps(True)
    try:
        os.setgroups(list(user.additional_gids))
    except PermissionError:
        if not _setgroups_denied():
            raise  # a user namespace with a single mapped id may not call it; that is fine
    os.setresgid(user.gid, user.gid, user.gid)
    os.setresuid(user.uid, user.uid, user.uid)
    if pcaps is not None:
        permitted = caps.cap_mask(pcaps.permitted)
        inheritable = caps.cap_mask(pcaps.inheritable)
        caps.capset(caps.cap_mask(pcaps.effective), permitted, inheritable)
        # The kernel refuses an ambient cap that is not both permitted and
        # inheritable; runc warns and goes on, so the others still apply.
        caps.raise_ambient(caps.cap_mask(pcaps.ambient) & permitted & inheritable)
        caps.set_keepcaps(False)
    if process.no_new_privileges:
        caps.set_no_new_privs()


def _setgroups_denied() -> bool:
    try:
        with open("/proc/self/setgroups") as f:
            return f.read().strip() == "deny"
    except OSError:
        return False


def load_seccomp_late(process: Process, program: Program | None) -> None:
    """Step 4: with no_new_privs, the filter goes on right before execve."""
    if program is not None and process.no_new_privileges:
        program.load()
