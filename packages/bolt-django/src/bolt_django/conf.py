"""Django settings that shape the served API (read when ``runbolt`` starts).

* ``BOLT_COMPRESSION``: a ``CompressionConfig``; ``False`` turns compression off and ``None``
  means the defaults (``CompressionConfig()``), as in ``BoltAPI(compression=...)``; when
  absent the API's own ``compression=`` applies.
* ``BOLT_ALLOWED_FILE_PATHS``: directories ``FileResponse``/``File`` may serve from
  (absent: the API's own ``allowed_file_paths=``, by default any file).
* ``BOLT_MAX_PARAM_LENGTH``: the longest path/query/header/cookie/form value accepted, in
  characters (absent: the API's own ``max_param_length=``, by default 8192); 422 beyond.
* ``BOLT_AUTHENTICATION_CLASSES``: backend instances (``JWTAuthentication(...)``, ...) for the
  routes that declare no ``auth=`` (nor their router or API); ``auth=[]`` opts a route out.
* ``BOLT_DEFAULT_PERMISSION_CLASSES``: guard instances for the routes that declare no
  ``guards=`` (absent: none, which is django-bolt's ``[AllowAny()]``).
* django-cors-headers' ``CORS_*`` settings (``CORS_ALLOWED_ORIGINS``,
  ``CORS_ALLOWED_ORIGIN_REGEXES``, ``CORS_ALLOW_ALL_ORIGINS``, ``CORS_ALLOW_CREDENTIALS``,
  ``CORS_ALLOW_METHODS``, ``CORS_ALLOW_HEADERS``, ``CORS_EXPOSE_HEADERS``,
  ``CORS_PREFLIGHT_MAX_AGE``, ``CORS_ALLOW_PRIVATE_NETWORK``): the API's CORS policy, when
  it has no ``cors=`` of its own (:func:`bolt_api.cors.config_from_settings`).
* ``DEBUG``: whether a 500 shows the exception's type, message and traceback as JSON
  (``BoltAPI.debug``); Django's setting decides, whatever the API says, so that turning
  ``DEBUG`` off in production turns it off for Bolt too.
* ``ALLOWED_HOSTS`` (and ``USE_X_FORWARDED_HOST``), as Django enforces them: the hosts the
  API answers to, when it has no ``allowed_hosts=`` of its own; with ``DEBUG`` and an empty
  list, Django's ``.localhost``, ``127.0.0.1`` and ``[::1]`` (:func:`django_allowed_hosts`).
"""

from __future__ import annotations

from bolt_api import AllowedHosts, BoltAPI, CompressionConfig
from bolt_api.auth._access import check_auth, check_guards
from bolt_api.cors import config_from_settings
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["apply_settings", "django_allowed_hosts"]

#: What Django allows when ``DEBUG`` is on and ``ALLOWED_HOSTS`` is empty.
DEBUG_HOSTS = (".localhost", "127.0.0.1", "[::1]")


def django_allowed_hosts() -> AllowedHosts:
    """The hosts Django's own request handling would accept, from the settings."""
    setting = getattr(settings, "ALLOWED_HOSTS", ())
    if isinstance(setting, str):
        raise ImproperlyConfigured(f"ALLOWED_HOSTS must be a list of host names, got {setting!r}")
    hosts = list(setting)
    if not hosts and settings.DEBUG:
        hosts = list(DEBUG_HOSTS)
    forwarded = bool(getattr(settings, "USE_X_FORWARDED_HOST", False))
    try:
        return AllowedHosts(hosts, use_forwarded_host=forwarded)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"ALLOWED_HOSTS: {exc}") from None


def apply_settings(api: BoltAPI) -> None:
    """Apply the ``BOLT_*`` settings above to ``api`` (read by ``api.compile()``)."""
    if hasattr(settings, "BOLT_COMPRESSION"):
        value = settings.BOLT_COMPRESSION
        if value is None or value is False or isinstance(value, CompressionConfig):
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
        api.allowed_file_paths = paths
    if hasattr(settings, "BOLT_MAX_PARAM_LENGTH"):
        limit = settings.BOLT_MAX_PARAM_LENGTH
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1 << 20:
            raise ImproperlyConfigured(
                f"BOLT_MAX_PARAM_LENGTH must be an integer from 1 to 1048576, got {limit!r}"
            )
        api.max_param_length = limit
    if hasattr(settings, "BOLT_AUTHENTICATION_CLASSES"):
        try:
            api.default_auth = check_auth(
                settings.BOLT_AUTHENTICATION_CLASSES, "BOLT_AUTHENTICATION_CLASSES"
            )
        except TypeError as exc:
            raise ImproperlyConfigured(str(exc)) from None
    if hasattr(settings, "BOLT_DEFAULT_PERMISSION_CLASSES"):
        try:
            api.default_guards = check_guards(
                settings.BOLT_DEFAULT_PERMISSION_CLASSES, "BOLT_DEFAULT_PERMISSION_CLASSES"
            )
        except TypeError as exc:
            raise ImproperlyConfigured(str(exc)) from None
    if api.cors is None:
        try:
            api.cors = config_from_settings(settings)
        except (TypeError, ValueError) as exc:
            raise ImproperlyConfigured(f"CORS settings: {exc}") from None
    if api.allowed_hosts is None:
        api.allowed_hosts = django_allowed_hosts()
    api.debug = bool(settings.DEBUG)
