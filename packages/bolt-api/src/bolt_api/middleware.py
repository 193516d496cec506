"""django-bolt's ``django_bolt.middleware`` names, so that its imports port unchanged.

``from django_bolt.middleware import cors, no_compress`` becomes
``from bolt_api.middleware import cors, no_compress``; the names live in
:mod:`bolt_api.cors` and :mod:`bolt_api.compression`.
"""

from __future__ import annotations

from .compression import no_compress
from .cors import cors

__all__ = ["cors", "no_compress"]
