"""bolt-py refuses a ``ServerConfig`` it cannot honour the way the Rust engine does, so that
the engines keep one set of limits (a config is never served with another limit)."""

from __future__ import annotations

import pytest
from bolt_api.engine import MAX_URI_SIZE, ServerConfig
from bolt_py._server import _check


def test_max_uri_size_beyond_what_the_rust_engine_takes_is_refused() -> None:
    _check(ServerConfig(max_uri_size=MAX_URI_SIZE))
    with pytest.raises(ValueError, match="max_uri_size must be at most 65534"):
        _check(ServerConfig(max_uri_size=MAX_URI_SIZE + 1))


@pytest.mark.parametrize("field", ["body_timeout", "body_min_rate", "body_rate_grace"])
def test_negative_body_clock_settings_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match=f"{field} must be >= 0"):
        _check(ServerConfig(**{field: -1}))
