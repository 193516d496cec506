"""``python -m bolt_api serve module:api``."""

from .cli import main

raise SystemExit(main())
