"""Encodings and classic ciphers: Base64, hashes, Roman numerals, number bases, Morse code and URL queries."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Literal
from urllib.parse import parse_qsl, urlencode

from api_registry.python_functions import api

CAT = "encoding"

_MORSE = {
    "A": ".-", "B": "-...", "C": "-.-.", "D": "-..", "E": ".", "F": "..-.", "G": "--.", "H": "....", "I": "..", "J": ".---",
    "K": "-.-", "L": ".-..", "M": "--", "N": "-.", "O": "---", "P": ".--.", "Q": "--.-", "R": ".-.", "S": "...", "T": "-",
    "U": "..-", "V": "...-", "W": ".--", "X": "-..-", "Y": "-.--", "Z": "--..", "0": "-----", "1": ".----", "2": "..---",
    "3": "...--", "4": "....-", "5": ".....", "6": "-....", "7": "--...", "8": "---..", "9": "----.", ".": ".-.-.-",
    ",": "--..--", "?": "..--..", "!": "-.-.--", "/": "-..-.", "@": ".--.-.", "-": "-....-", "'": ".----.",
}
_MORSE_REVERSE = {v: k for k, v in _MORSE.items()}
_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
          (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


@api(category=CAT, examples=[({"text": "hello world"}, "aGVsbG8gd29ybGQ="), ({"text": "subjects?_d", "url_safe": True}, "c3ViamVjdHM_X2Q=")])
def base64_encode_text(text: str, url_safe: bool = False) -> str:
    """Encode UTF-8 text as Base64.

    Args:
        text: The text to encode.
        url_safe: If true, use the URL-safe alphabet (- and _ instead of + and /).
    """
    raw = text.encode("utf-8")
    return (base64.urlsafe_b64encode(raw) if url_safe else base64.b64encode(raw)).decode("ascii")


@api(category=CAT, examples=[({"encoded": "aGVsbG8gd29ybGQ="}, "hello world"), ({"encoded": "c3ViamVjdHM_X2Q=", "url_safe": True}, "subjects?_d")],
     raises=[{"encoded": "not base64!!"}, {"encoded": "/w=="}])
def base64_decode_text(encoded: str, url_safe: bool = False) -> str:
    """Decode a Base64 string back to UTF-8 text; fails on malformed Base64 or non-UTF-8 bytes.

    Args:
        encoded: The Base64 text to decode.
        url_safe: If true, expect the URL-safe alphabet (- and _).
    """
    try:
        data = encoded.strip().encode("ascii")
        raw = base64.urlsafe_b64decode(data) if url_safe else base64.b64decode(data, validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeError) as exc:
        raise ValueError(f"cannot decode {encoded!r}: {exc}") from exc


@api(category=CAT, examples=[({"text": "Hello, World!", "shift": 3}, "Khoor, Zruog!"), ({"text": "Khoor, Zruog!", "shift": 3, "mode": "decrypt"}, "Hello, World!"),
                             ({"text": "xyz", "shift": 29}, "abc")])
def caesar_cipher(text: str, shift: int, mode: Literal["encrypt", "decrypt"] = "encrypt") -> str:
    """Encrypt or decrypt text with a Caesar cipher, shifting letters through the alphabet and leaving other characters intact.

    Args:
        text: The text to transform.
        shift: How many positions to shift each letter.
        mode: Whether to encrypt (shift forward) or decrypt (shift backward).
    """
    k = shift % 26 if mode == "encrypt" else -shift % 26
    out = []
    for c in text:
        if "a" <= c <= "z":
            out.append(chr((ord(c) - 97 + k) % 26 + 97))
        elif "A" <= c <= "Z":
            out.append(chr((ord(c) - 65 + k) % 26 + 65))
        else:
            out.append(c)
    return "".join(out)


@api(category=CAT, examples=[({"text": "ATTACK AT DAWN", "key": "LEMON"}, "LXFOPV EF RNHR"), ({"text": "LXFOPV EF RNHR", "key": "LEMON", "mode": "decrypt"}, "ATTACK AT DAWN")],
     raises=[{"text": "hello", "key": "k3y"}])
def vigenere_cipher(text: str, key: str, mode: Literal["encrypt", "decrypt"] = "encrypt") -> str:
    """Encrypt or decrypt text with the Vigenère cipher; the key advances only on letters and case is preserved.

    Args:
        text: The text to transform.
        key: The alphabetic key word.
        mode: Whether to encrypt or decrypt.
    """
    if not key or not key.isalpha():
        raise ValueError("key must be a non-empty alphabetic word")
    shifts = [ord(c) - 65 for c in key.upper()]
    out, i = [], 0
    for c in text:
        if c.isalpha() and c.isascii():
            s = shifts[i % len(shifts)] * (1 if mode == "encrypt" else -1)
            base = 65 if c.isupper() else 97
            out.append(chr((ord(c) - base + s) % 26 + base))
            i += 1
        else:
            out.append(c)
    return "".join(out)


@api(category=CAT, examples=[({"number": 1994}, "MCMXCIV"), ({"number": 2024}, "MMXXIV"), ({"number": 3999}, "MMMCMXCIX")],
     raises=[{"number": 0}, {"number": 4000}])
def integer_to_roman(number: int) -> str:
    """Convert an integer from 1 to 3999 to a Roman numeral.

    Args:
        number: The integer to convert, between 1 and 3999.
    """
    if not 1 <= number <= 3999:
        raise ValueError("number must be between 1 and 3999")
    out = []
    for value, sym in _ROMAN:
        count, number = divmod(number, value)
        out.append(sym * count)
    return "".join(out)


@api(category=CAT, examples=[({"numeral": "MCMXCIV"}, 1994), ({"numeral": "xlii"}, 42)], raises=[{"numeral": "IIII"}, {"numeral": "ABC"}])
def roman_to_integer(numeral: str) -> int:
    """Convert a Roman numeral (case-insensitive, standard subtractive form) to an integer.

    Args:
        numeral: The Roman numeral, e.g. MCMXCIV.
    """
    s = numeral.strip().upper()
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    if not s or any(c not in values for c in s):
        raise ValueError(f"invalid Roman numeral {numeral!r}")
    total = 0
    for i, c in enumerate(s):
        v = values[c]
        total += -v if i + 1 < len(s) and values[s[i + 1]] > v else v
    if not 1 <= total <= 3999 or integer_to_roman(total) != s:
        raise ValueError(f"{numeral!r} is not a canonical Roman numeral")
    return total


@api(category=CAT, examples=[({"number": "255", "from_base": 10, "to_base": 16}, "FF"), ({"number": "1010", "from_base": 2, "to_base": 10}, "10"),
                             ({"number": "-ff", "from_base": 16, "to_base": 2}, "-11111111"), ({"number": "z", "from_base": 36, "to_base": 8}, "43")],
     raises=[{"number": "129", "from_base": 2, "to_base": 10}, {"number": "10", "from_base": 1, "to_base": 10}])
def convert_number_base(number: str, from_base: int, to_base: int) -> str:
    """Convert an integer written in one base (2-36) to its representation in another base, using digits 0-9 and A-Z.

    Args:
        number: The integer as text in the source base, optionally with a leading minus sign.
        from_base: The base the number is written in, 2 to 36.
        to_base: The base to convert to, 2 to 36.
    """
    if not (2 <= from_base <= 36 and 2 <= to_base <= 36):
        raise ValueError("bases must be between 2 and 36")
    value = int(number.strip(), from_base)
    if value == 0:
        return "0"
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    sign, value = ("-", -value) if value < 0 else ("", value)
    out = []
    while value:
        value, r = divmod(value, to_base)
        out.append(digits[r])
    return sign + "".join(reversed(out))


@api(category=CAT, examples=[({"text": "SOS"}, "... --- ..."), ({"text": "Hi there"}, ".... .. / - .... . .-. .")], raises=[{"text": "50% off"}])
def text_to_morse(text: str) -> str:
    """Encode text as International Morse code, with letters separated by spaces and words by " / ".

    Args:
        text: The text to encode: letters, digits and common punctuation (. , ? ! / @ - ').
    """
    words = []
    for word in text.upper().split():
        try:
            words.append(" ".join(_MORSE[c] for c in word))
        except KeyError as exc:
            raise ValueError(f"character {exc.args[0]!r} has no Morse code") from exc
    return " / ".join(words)


@api(category=CAT, examples=[({"code": "... --- ..."}, "SOS"), ({"code": ".... .. / - .... . .-. ."}, "HI THERE")], raises=[{"code": "........"}])
def morse_to_text(code: str) -> str:
    """Decode International Morse code (letters separated by spaces, words by /) into uppercase text.

    Args:
        code: The Morse code to decode, using dots, dashes, spaces and slashes.
    """
    words = []
    for word in code.strip().split("/"):
        letters = word.split()
        try:
            words.append("".join(_MORSE_REVERSE[l] for l in letters))
        except KeyError as exc:
            raise ValueError(f"unknown Morse sequence {exc.args[0]!r}") from exc
    return " ".join(w for w in words if w)


@api(category=CAT, examples=[({"text": "hello"}, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
                             ({"text": "hello", "algorithm": "md5"}, "5d41402abc4b2a76b9719d911017c592")])
def hash_text(text: str, algorithm: Literal["md5", "sha1", "sha256", "sha512", "blake2b"] = "sha256") -> str:
    """Compute the hexadecimal digest of UTF-8 text with a hash function such as SHA-256 or MD5.

    Args:
        text: The text to hash.
        algorithm: The hash algorithm.
    """
    return hashlib.new(algorithm, text.encode("utf-8")).hexdigest()


@api(category=CAT, examples=[({"params": {"q": "hot dogs", "page": "2"}}, "q=hot+dogs&page=2"),
                             ({"params": {"city": "São Paulo", "lang": "pt"}, "sort_keys": True}, "city=S%C3%A3o+Paulo&lang=pt")])
def build_query_string(params: dict[str, str], sort_keys: bool = False) -> str:
    """Build a URL query string from parameters, percent-encoding special characters (spaces become +).

    Args:
        params: The query parameter names and values.
        sort_keys: If true, order parameters alphabetically by name.
    """
    items = sorted(params.items()) if sort_keys else list(params.items())
    return urlencode(items)


@api(category=CAT, examples=[({"query": "q=hot+dogs&page=2"}, {"q": "hot dogs", "page": "2"}), ({"query": "?a=1&b=%C3%A9t%C3%A9"}, {"a": "1", "b": "été"})],
     raises=[{"query": "a=1&a=2"}])
def parse_query_string(query: str) -> dict[str, str]:
    """Parse a URL query string into a name-to-value mapping, decoding percent escapes; repeated names are rejected.

    Args:
        query: The query string, with or without a leading question mark.
    """
    out: dict[str, str] = {}
    for key, value in parse_qsl(query.lstrip("?"), keep_blank_values=True):
        if key in out:
            raise ValueError(f"parameter {key!r} occurs more than once")
        out[key] = value
    return out
