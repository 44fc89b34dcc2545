"""Volumes and the mounts a container asks for (DESIGN.md, "volume/").

Parsing of ``-v``/``--tmpfs`` (``parse``) and ``--mount`` (``mountflag``), the
volume records in the store (``records``), the ``local`` driver's directories
(``local``), the copy of an image directory into an empty volume (``copyup``)
and the runtime-spec mount entries a container's mount points become
(``specmounts``).
"""
