"""Response encoders, compiled once per route at registration.

:func:`compile_encoder` looks at what a route declares (``response_model=``, the return
annotation, ``status_code=``) and returns one function ``result -> (status, headers, body)``.
When the declared type is known the function checks one exact type and encodes; any other
value falls through to a lookup by ``type(result)`` — never a per-request ``isinstance``
ladder for the common case. A Django ``HttpResponse`` is passed through
(:mod:`bolt_api._django_responses`): found by type on that fallback path, or chosen at
registration when the route declares it, so other routes pay nothing for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, get_args, get_origin

import msgspec

from ._django_responses import (
    is_django_response,
    is_django_response_type,
    render_django_response,
)
from ._response import Response
from .engine import ResponseTuple
from .exceptions import ResponseValidationError

__all__ = ["STATIC_HEADERS", "ResponseValidationError", "compile_encoder", "encode_json"]

JSON_HEADERS: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)
TEXT_HEADERS: tuple[tuple[str, str], ...] = (("content-type", "text/plain; charset=utf-8"),)
OCTET_HEADERS: tuple[tuple[str, str], ...] = (("content-type", "application/octet-stream"),)
NO_HEADERS: tuple[tuple[str, str], ...] = ()
#: The tuples above, reused by every response that has them (``CompiledApp.static_headers``).
STATIC_HEADERS = (JSON_HEADERS, TEXT_HEADERS, OCTET_HEADERS)


def _enc_hook(value: Any) -> Any:
    if isinstance(value, str):  # str subclasses (e.g. Django's SafeString)
        return str(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise NotImplementedError(f"Objects of type {type(value).__name__} are not JSON serializable")


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook, decimal_format="number")
#: Encode a value to JSON bytes (datetime, date, time, UUID, Decimal, enums, dataclasses,
#: Structs are handled by msgspec natively).
encode_json: Callable[[Any], bytes] = _encoder.encode


Encoder = Callable[[Any], ResponseTuple]


def _generic(status: int) -> Encoder:
    """The fallback encoder: dispatch on ``type(result)``, then on ``Response``."""
    empty = status in (204, 304) or status < 200

    def encode_json_value(result: Any) -> ResponseTuple:
        return status, JSON_HEADERS, _encoder.encode(result)

    def encode_str(result: str) -> ResponseTuple:
        return status, TEXT_HEADERS, result.encode()

    def encode_bytes(result: bytes) -> ResponseTuple:
        return status, OCTET_HEADERS, bytes(result)

    def encode_none(result: None) -> ResponseTuple:
        if empty:
            return status, NO_HEADERS, b""
        return status, JSON_HEADERS, b"null"

    by_type: dict[type, Encoder] = {
        dict: encode_json_value,
        list: encode_json_value,
        str: encode_str,
        bytes: encode_bytes,
        bytearray: encode_bytes,
        type(None): encode_none,
    }

    def encode(result: Any) -> ResponseTuple:
        kind = type(result)
        if kind is dict or kind is list:  # the common case, without a call more
            return status, JSON_HEADERS, _encoder.encode(result)
        fn = by_type.get(kind)
        if fn is not None:
            return fn(result)
        if isinstance(result, Response):
            return result.render(_encoder.encode)
        if isinstance(result, str):
            return encode_str(result)
        if is_django_response(result):
            return render_django_response(result)
        dumper_of = getattr(kind, "__bolt_dumper__", None)  # a serializer: its output fields
        if dumper_of is not None and (dump := dumper_of()) is not None:
            result = dump(result)
        return encode_json_value(result)

    return encode


def _isinstance_ladder(status: int, response_type: Any) -> Encoder:
    """The encoder before the seed's optimisation: decide by ``isinstance`` every request."""

    def encode(result: Any) -> ResponseTuple:
        if isinstance(result, Response):
            return result.render(_encoder.encode)
        if is_django_response(result):
            return render_django_response(result)
        if response_type is not None and _needs_validation(response_type):
            try:
                result = msgspec.convert(result, response_type, from_attributes=True)
            except msgspec.ValidationError as exc:
                raise ResponseValidationError(repr(response_type), str(exc)) from None
        if isinstance(result, (bytes, bytearray)):
            return status, OCTET_HEADERS, bytes(result)
        if isinstance(result, str):
            return status, TEXT_HEADERS, result.encode()
        if result is None and (status in (204, 304) or status < 200):
            return status, NO_HEADERS, b""
        return status, JSON_HEADERS, _encoder.encode(result)

    return encode


