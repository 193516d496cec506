"""Django settings that shape the served API (read when ``runbolt`` starts).

* ``BOLT_COMPRESSION``: a ``CompressionConfig``, or ``None``/``False`` to turn compression off;
  when absent the API's own ``compression=`` applies.
* ``BOLT_ALLOWED_FILE_PATHS``: directories ``FileResponse``/``File`` may serve from
  (absent: any file).
"""

from __future__ import annotations

from bolt_api import BoltAPI, CompressionConfig
from bolt_api.files import configure_allowed_paths
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["apply_settings"]


def apply_settings(api: BoltAPI) -> None:
    """Apply the ``BOLT_*`` settings above to ``api`` (and to file serving)."""
    if hasattr(settings, "BOLT_COMPRESSION"):
        value = settings.BOLT_COMPRESSION
        if value is None or value is False:
            api.compression = False
        elif isinstance(value, CompressionConfig):
            api.compression = value
        else:
            raise ImproperlyConfigured(
                f"BOLT_COMPRESSION must be a CompressionConfig, None or False, got {value!r}"
            )
    if hasattr(settings, "BOLT_ALLOWED_FILE_PATHS"):
        paths = settings.BOLT_ALLOWED_FILE_PATHS
        if paths is not None and (
            isinstance(paths, (str, bytes)) or not all(isinstance(p, str) for p in paths)
        ):
            raise ImproperlyConfigured("BOLT_ALLOWED_FILE_PATHS must be a list of directories")
        configure_allowed_paths(paths)
