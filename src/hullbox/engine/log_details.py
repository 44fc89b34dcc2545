"""``logs --details``: the attributes the json-file driver adds to each line,
chosen by ``--log-opt labels= / labels-regex= / env= / env-regex=`` (Docker's
logger.Info.ExtraAttributes), printed before each line as ``k=v,k2=v2 ``."""

from __future__ import annotations

import contextlib
import json
import re
from urllib.parse import quote_plus

from hullbox.engine.images import ImageService
from hullbox.engine.options import ContainerOptions
from hullbox.engine.rootfs import ContainerPaths
from hullbox.errors import HullboxError, InvalidArgument
from hullbox.store.containers import ContainerRecord
from hullbox.store.store import Store


def _regex(pattern: str, opt: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InvalidArgument(f"invalid --log-opt {opt}={pattern!r}: {exc}") from None


def _env(store: Store, record: ContainerRecord) -> dict[str, str]:
    """The container's environment as its process got it (its config.json)."""
    try:
        spec = json.loads(ContainerPaths(store.container_dir(record.id)).config.read_bytes())
    except (OSError, ValueError):
        return {}
    pairs = (item.partition("=") for item in spec.get("process", {}).get("env", []))
    return {key: value for key, sep, value in pairs if sep}


def extra_attributes(store: Store, images: ImageService,
                     record: ContainerRecord) -> dict[str, str]:
    """Docker's ExtraAttributes of the container's log options."""
    options = ContainerOptions.from_json(record.config)
    opts = options.lifecycle.log_opts
    labels = dict(options.labels)
    with contextlib.suppress(HullboxError):  # its image removed: its own labels alone
        labels = {**(images.get(record.image_id).config.config.labels or {}), **labels}
    extra: dict[str, str] = {}
    for key in filter(None, opts.get("labels", "").split(",")):
        if key in labels:
            extra[key] = labels[key]
    if opts.get("labels-regex"):
        wanted = _regex(opts["labels-regex"], "labels-regex")
        extra.update({k: v for k, v in labels.items() if wanted.search(k)})
    if opts.get("env") or opts.get("env-regex"):
        env = _env(store, record)
        for key in filter(None, opts.get("env", "").split(",")):
            if key in env:
                extra[key] = env[key]
        if opts.get("env-regex"):
            wanted = _regex(opts["env-regex"], "env-regex")
            extra.update({k: v for k, v in env.items() if wanted.search(k)})
    return extra


def details_prefix(attributes: dict[str, str]) -> bytes:
    """``k=v,k2=v2 `` (Go's url.QueryEscape of each; a lone space when there
    are none, as Docker prints it)."""
    pairs = [f"{quote_plus(k)}={quote_plus(v)}" for k, v in sorted(attributes.items())]
    return (",".join(pairs) + " ").encode()
