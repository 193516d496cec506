"""bolt-py: Bolt's pure-Python engine (httptools + uvloop, no ASGI in between).

Registered as the ``python`` engine in the ``bolt_api.engines`` entry-point group; bolt-api
loads :class:`Engine` from here when asked for ``--engine python``.
"""

from ._server import Engine

__all__ = ["Engine"]
