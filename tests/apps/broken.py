"""An app that fails while loading: a supervised server must stop and show why."""

raise ImportError("tests.apps.broken fails to load on purpose")
