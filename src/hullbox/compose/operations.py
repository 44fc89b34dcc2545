"""A compose project bound to an engine, with every verb: ``up``
(compose.converge) and ``start``, ``stop``, ``restart``, ``kill``, ``rm``,
``down`` (compose.verbs_lifecycle), on what compose.bound finds of it.
Containers carry Docker Compose's labels (compose.naming, compose.records)."""

from __future__ import annotations

from hullbox.compose.bound import Report
from hullbox.compose.converge import UpOptions, restarted_by
from hullbox.compose.records import number_of, service_of
from hullbox.compose.verbs_lifecycle import LifecycleVerbs

__all__ = ["ComposeProject", "Report", "UpOptions", "number_of", "restarted_by",
           "service_of"]


class ComposeProject(LifecycleVerbs):
    """A loaded project bound to an engine, with every verb."""
