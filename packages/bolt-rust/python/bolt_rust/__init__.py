"""Bolt's Rust engine (Actix Web + Tokio through PyO3).

Select it with ``serve(api, engine="rust")`` or ``runbolt --engine rust``; bolt-api finds it
through the ``bolt_api.engines`` entry point. The native module is the private
``bolt_rust._bolt``; this package owns the public surface.
"""

from ._bolt import __version__
from ._engine import Engine

__all__ = ["Engine", "__version__"]