_UNVALIDATED = (dict, list, str, bytes, object, Any, None, type(None))


def _needs_validation(tp: Any) -> bool:
    if tp in _UNVALIDATED or tp is Response:
        return False
    return not (isinstance(tp, type) and issubclass(tp, Response)) and not (
        is_django_response_type(tp)
    )


def _serializer_encoder(status: int, response_type: Any, generic: Encoder) -> Encoder | None:
    """The encoder of a route declaring a serializer ``S`` or ``list[S]``: a model instance
    (or a list of them) is read with ``S.from_model``, a mapping validated, and the output is
    ``S``'s (write-only fields left out, computed fields in). ``None`` for other types."""
    many = get_origin(response_type) is list and len(get_args(response_type)) == 1
    tp = get_args(response_type)[0] if many else response_type
    if not isinstance(tp, type) or getattr(tp, "__bolt_dumper__", None) is None:
        return None
    serializer: Any = tp
    dump = serializer.__bolt_dumper__()
    type_name = serializer.__name__

    def one(value: Any) -> Any:
        if not isinstance(value, serializer):
            try:
                if isinstance(value, Mapping):
                    value = msgspec.convert(value, serializer)
                else:
                    value = serializer.from_model(value)
            except (msgspec.ValidationError, AttributeError, TypeError) as exc:
                raise ResponseValidationError(type_name, str(exc)) from None
        return value if dump is None else dump(value)

    def encode_serializer(result: Any) -> ResponseTuple:
        if isinstance(result, Response) or is_django_response(result):
            return generic(result)
        if many:
            if isinstance(result, (str, bytes, Mapping)) or not hasattr(result, "__iter__"):
                raise ResponseValidationError(repr(response_type), "Expected `array`")
            return status, JSON_HEADERS, _encoder.encode([one(v) for v in result])
        return status, JSON_HEADERS, _encoder.encode(one(result))

    return encode_serializer


def compile_encoder(
    response_type: Any, status_code: int | None, *, ladder: bool = False
) -> Encoder:
    """Build the encoder for one route.

    ``response_type`` is ``response_model`` or the return annotation (``None``/``Any`` when
    undeclared). A declared type other than plain ``dict``/``list``/``str``/``bytes`` is
    validated with ``msgspec.convert`` before encoding; a mismatch raises
    :class:`ResponseValidationError`.
    """
    status = 200 if status_code is None else status_code
    if ladder:  # the benchmark's ``compiled_encoders`` ablation
        return _isinstance_ladder(status, response_type)
    generic = _generic(status)
    if is_django_response_type(response_type):  # ``-> HttpResponse``: the one check first

        def encode_django(result: Any) -> ResponseTuple:
            if is_django_response(result):
                return render_django_response(result)
            return generic(result)

        return encode_django
    serializer = _serializer_encoder(status, response_type, generic)
    if serializer is not None:
        return serializer
    if response_type is None or not _needs_validation(response_type):
        if response_type in (dict, list):
            exact = response_type

            def encode_exact(result: Any) -> ResponseTuple:
                if type(result) is exact:
                    return status, JSON_HEADERS, _encoder.encode(result)
                return generic(result)

            return encode_exact
        return generic

    type_name = getattr(response_type, "__name__", None) or repr(response_type)
    exact_type = response_type if isinstance(response_type, type) else None
    is_struct = exact_type is not None and issubclass(exact_type, msgspec.Struct)
    if is_struct:
        # The common case — a handler returning the Struct it declares — is encoded at once.
        def encode_struct(result: Any) -> ResponseTuple:
            if type(result) is exact_type:
                return status, JSON_HEADERS, _encoder.encode(result)
            return encode_validated(result)

    def encode_validated(result: Any) -> ResponseTuple:
        if isinstance(result, Response):
            return result.render(_encoder.encode)
        if is_django_response(result):
            return render_django_response(result)
        if exact_type is None or type(result) is not exact_type:
            try:
                result = msgspec.convert(result, response_type, from_attributes=True)
            except msgspec.ValidationError as exc:
                raise ResponseValidationError(type_name, str(exc)) from None
        return generic(result)

    if is_struct:
        return encode_struct
    return encode_validated
