"""bolt-api's unit tests: their shared helpers (``bolt_api_fakes``) are found on ``sys.path``,
as bolt-django's suite finds its fake apps (``--import-mode=importlib`` imports test modules
without their folder on the path)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
