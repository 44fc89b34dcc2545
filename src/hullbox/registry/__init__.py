"""The OCI distribution protocol: pull, push and login over HTTP (httpx).

Nothing here is imported on the ``hullbox run`` path: ``engine.distribution``
imports this package only when a registry verb runs, because httpx and its
dependencies cost tens of milliseconds to load.
"""
