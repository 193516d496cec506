"""``BOLT_COMPRESSION`` and ``BOLT_ALLOWED_FILE_PATHS`` reach the served API."""

from __future__ import annotations

import pytest
from bolt_api import BoltAPI, CompressionConfig
from bolt_api import files as bolt_files
from bolt_django.conf import apply_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings


def test_compression_setting_wins_over_the_api() -> None:
    api = BoltAPI(compression=CompressionConfig(backend="gzip", minimum_size=10))
    config = CompressionConfig(minimum_size=2000)
    with override_settings(BOLT_COMPRESSION=config):
        apply_settings(api)
    assert api.compression is config
    for off in (None, False):
        with override_settings(BOLT_COMPRESSION=off):
            apply_settings(api)
        assert api.compression is False


def test_compression_absent_keeps_the_api_choice() -> None:
    api = BoltAPI(compression=False)
    apply_settings(api)
    assert api.compression is False


def test_bad_settings_are_refused() -> None:
    with override_settings(BOLT_COMPRESSION="gzip"), pytest.raises(ImproperlyConfigured):
        apply_settings(BoltAPI())
    with override_settings(BOLT_ALLOWED_FILE_PATHS="/srv"), pytest.raises(ImproperlyConfigured):
        apply_settings(BoltAPI())


def test_allowed_file_paths(tmp_path: object) -> None:
    try:
        with override_settings(BOLT_ALLOWED_FILE_PATHS=[str(tmp_path)]):
            apply_settings(BoltAPI())
        with pytest.raises(PermissionError):
            bolt_files._checked_path("/etc/hostname")
    finally:
        bolt_files.configure_allowed_paths(None)
