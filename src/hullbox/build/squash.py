"""``build --squash``: the layers a build made, merged into one overlay upper
directory over the base image's layers, as podman's --squash makes them.

Each layer directory is in overlay form (a whiteout is a 0:0 character
device, an opaque directory has ``trusted.overlay.opaque=y``); merging them
bottom to top follows overlayfs: a later entry replaces an earlier one, a
whiteout removes what is under it and stays (the base may have the path),
an opaque directory drops what earlier layers put in it.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from hullbox.image.layerwriter import write_layer
from hullbox.store.images import LayerRecord
from hullbox.store.store import Store

if TYPE_CHECKING:
    from hullbox.build.plan import Plan
    from hullbox.build.solver import FsState

OPAQUE = "trusted.overlay.opaque"


def merge_layers(layers: list[Path], dest: Path) -> None:
    """Merge layer directories (bottom first) into ``dest`` (empty)."""
    for layer in layers:
        _merge_dir(layer, dest)


def _merge_dir(source: Path, dest: Path) -> None:
    for entry in os.scandir(source):
        src = Path(entry.path)
        target = dest / entry.name
        st = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            opaque = _xattr(src, OPAQUE) == b"y"
            if (target.exists() or target.is_symlink()) and (
                    opaque or not target.is_dir() or target.is_symlink()):
                _remove(target)
            if not target.exists():
                target.mkdir()
            _merge_dir(src, target)
            _copy_meta(src, target, st)
            continue
        if target.exists() or target.is_symlink():
            _remove(target)
        _copy_entry(src, target, st)


def _copy_entry(src: Path, target: Path, st: os.stat_result) -> None:
    if stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(src), target)
    elif stat.S_ISREG(st.st_mode):
        shutil.copyfile(src, target, follow_symlinks=False)
    else:  # whiteouts (0:0), devices, fifos, sockets
        os.mknod(target, st.st_mode, st.st_rdev)
    _copy_meta(src, target, st)


def _copy_meta(src: Path, target: Path, st: os.stat_result) -> None:
    os.lchown(target, st.st_uid, st.st_gid)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(target, stat.S_IMODE(st.st_mode))
    for name in os.listxattr(src, follow_symlinks=False):
        os.setxattr(target, name, os.getxattr(src, name, follow_symlinks=False),
                    follow_symlinks=False)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


def _xattr(path: Path, name: str) -> bytes | None:
    try:
        return os.getxattr(path, name, follow_symlinks=False)
    except OSError:
        return None


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def base_layer_count(plan: Plan) -> int:
    """How many layers of the target come from the image its stage chain
    starts FROM (the layers --squash keeps as they are)."""
    by_index = {planned.stage.index: planned for planned in plan.stages}
    planned = plan.target
    while planned.base_stage is not None:
        planned = by_index[planned.base_stage]
    return len(planned.base_image.config.diff_ids) if planned.base_image else 0


def squash_state(store: Store, state: FsState, base: int) -> FsState:
    """``state`` with its layers after the first ``base`` made one; the
    history keeps every step, those folded into the last marked empty."""
    if len(state.diff_ids) - base < 2:
        return state
    chain = state.chain
    parent = chain[base - 1] if base else None
    with tempfile.TemporaryDirectory(prefix=".squash-", dir=store.tmp_dir) as tmp:
        upper = Path(tmp) / "upper"
        upper.mkdir()
        merge_layers([store.layer_dir(c) for c in chain[base:]], upper)
        layer = write_layer(store, upper, parent, take_upper=True)
    from hullbox.build.cache_from import CACHE_KEY

    # the squashed layer is no step's own: its keys would mislead --cache-from
    history = [{k: v for k, v in h.items() if k != CACHE_KEY} for h in state.history]
    made = [i for i, h in enumerate(history) if not h.get("empty_layer")][base:]
    for index in made[:-1]:
        history[index]["empty_layer"] = True
    from hullbox.build.solver import FsState

    return FsState(
        layers=[*state.layers[:base], layer.descriptor],
        diff_ids=[*state.diff_ids[:base], layer.diff_id],
        records=[*state.records[:base],
                 LayerRecord(layer.chain_id, layer.diff_id, parent, layer.size)],
        history=history, created=state.created)
