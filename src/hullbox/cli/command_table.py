"""Which module holds each command, and its short help, so that `hullbox run`
imports only the run command's module and `hullbox --help` imports none.

A spec is "module:attribute". A spec whose attribute is ``register`` names a
group that its module completes in ``register(cli)`` (it adds subcommands or
makes the group there): the loader calls it on a scratch group and takes the
command of that name from it.

tests/unit/test_command_table.py checks this table against what the modules'
``register`` functions add (REGISTER_ORDER), so it cannot drift: a command
added to a module but not here fails that test (and still runs, through the
slow path in cli/lazy.py).
"""

from __future__ import annotations

# The modules whose register(cli) adds commands, in the order main used to call
# them (a later module may add to a group an earlier one made).
REGISTER_ORDER = (
    "compose", "containers", "images", "registry", "system", "info", "volume",
    "housekeeping", "cp", "commit", "build", "exec", "processes", "vm", "network",
    "update", "manifest", "search", "buildx", "checkpoint",
)

_C = "hullbox.cli.containers"
_L = "hullbox.cli.lifecycle"
_I = "hullbox.cli.images"

# name -> (spec, short help as `hullbox --help` shows it before truncation)
COMMANDS: dict[str, tuple[str, str]] = {
    "attach": ("hullbox.cli.exec:attach",
               "Attach to a running container's output (and input, if started with -i)."),
    "build": ("hullbox.cli.build:build", "Build an image from a Dockerfile."),
    "buildx": ("hullbox.cli.buildx:register",
               "Build with hullbox's builder, as docker buildx (one builder: default)."),
    "builder": ("hullbox.cli.build:register", "Manage the build cache."),
    "checkpoint": ("hullbox.cli.checkpoint:register", "Manage checkpoints (CRIU)."),
    "commit": ("hullbox.cli.commit:commit", "Make a new image of a container's changes."),
    "compose": ("hullbox.cli.compose:register",
                "Define and run multi-container projects (compose.yaml)."),
    "container": ("", "Manage containers."),  # a lazy group: CONTAINER below
    "cp": ("hullbox.cli.cp:cp", "Copy files between a container and the host."),
    "create": (f"{_C}:create", "Create a container without starting it; prints its ID."),
    "events": ("hullbox.cli.events:events",
               "Show events: past ones with --since/--until, then new ones as they happen."),
    "diff": ("hullbox.cli.diff:diff",
             "Show the files a container added (A), changed (C) or deleted (D)."),
    "exec": ("hullbox.cli.exec:exec_", "Run COMMAND in a running CONTAINER; exit with its code."),
    "export": ("hullbox.cli.commit:export", "Write a container's filesystem as a tar archive."),
    "history": (f"{_I}:history", "Show the history of an image."),
    "image": ("", "Manage images."),  # a lazy group: IMAGE below
    "images": (f"{_I}:images", "List images."),
    "import": (f"{_I}:import_",
               "Make an image from a root filesystem tarball (.tar, .tar.gz, - for stdin)."),
    "info": ("hullbox.cli.info:info",
             "Show what this host gives hullbox: kernel, store, runtimes, networking, VMs."),
    "inspect": (f"{_C}:inspect", "Low-level information on containers or images, as JSON."),
    "kill": (f"{_L}:kill", "Send a signal to running containers."),
    "load": ("hullbox.cli.archives:load",
             "Load images from a docker-archive, OCI archive or OCI layout."),
    "login": ("hullbox.cli.registry:login",
              "Log in to a registry; credentials go to ~/.docker/config.json."),
    "logout": ("hullbox.cli.registry:logout", "Forget the credentials saved for a registry."),
    "logs": (f"{_L}:logs",
             "Print a container's output: stdout lines to stdout, stderr lines to stderr."),
    "manifest": ("hullbox.cli.manifest:register",
                 "Manage image manifests and manifest lists."),
    "network": ("hullbox.cli.network:register", "Manage networks."),
    "pause": ("hullbox.cli.processes:pause", "Freeze every process of the containers."),
    "port": ("hullbox.cli.network:register",
             "List a container's published ports, or the host side of one."),
    "ps": (f"{_C}:ps", "List containers."),
    "pull": ("hullbox.cli.registry:pull", "Download an image from a registry."),
    "push": ("hullbox.cli.registry:push", "Upload an image to a registry."),
    "rename": ("hullbox.cli.housekeeping:rename", "Rename a container."),
    "restart": (f"{_L}:restart", "Stop then start containers, in the background."),
    "rm": (f"{_C}:rm",
           "Remove containers; a failure on one does not stop the others."),
    "rmi": (f"{_I}:rmi", "Remove images; goes on past a failure and exits 1 if any failed."),
    "run": (f"{_C}:run", "Create a container from IMAGE and run COMMAND in it."),
    "save": ("hullbox.cli.archives:save", "Save images to a tar archive (stdout by default)."),
    "search": ("hullbox.cli.search:search",
               "Search a registry (REGISTRY/TERM) for repositories whose name holds TERM."),
    "start": (f"{_C}:start", "Start created or stopped containers (in the background unless -a)."),
    "stats": ("hullbox.cli.processes:stats",
              "Live resource use of containers: CPU, memory, network and block I/O, pids."),
    "stop": (f"{_L}:stop", "Stop running containers: STOPSIGNAL (SIGTERM), then SIGKILL."),
    "system": ("hullbox.cli.system:register", "Manage hullbox."),
    "tag": (f"{_I}:tag", "Create a tag TARGET that refers to SOURCE."),
    "top": ("hullbox.cli.processes:top",
            "Show the processes of a container (ps options as for the host's ps)."),
    "update": ("hullbox.cli.update:update",
               "Update configuration of one or more containers."),
    "unpause": ("hullbox.cli.processes:unpause",
                "Let the processes of paused containers run again."),
    "version": ("hullbox.cli.version:version",
                "Show the hullbox version (Client and Server, as docker version does)."),
    "vm": ("hullbox.cli.vm:register",
           "Manage virtual machines (QEMU; KVM when it works here, else TCG)."),
    "volume": ("hullbox.cli.volume:register", "Manage volumes."),
    "wait": (f"{_L}:wait", "Wait for containers to stop; print each exit code."),
}

