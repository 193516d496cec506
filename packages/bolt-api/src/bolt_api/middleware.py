"""django-bolt's ``django_bolt.middleware`` names, so that its imports port unchanged.

``from django_bolt.middleware import cors, no_compress, rate_limit`` becomes
``from bolt_api.middleware import cors, no_compress, rate_limit``; the names live in
:mod:`bolt_api.cors`, :mod:`bolt_api.compression` and :mod:`bolt_api.ratelimit`.
"""

from __future__ import annotations

from .compression import no_compress
from .cors import cors
from .ratelimit import rate_limit

__all__ = ["cors", "no_compress", "rate_limit"]
