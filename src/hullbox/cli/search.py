"""``hullbox search``: docker's columns and flags over a registry's catalog
(see engine.search)."""

from __future__ import annotations

from typing import Any

import click

from hullbox.cli.format import print_formatted, print_table

_HEADERS = {"Name": "NAME", "Description": "DESCRIPTION", "StarCount": "STARS",
            "IsOfficial": "OFFICIAL", "IsAutomated": "AUTOMATED", "Index": "INDEX"}
_DESCRIPTION_WIDTH = 45


def _ellipsis(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


@click.command()
@click.option("-f", "--filter", "filters", multiple=True, metavar="FILTER",
              help="Filter output based on conditions provided (stars=N, is-official=BOOL, "
                   "is-automated=BOOL).")
@click.option("--format", "fmt", default=None, help="Pretty-print search using a Go template.")
@click.option("--limit", type=int, default=None,
              help="Max number of search results (default 25).")
@click.option("--no-trunc", is_flag=True, help="Don't truncate output.")
@click.option("--insecure", is_flag=True,
              help="Allow plain HTTP and unverified TLS to this registry.")
@click.argument("term")
def search(filters: tuple[str, ...], fmt: str | None, limit: int | None, no_trunc: bool,
           insecure: bool, term: str) -> None:
    """Search a registry (REGISTRY/TERM) for repositories whose name holds TERM."""
    from hullbox.engine.search import search as find

    results = find(term, limit=limit, filters=filters, insecure=insecure)
    rows: list[dict[str, Any]] = []
    for result in results:
        description = " ".join(result.description.split())
        rows.append({
            "Name": result.name,
            "Description": description if no_trunc else _ellipsis(description,
                                                                  _DESCRIPTION_WIDTH),
            "StarCount": str(result.stars),
            "IsOfficial": "[OK]" if result.official else "",
            "IsAutomated": "[OK]" if result.automated else "",
            "Index": result.index,
        })
    if print_formatted(rows, fmt, _HEADERS):
        return
    print_table(["NAME", "DESCRIPTION", "STARS", "OFFICIAL"],
                [[r["Name"], r["Description"], r["StarCount"], r["IsOfficial"]] for r in rows])


def register(cli: click.Group) -> None:
    """``search``."""
    cli.add_command(search)
