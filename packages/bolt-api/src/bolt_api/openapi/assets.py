"""The documentation UIs' JavaScript and CSS, found in installed PyPI packages.

No UI is loaded from a CDN: each :class:`AssetBundle` names the packages known to ship its
files and where inside them, and the first installed one that has every required file is
used. Packages are located with :func:`importlib.util.find_spec` and never imported, so a
package that ships a UI for another framework (Flask, Django) costs nothing at run time.

=========== ======================================================= =========================
UI          packages searched, in order                             installed by
=========== ======================================================= =========================
Swagger UI  ``openapi-ui-bundles``, ``drf-spectacular-sidecar``     ``bolt-api`` (dependency)
ReDoc       ``openapi-ui-bundles``, ``drf-spectacular-sidecar``     ``bolt-api`` (dependency)
RapiDoc     ``openapi-ui-bundles``                                  ``bolt-api`` (dependency)
Scalar      ``flask-openapi-scalar``, ``flask-openapi3-scalar``,    ``bolt-api[scalar]``
            ``star-openapi-scalar``
Stoplight   ``flask-openapi-elements``, ``flask-openapi3-elements``, ``bolt-api[stoplight]``
Elements    ``star-openapi-elements``
=========== ======================================================= =========================
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["RAPIDOC", "REDOC", "SCALAR", "STOPLIGHT", "SWAGGER_UI", "AssetBundle", "content_type"]

_CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
}


def content_type(name: str) -> str:
    """The ``Content-Type`` for a static file name."""
    return _CONTENT_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def _package_dir(package: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass(eq=False)
class AssetBundle:
    """One UI's static files: the names it needs and the packages that may ship them."""

    name: str
    #: ``(import name, folder inside the package)`` candidates, first match wins.
    providers: tuple[tuple[str, str], ...]
    #: Files the UI cannot work without.
    required: tuple[str, ...]
    #: Files served when present (favicons, licences).
    optional: tuple[str, ...] = ()
    #: What to install when no provider is found.
    install_hint: str = ""
    _resolved: dict[str, Path] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def files(self) -> dict[str, Path]:
        """File name -> path on disk; empty when no installed package ships the UI."""
        if self._resolved is None:
            with self._lock:
                if self._resolved is None:
                    self._resolved = self._resolve()
        return self._resolved

    def _resolve(self) -> dict[str, Path]:
        for package, folder in self.providers:
            base = _package_dir(package)
            if base is None:
                continue
            root = base / folder
            if all((root / name).is_file() for name in self.required):
                found = {name: root / name for name in self.required}
                found.update(
                    {name: root / name for name in self.optional if (root / name).is_file()}
                )
                return found
        return {}

    @property
    def available(self) -> bool:
        return bool(self.files())

    def provider(self) -> str | None:
        """The import name of the package the files come from (for diagnostics)."""
        for package, folder in self.providers:
            base = _package_dir(package)
            if base is not None and all((base / folder / n).is_file() for n in self.required):
                return package
        return None


SWAGGER_UI = AssetBundle(
    "swagger-ui",
    providers=(
        ("openapi_ui_bundles", "swagger_ui/vendor"),
        ("drf_spectacular_sidecar", "static/drf_spectacular_sidecar/swagger-ui-dist"),
    ),
    required=("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"),
    optional=("favicon-32x32.png",),
    install_hint="pip install openapi-ui-bundles",
)
REDOC = AssetBundle(
    "redoc",
    providers=(
        ("openapi_ui_bundles", "redoc/vendor"),
        ("drf_spectacular_sidecar", "static/drf_spectacular_sidecar/redoc/bundles"),
    ),
    required=("redoc.standalone.js",),
    install_hint="pip install openapi-ui-bundles",
)
RAPIDOC = AssetBundle(
    "rapidoc",
    providers=(("openapi_ui_bundles", "rapidoc/vendor"),),
    required=("rapidoc-min.js",),
    install_hint="pip install openapi-ui-bundles",
)
SCALAR = AssetBundle(
    "scalar",
    providers=(
        ("flask_openapi_scalar", "templates/scalar/js"),
        ("flask_openapi3_scalar", "templates/scalar/js"),
        ("star_openapi_scalar", "templates/scalar/js"),
    ),
    required=("scalar.standalone.js",),
    install_hint="pip install 'bolt-api[scalar]'",
)
STOPLIGHT = AssetBundle(
    "elements",
    providers=(
        ("flask_openapi_elements", "templates/elements"),
        ("flask_openapi3_elements", "templates/elements"),
        ("star_openapi_elements", "templates/elements"),
    ),
    required=("js/web-components.min.js", "css/styles.min.css"),
    install_hint="pip install 'bolt-api[stoplight]'",
)
