"""``python -m bolt_api serve module:api``."""

from .server import main

raise SystemExit(main())
