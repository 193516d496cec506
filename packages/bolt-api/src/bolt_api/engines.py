"""Finding an engine by name.

Engines register themselves in the ``bolt_api.engines`` entry-point group (``rust`` from the
``bolt-rust`` distribution, ``python`` from ``bolt-py``); bolt-api imports neither. A name
that is known but not installed gets a message naming the package to install.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Literal

from .engine import Engine
from .exceptions import EngineNotFoundError

__all__ = ["DEFAULT_ENGINE", "ENGINE_PACKAGES", "EngineName", "available_engines", "load_engine"]

EngineName = Literal["rust", "python"]
DEFAULT_ENGINE: EngineName = "rust"
#: Known engine names and the distribution that provides each.
ENGINE_PACKAGES: dict[str, str] = {"rust": "bolt-rust", "python": "bolt-py"}
GROUP = "bolt_api.engines"


def available_engines() -> list[str]:
    """Names of the engines installed in this environment."""
    return sorted(ep.name for ep in entry_points(group=GROUP))


def load_engine(name: str) -> Engine:
    """An instance of the engine called ``name``; :class:`EngineNotFoundError` otherwise."""
    found = [ep for ep in entry_points(group=GROUP) if ep.name == name]
    if not found:
        if name in ENGINE_PACKAGES:
            raise EngineNotFoundError(
                f"The {name!r} engine is not installed: install the "
                f"'{ENGINE_PACKAGES[name]}' package (packages/{ENGINE_PACKAGES[name]})."
            )
        known = ", ".join(repr(n) for n in ENGINE_PACKAGES)
        raise EngineNotFoundError(f"Unknown engine {name!r}; choose one of {known}.")
    try:
        engine_cls = found[0].load()
    except ImportError as exc:
        raise EngineNotFoundError(
            f"The {name!r} engine is installed but failed to import: {exc}"
        ) from exc
    engine: Engine = engine_cls()
    return engine
