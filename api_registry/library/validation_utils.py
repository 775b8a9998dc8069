"""Validators for common identifiers and formats: emails, card numbers, ISBNs, IBANs, phone numbers, UUIDs and passwords."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Literal

from api_registry.python_functions import api

CAT = "validation"


@api(category=CAT, examples=[({"email": "jane.doe@example.com"}, {"valid": True, "reason": "ok"}),
                             ({"email": "jane.doe@example"}, {"valid": False, "reason": "domain must contain a dot-separated top-level domain"}),
                             ({"email": "a..b@example.com"}, {"valid": False, "reason": "local part has consecutive or edge dots"})])
def validate_email_address(email: str) -> dict[str, bool | str]:
    """Check whether an email address is syntactically valid and explain why not when it is invalid.

    Args:
        email: The email address to check.
    """
    if email.count("@") != 1:
        return {"valid": False, "reason": "address must contain exactly one @"}
    local, domain = email.split("@")
    if not local or len(local) > 64:
        return {"valid": False, "reason": "local part must be 1 to 64 characters"}
    if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+", local):
        return {"valid": False, "reason": "local part contains invalid characters"}
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return {"valid": False, "reason": "local part has consecutive or edge dots"}
    labels = domain.split(".")
    if len(labels) < 2 or not re.fullmatch(r"[A-Za-z]{2,63}", labels[-1]):
        return {"valid": False, "reason": "domain must contain a dot-separated top-level domain"}
    if any(not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?", lab) for lab in labels):
        return {"valid": False, "reason": "domain has an invalid label"}
    return {"valid": True, "reason": "ok"}


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


@api(category=CAT, examples=[({"number": "4111 1111 1111 1111"}, {"valid": True, "brand": "visa", "luhn_ok": True}),
                             ({"number": "5500-0000-0000-0004"}, {"valid": True, "brand": "mastercard", "luhn_ok": True}),
                             ({"number": "1234567812345678"}, {"valid": False, "brand": "unknown", "luhn_ok": False})],
     raises=[{"number": "4111-abcd-1111"}])
def validate_credit_card_number(number: str) -> dict[str, bool | str]:
    """Validate a payment card number with the Luhn checksum and identify its brand from the number prefix.

    Args:
        number: The card number; spaces and hyphens are allowed as separators.
    """
    digits = re.sub(r"[\s-]", "", number)
    if not digits.isdigit():
        raise ValueError("card number may contain only digits, spaces and hyphens")
    brand = "unknown"
    if re.match(r"4", digits) and len(digits) in (13, 16, 19):
        brand = "visa"
    elif re.match(r"5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720)", digits) and len(digits) == 16:
        brand = "mastercard"
    elif re.match(r"3[47]", digits) and len(digits) == 15:
        brand = "amex"
    elif re.match(r"6(011|5)", digits) and len(digits) == 16:
        brand = "discover"
    luhn = _luhn_ok(digits)
    return {"valid": luhn and brand != "unknown", "brand": brand, "luhn_ok": luhn}


@api(category=CAT, examples=[({"isbn": "978-0-306-40615-7"}, {"valid": True, "format": "ISBN-13"}), ({"isbn": "0-306-40615-2"}, {"valid": True, "format": "ISBN-10"}),
                             ({"isbn": "0-306-40615-3"}, {"valid": False, "format": "ISBN-10"}), ({"isbn": "12345"}, {"valid": False, "format": "unknown"})])
def validate_isbn(isbn: str) -> dict[str, bool | str]:
    """Validate an ISBN-10 or ISBN-13 book number by its check digit; hyphens and spaces are ignored.

    Args:
        isbn: The ISBN to check, e.g. 978-0-306-40615-7.
    """
    s = re.sub(r"[\s-]", "", isbn).upper()
    if re.fullmatch(r"\d{9}[\dX]", s):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(s))
        return {"valid": total % 11 == 0, "format": "ISBN-10"}
    if re.fullmatch(r"\d{13}", s):
        total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(s))
        return {"valid": total % 10 == 0, "format": "ISBN-13"}
    return {"valid": False, "format": "unknown"}


_IBAN_LENGTHS = {"DE": 22, "GB": 22, "FR": 27, "ES": 24, "IT": 27, "NL": 18, "BE": 16, "CH": 21, "AT": 20, "PL": 28,
                 "SE": 24, "NO": 15, "DK": 18, "FI": 18, "IE": 22, "PT": 25}


@api(category=CAT, examples=[({"iban": "GB82 WEST 1234 5698 7654 32"}, {"valid": True, "country": "GB", "reason": "ok"}),
                             ({"iban": "DE89370400440532013000"}, {"valid": True, "country": "DE", "reason": "ok"}),
                             ({"iban": "DE89370400440532013001"}, {"valid": False, "country": "DE", "reason": "checksum mismatch"})])
def validate_iban(iban: str) -> dict[str, bool | str]:
    """Validate an International Bank Account Number: country length and the ISO 13616 mod-97 checksum.

    Args:
        iban: The IBAN, with or without spaces.
    """
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{1,30}", s):
        return {"valid": False, "country": s[:2], "reason": "malformed IBAN"}
    country = s[:2]
    if country in _IBAN_LENGTHS and len(s) != _IBAN_LENGTHS[country]:
        return {"valid": False, "country": country, "reason": f"length must be {_IBAN_LENGTHS[country]} for {country}"}
    rearranged = s[4:] + s[:4]
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    if int(numeric) % 97 != 1:
        return {"valid": False, "country": country, "reason": "checksum mismatch"}
    return {"valid": True, "country": country, "reason": "ok"}


@api(category=CAT, examples=[({"password": "Tr0ub4dor&3"}, {"score": 5, "strength": "strong", "issues": []}),
                             ({"password": "password"}, {"score": 2, "strength": "weak", "issues": ["no uppercase letter", "no digit", "no symbol"]}),
                             ({"password": "Abc123!", "min_length": 10}, {"score": 4, "strength": "medium", "issues": ["shorter than 10 characters"]})],
     raises=[{"password": "abc", "min_length": 0}])
def validate_password_strength(password: str, min_length: int = 8) -> dict[str, int | str | list[str]]:
    """Score a password from 0 to 5 on length, letter case, digits and symbols, and list what is missing.

    Args:
        password: The password to evaluate.
        min_length: The minimum acceptable length; must be positive.
    """
    if min_length < 1:
        raise ValueError("min_length must be positive")
    checks = [(len(password) >= min_length, f"shorter than {min_length} characters"),
              (bool(re.search(r"[a-z]", password)), "no lowercase letter"),
              (bool(re.search(r"[A-Z]", password)), "no uppercase letter"),
              (bool(re.search(r"\d", password)), "no digit"),
              (bool(re.search(r"[^A-Za-z0-9]", password)), "no symbol")]
    score = sum(ok for ok, _ in checks)
    strength = "strong" if score == 5 else "medium" if score >= 3 else "weak"
    return {"score": score, "strength": strength, "issues": [msg for ok, msg in checks if not ok]}


@api(category=CAT, examples=[({"number": "+14155552671"}, {"valid": True, "country_code": "1", "national_number": "4155552671"}),
                             ({"number": "+44 20 7946 0958"}, {"valid": True, "country_code": "44", "national_number": "2079460958"}),
                             ({"number": "4155552671"}, {"valid": False, "country_code": "", "national_number": ""})])
def validate_e164_phone_number(number: str) -> dict[str, bool | str]:
    """Check whether a phone number is in international E.164 form (+ and up to 15 digits) and split off a known country code.

    Args:
        number: The phone number; spaces, dots, hyphens and parentheses are ignored.
    """
    s = re.sub(r"[\s().-]", "", number)
    if not re.fullmatch(r"\+[1-9]\d{6,14}", s):
        return {"valid": False, "country_code": "", "national_number": ""}
    digits = s[1:]
    known = ["1", "7", "20", "27", "30", "31", "33", "34", "39", "41", "44", "49", "52", "55", "61", "81", "82", "86", "91", "234", "351", "353", "966"]
    code = next((c for c in sorted(known, key=len, reverse=True) if digits.startswith(c)), digits[:1])
    return {"valid": True, "country_code": code, "national_number": digits[len(code):]}


@api(category=CAT, examples=[({"value": "123e4567-e89b-12d3-a456-426614174000"}, {"valid": True, "version": 1}),
                             ({"value": "f47ac10b-58cc-4372-a567-0e02b2c3d479", "version": 4}, {"valid": True, "version": 4}),
                             ({"value": "f47ac10b-58cc-4372-a567-0e02b2c3d479", "version": 1}, {"valid": False, "version": 4}),
                             ({"value": "not-a-uuid"}, {"valid": False, "version": 0})],
     raises=[{"value": "f47ac10b-58cc-4372-a567-0e02b2c3d479", "version": 9}])
def validate_uuid(value: str, version: int | None = None) -> dict[str, bool | int]:
    """Check whether a string is a canonical hyphenated UUID, report its version, and optionally require a specific version.

    Args:
        value: The UUID string, e.g. f47ac10b-58cc-4372-a567-0e02b2c3d479.
        version: If given, the required UUID version, 1 to 8.
    """
    if version is not None and not 1 <= version <= 8:
        raise ValueError("version must be between 1 and 8")
    if not re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", value):
        return {"valid": False, "version": 0}
    found = int(value[14], 16)
    ok = uuid.UUID(value) is not None and (version is None or found == version)
    return {"valid": ok, "version": found}


@api(category=CAT, examples=[({"value": "2024-02-29"}, True), ({"value": "2023-02-29"}, False),
                             ({"value": "31/12/2024", "date_format": "dd/mm/yyyy"}, True), ({"value": "12/31/2024", "date_format": "dd/mm/yyyy"}, False)])
def validate_date_string(value: str, date_format: Literal["yyyy-mm-dd", "dd/mm/yyyy", "mm/dd/yyyy", "dd.mm.yyyy"] = "yyyy-mm-dd") -> bool:
    """Check whether a string is a real calendar date in the given layout (rejecting impossible dates such as 2023-02-29).

    Args:
        value: The date text to check.
        date_format: The expected layout of the date.
    """
    fmt = {"yyyy-mm-dd": "%Y-%m-%d", "dd/mm/yyyy": "%d/%m/%Y", "mm/dd/yyyy": "%m/%d/%Y", "dd.mm.yyyy": "%d.%m.%Y"}[date_format]
    pattern = {"yyyy-mm-dd": r"\d{4}-\d{2}-\d{2}", "dd/mm/yyyy": r"\d{2}/\d{2}/\d{4}", "mm/dd/yyyy": r"\d{2}/\d{2}/\d{4}",
               "dd.mm.yyyy": r"\d{2}\.\d{2}\.\d{4}"}[date_format]
    if not re.fullmatch(pattern, value):
        return False
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True
