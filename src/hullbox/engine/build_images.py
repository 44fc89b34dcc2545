"""The images a build stands on (FROM, COPY --from, RUN --mount from=):
found in the store, or pulled from their registry when absent there, or
always with ``--pull`` (as ``docker build``). Each name is resolved once
per build; a pull shows as BuildKit's "load metadata" step."""

from __future__ import annotations

from hullbox.build.plan import BaseImage
from hullbox.build.progress import Progress
from hullbox.engine.distribution import DistributionService
from hullbox.engine.images import Image, ImageService
from hullbox.errors import HullboxError, ImageNotFound
from hullbox.oci import reference
from hullbox.oci.image import ImageConfig
from hullbox.store.store import Store

SCRATCH = BaseImage("", "scratch", ImageConfig(), [])


class BaseImages:
    """Resolves image names for one build."""

    def __init__(self, store: Store, images: ImageService, *, always_pull: bool,
                 progress: Progress) -> None:
        self.images = images
        self.distribution = DistributionService(store, images)
        self.always_pull = always_pull
        self.progress = progress
        self.resolved: dict[str, BaseImage] = {}

    def __call__(self, name: str) -> BaseImage:
        if name == "scratch":
            return SCRATCH
        found = self.resolved.get(name)
        if found is None:
            found = self.resolved[name] = self._resolve(name)
        return found

    def _resolve(self, name: str) -> BaseImage:
        ref = reference.parse(name)
        label = ref.familiar if not name.startswith("sha256:") else name
        image: Image | None = None
        if not self.always_pull or name.startswith("sha256:"):
            try:
                image = self.images.get(name)
            except ImageNotFound:
                if name.startswith("sha256:"):
                    raise
        if image is None:
            image = self._pull(name, str(ref))
        return BaseImage(image.id, label, image.config, self.images.manifest(image).layers)

    def _pull(self, name: str, full: str) -> Image:
        vertex = self.progress.start(f"[internal] load metadata for {full}")
        try:
            result = self.distribution.pull(name)
        except HullboxError as exc:
            self.progress.error(vertex, str(exc))
            raise ImageNotFound(f"{full}: failed to resolve source metadata: {exc}") from exc
        self.progress.done(vertex)
        return self.images.get(result.image.id)
