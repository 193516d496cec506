"""Constrained type aliases (django-bolt's names): ``Annotated`` msgspec types, checked by
msgspec's C decoder on every request body and shown in the OpenAPI schema."""

from __future__ import annotations

import uuid
from typing import Annotated

from msgspec import Meta

__all__ = [
    "IP",
    "URL",
    "UUID",
    "Char50",
    "Char100",
    "Char150",
    "Char200",
    "Char255",
    "Char500",
    "Char1000",
    "CountryCode",
    "CurrencyCode",
    "Email",
    "HexColor",
    "HttpsURL",
    "IPv4",
    "IPv6",
    "LanguageCode",
    "Latitude",
    "Longitude",
    "NegativeInt",
    "NonEmptyStr",
    "NonNegativeFloat",
    "NonNegativeInt",
    "Password",
    "Percentage",
    "Phone",
    "Port",
    "PositiveFloat",
    "PositiveInt",
    "Rating",
    "Slug",
    "Text",
    "Timezone",
    "Username",
]

_IPV4 = r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV6 = r"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|" + _IPV4 + r")"

Email = Annotated[
    str,
    Meta(
        max_length=254,
        pattern=r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$",
        description="An email address",
        examples=["user@example.com"],
    ),
]
URL = Annotated[
    str,
    Meta(
        max_length=2048, pattern=r"^https?://[^\s/$.?#][^\s]*$", extra_json_schema={"format": "uri"}
    ),
]
HttpsURL = Annotated[
    str,
    Meta(
        max_length=2048, pattern=r"^https://[^\s/$.?#][^\s]*$", extra_json_schema={"format": "uri"}
    ),
]
Slug = Annotated[str, Meta(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
UUID = uuid.UUID
PositiveInt = Annotated[int, Meta(gt=0)]
NonNegativeInt = Annotated[int, Meta(ge=0)]
NegativeInt = Annotated[int, Meta(lt=0)]
PositiveFloat = Annotated[float, Meta(gt=0)]
NonNegativeFloat = Annotated[float, Meta(ge=0)]
Char50 = Annotated[str, Meta(max_length=50)]
Char100 = Annotated[str, Meta(max_length=100)]
Char150 = Annotated[str, Meta(max_length=150)]
Char200 = Annotated[str, Meta(max_length=200)]
Char255 = Annotated[str, Meta(max_length=255)]
Char500 = Annotated[str, Meta(max_length=500)]
Char1000 = Annotated[str, Meta(max_length=1000)]
Text = str
NonEmptyStr = Annotated[str, Meta(min_length=1)]
IPv4 = Annotated[str, Meta(pattern=f"^{_IPV4}$", extra_json_schema={"format": "ipv4"})]
IPv6 = Annotated[str, Meta(pattern=f"^{_IPV6}$", extra_json_schema={"format": "ipv6"})]
IP = Annotated[str, Meta(pattern=f"^(?:{_IPV4}|{_IPV6})$")]
Port = Annotated[int, Meta(ge=1, le=65535)]
Phone = Annotated[str, Meta(pattern=r"^\+?[1-9]\d{6,14}$", description="E.164 phone number")]
HexColor = Annotated[str, Meta(pattern=r"^#(?:[0-9a-fA-F]{3}){1,2}$")]
CountryCode = Annotated[str, Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
CurrencyCode = Annotated[str, Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217")]
LanguageCode = Annotated[str, Meta(pattern=r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")]
Timezone = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+\-/]+$")]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
Percentage = Annotated[float, Meta(ge=0, le=100)]
Rating = Annotated[int, Meta(ge=1, le=5)]
Username = Annotated[str, Meta(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")]
Password = Annotated[str, Meta(min_length=8, max_length=128)]
