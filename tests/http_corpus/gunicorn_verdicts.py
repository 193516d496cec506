"""Where Bolt's verdict on gunicorn's corpus differs from gunicorn's, and why.

``tests/test_corpus.py`` runs every ``gunicorn/valid/*.http`` and ``gunicorn/invalid/*.http``
case on both engines. By default a valid case must get an answer that is not a framing error
(the catalog app may well answer 404 or 405), an invalid one a framing error (400, 408, 413,
414, 431 or 501) after which the server closes the connection.

An HTTP/1.1 case without a ``Host`` header is run twice: as it is — Bolt answers 400, as RFC
9112 §3.2 requires (gunicorn accepts it) — and with ``Host: gunicorn.test`` added after the
request line (``<case>+host``), which must get gunicorn's verdict. Most of gunicorn's valid
requests lack a Host header, so this second run is the one that says something about them.

``DIFFERENT`` lists the cases deliberately *not* given gunicorn's verdict: no case is skipped,
these run with Bolt's own expected answer instead. A verdict is ``"ok"`` (not a framing
error), ``"drop"`` (no response: the connection is just closed) or a status.
"""

from __future__ import annotations

__all__ = ["DIFFERENT"]

_UNKNOWN_CODING = (
    "a transfer coding other than chunked (gzip, identity) is not implemented: "
    "501, as RFC 9112 §6.1 recommends (gunicorn passes it to the app)"
)
_METHOD = (
    "a method llhttp does not know (the Python engine's parser) is a 400 on both "
    "engines; gunicorn accepts any token (with permit_unconventional_http_method)"
)
_PROXY = (
    "the PROXY protocol is a gunicorn option (proxy_protocol) Bolt does not implement: "
    "without it the PROXY line is not a request line"
)
_CONNECT = "CONNECT (tunnelling) is not implemented: 501"
_LIMIT = (
    "within Bolt's default limits (8 KiB target, 64 KiB of header fields, 100 fields); "
    "gunicorn's defaults are smaller (4094-byte request line, 8190-byte field)"
)
_CONFIG = "fails only under a gunicorn setting of the case's own (tiny limits)"

DIFFERENT: dict[str, tuple[object, str]] = {
    # --- valid for gunicorn, not for Bolt ---------------------------------------------------
    "valid/025+host": (501, _UNKNOWN_CODING),
    "valid/025_line+host": (501, _UNKNOWN_CODING),
    "valid/029+host": (501, _UNKNOWN_CODING),
    "valid/030+host": (501, _UNKNOWN_CODING),
    "valid/rfc9112_smuggle_gzip_chunked_01": (501, _UNKNOWN_CODING),
    "valid/rfc9112_smuggle_te_identity_chunked_01": (501, _UNKNOWN_CODING),
    "valid/013+host": (
        400,
        "whitespace inside chunk extensions (BWS, RFC 9112 §7.1.1) is "
        "refused, as llhttp (the Python engine's parser) refuses it",
    ),
    "valid/099": (
        400,
        "the file's body is 8599 bytes once gunicorn's escapes are applied, "
        "its Content-Length 17914: with the client's end of stream, a body "
        "cut short (gunicorn's test reads no further than the data)",
    ),
    "valid/028+host": (
        400,
        "whitespace before the colon (gunicorn's strip_header_spaces "
        "compatibility setting): RFC 9112 §5.1 says 400",
    ),
    "valid/031+host": (400, _METHOD),
    "valid/031compat+host": (400, _METHOD),
    "valid/031compat2+host": (400, _METHOD),
    "valid/compat_obs_fold": (
        400,
        "obs-fold (gunicorn's permit_obsolete_folding setting) is a 400, as RFC 9112 §5.2 allows",
    ),
    "valid/compat_obs_fold_huge+host": (400, "obs-fold, see compat_obs_fold"),
    "valid/pp_01": (400, _PROXY),
    "valid/pp_02": (400, _PROXY),
    "valid/pp_04": (400, _PROXY),
    "valid/pp_05": (400, _PROXY),
    "valid/rfc9112_target_authority_connect_01": (501, _CONNECT),
    "valid/rfc9112_target_authority_ipv6_01": (501, _CONNECT),
    # --- invalid for gunicorn, not for Bolt -------------------------------------------------
    "invalid/001": (
        "drop",
        "a request head cut short by the client's end of stream is "
        "dropped without a response (the client is gone)",
    ),
    "invalid/006": ("ok", _LIMIT),
    "invalid/007": ("ok", _LIMIT),
    "invalid/008": ("ok", _LIMIT),
    "invalid/017+host": ("ok", _LIMIT),
    "invalid/limit_header_default_01": ("ok", _LIMIT),
    "invalid/010+host": ("ok", _CONFIG + " (limit_request_field_size=10)"),
    "invalid/011": ("ok", _CONFIG + " (limit_request_fields=2)"),
    "invalid/012": ("ok", _CONFIG + " (limit_request_field_size=98)"),
    "invalid/019+host": (
        "ok",
        "X-Forwarded-Proto against X-Forwarded-Ssl is gunicorn's "
        "forwarded_allow_ips check; trusted proxy headers are not the "
        "framing layer's business in Bolt",
    ),
    "invalid/040": (
        "ok",
        "header names with an underscore are dropped, not refused "
        "(gunicorn's header_map=refuse setting): Transfer_Encoding and "
        "Content_Length never reach the app",
    ),
    "invalid/chunked_07+host": (
        "ok",
        "Transfer_Encoding is dropped (see invalid/040); the request is plainly chunked",
    ),
    "invalid/rfc9112_leading_crlf_02": (
        "ok",
        "empty lines before a request line are skipped, "
        "as llhttp and httparse do (RFC 9112 §2.2: at "
        "least one SHOULD be)",
    ),
    "invalid/041": (
        "ok",
        "a repeated Content-Type is the app's business (the values are "
        "joined with ', '), not a framing error",
    ),
}
