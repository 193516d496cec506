"""``manage.py bolt_openapi``: the OpenAPI document of the project's APIs, for client
generators and CI diffs, without starting a server.

The document is the one the docs pages serve (:func:`bolt_api.openapi.build_openapi_schema`)
for the API ``runbolt`` would serve: every discovered API merged and the ``BOLT_*``
settings applied (:func:`bolt_django.discovery.project_api`), so the two cannot disagree.
"""

from __future__ import annotations

import importlib
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import msgspec
from bolt_api.openapi import build_openapi_schema
from django.core.management.base import BaseCommand, CommandError

from bolt_django.discovery import project_api

__all__ = ["Command"]


class Command(BaseCommand):
    help = "Writes the OpenAPI document of the project's Bolt APIs (JSON or YAML)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--format",
            choices=("json", "yaml"),
            default=None,
            help="json or yaml (default: from --output's extension, else json).",
        )
        parser.add_argument(
            "--output",
            metavar="FILE",
            default=None,
            help="Write the document to FILE (default: standard output).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output: str | None = options["output"]
        fmt: str = options["format"] or _format_of(output)
        schema = build_openapi_schema(project_api())
        text = render(schema, fmt)
        if output is None or output == "-":
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror or exc}") from exc
        paths = len(schema.get("paths", {}))
        self.stderr.write(f"Wrote the OpenAPI document ({paths} paths, {fmt}) to {output}.")


def render(schema: dict[str, Any], fmt: str) -> str:
    """``schema`` as indented JSON, or as YAML in the order the generator wrote it (what
    ``/docs/openapi.yaml`` serves), each ending with a newline."""
    if fmt == "yaml":
        yaml: Any = importlib.import_module("yaml")  # a dependency of bolt-api; no stubs
        text: str = yaml.safe_dump(
            schema, sort_keys=False, allow_unicode=True, default_flow_style=False
        )
        return text
    return msgspec.json.format(msgspec.json.encode(schema), indent=2).decode() + "\n"


def _format_of(output: str | None) -> str:
    if output is not None and Path(output).suffix.lower() in (".yaml", ".yml"):
        return "yaml"
    return "json"