# `hullbox container ...`: the same verbs, from several modules.
CONTAINER: dict[str, tuple[str, str]] = {
    **{name: COMMANDS[name] for name in (
        "attach", "commit", "cp", "create", "diff", "exec", "export", "kill", "logs", "pause",
        "rename", "restart", "rm", "run", "start", "stats", "stop", "top", "unpause", "update",
        "wait",
    )},
    "inspect": (f"{_C}:container_inspect", "Low-level information on containers, as JSON."),
    "list": COMMANDS["ps"],
    "ls": COMMANDS["ps"],
    "port": ("hullbox.cli.network:port", COMMANDS["port"][1]),
    "prune": ("hullbox.cli.housekeeping:prune", "Remove all stopped containers."),
    "ps": COMMANDS["ps"],
}

# `hullbox image ...`
IMAGE: dict[str, tuple[str, str]] = {
    **{name: COMMANDS[name] for name in (
        "build", "history", "import", "load", "pull", "push", "save", "tag",
    )},
    "inspect": (f"{_I}:image_inspect", "Low-level information on images, as JSON."),
    "list": COMMANDS["images"],
    "ls": COMMANDS["images"],
    "prune": (f"{_I}:prune", "Remove unused images."),
    "rm": COMMANDS["rmi"],
}

# The groups made here rather than in a module, and their tables.
LAZY_GROUPS: dict[str, dict[str, tuple[str, str]]] = {"container": CONTAINER, "image": IMAGE}
