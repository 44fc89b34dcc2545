"""Compose: multi-container projects from compose files (the Compose
Specification). ``options.load_project`` reads a project; ``service_plan``
turns a service into engine options; ``operations`` runs ``up``, ``down``..."""
