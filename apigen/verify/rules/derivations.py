"""Values a person derives from the query although the query does not write them.

A well-known code or name for a named entity ("Germany" -> "DE"/"DEU", "yen" -> "JPY", "Spanish" ->
"es", "California" -> "CA", "Heathrow" -> "LHR", "Microsoft" -> "MSFT", "capital of France" -> "Paris"), a date computed from a date the
query states ("3 days after 2024-03-01" -> 2024-03-04), and a unit conversion ("5 miles" -> 8.05 km,
"100 F" -> 37.8 C). These are grounded: people label them derivable. The tables are small on purpose:
what they miss is *undecided*, not failed, so the judge sees it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from apigen.verify.rules.query import QueryIndex

_COUNTRIES = """afghanistan:af:afg argentina:ar:arg australia:au:aus austria:at:aut bangladesh:bd:bgd belgium:be:bel
brazil:br:bra canada:ca:can chile:cl:chl china:cn:chn colombia:co:col croatia:hr:hrv czechia:cz:cze
czech_republic:cz:cze denmark:dk:dnk egypt:eg:egy england:gb:gbr finland:fi:fin france:fr:fra germany:de:deu
greece:gr:grc hong_kong:hk:hkg hungary:hu:hun iceland:is:isl india:in:ind indonesia:id:idn iran:ir:irn
iraq:iq:irq ireland:ie:irl israel:il:isr italy:it:ita japan:jp:jpn kenya:ke:ken south_korea:kr:kor korea:kr:kor
malaysia:my:mys mexico:mx:mex morocco:ma:mar netherlands:nl:nld holland:nl:nld new_zealand:nz:nzl nigeria:ng:nga
norway:no:nor pakistan:pk:pak peru:pe:per philippines:ph:phl poland:pl:pol portugal:pt:prt qatar:qa:qat
romania:ro:rou russia:ru:rus saudi_arabia:sa:sau singapore:sg:sgp south_africa:za:zaf spain:es:esp
sweden:se:swe switzerland:ch:che taiwan:tw:twn thailand:th:tha turkey:tr:tur ukraine:ua:ukr
united_arab_emirates:ae:are uae:ae:are united_kingdom:gb:gbr uk:gb:gbr britain:gb:gbr great_britain:gb:gbr
united_states:us:usa usa:us:usa america:us:usa vietnam:vn:vnm"""
_CURRENCIES = """dollar:usd us_dollar:usd euro:eur pound:gbp sterling:gbp yen:jpy yuan:cny renminbi:cny rupee:inr
indian_rupee:inr canadian_dollar:cad australian_dollar:aud swiss_franc:chf franc:chf peso:mxn mexican_peso:mxn
real:brl brazilian_real:brl won:krw ruble:rub rouble:rub lira:try rand:zar krona:sek krone:nok zloty:pln
singapore_dollar:sgd hong_kong_dollar:hkd new_zealand_dollar:nzd dirham:aed riyal:sar baht:thb bitcoin:btc
ethereum:eth ether:eth dogecoin:doge litecoin:ltc ripple:xrp solana:sol cardano:ada tether:usdt"""
_LANGUAGES = """english:en spanish:es french:fr german:de italian:it portuguese:pt dutch:nl russian:ru chinese:zh
mandarin:zh japanese:ja korean:ko arabic:ar hindi:hi turkish:tr polish:pl swedish:sv greek:el hebrew:he
vietnamese:vi thai:th indonesian:id ukrainian:uk czech:cs danish:da finnish:fi norwegian:no bengali:bn"""
_US_STATES = """alabama:al alaska:ak arizona:az arkansas:ar california:ca colorado:co connecticut:ct delaware:de
florida:fl georgia:ga hawaii:hi idaho:id illinois:il indiana:in iowa:ia kansas:ks kentucky:ky louisiana:la
maine:me maryland:md massachusetts:ma michigan:mi minnesota:mn mississippi:ms missouri:mo montana:mt
nebraska:ne nevada:nv new_hampshire:nh new_jersey:nj new_mexico:nm new_york:ny north_carolina:nc
north_dakota:nd ohio:oh oklahoma:ok oregon:or pennsylvania:pa rhode_island:ri south_carolina:sc
south_dakota:sd tennessee:tn texas:tx utah:ut vermont:vt virginia:va washington:wa west_virginia:wv
wisconsin:wi wyoming:wy"""
_AIRPORTS = """heathrow:lhr gatwick:lgw jfk:jfk kennedy:jfk laguardia:lga newark:ewr los_angeles:lax lax:lax
san_francisco:sfo chicago:ord o_hare:ord atlanta:atl dallas:dfw denver:den seattle:sea miami:mia boston:bos
paris:cdg charles_de_gaulle:cdg orly:ory frankfurt:fra munich:muc amsterdam:ams schiphol:ams madrid:mad
barcelona:bcn rome:fco dubai:dxb singapore:sin tokyo:hnd narita:nrt haneda:hnd hong_kong:hkg sydney:syd
beijing:pek shanghai:pvg istanbul:ist toronto:yyz zurich:zrh vienna:vie delhi:del mumbai:bom"""
_TICKERS = """apple:aapl microsoft:msft google:googl alphabet:googl amazon:amzn tesla:tsla meta:meta facebook:meta
netflix:nflx nvidia:nvda intel:intc amd:amd ibm:ibm oracle:orcl salesforce:crm adobe:adbe paypal:pypl
uber:uber airbnb:abnb disney:dis walmart:wmt coca_cola:ko pepsico:pep mcdonald:mcd nike:nke boeing:ba
jpmorgan:jpm goldman_sachs:gs visa:v mastercard:ma exxon:xom chevron:cvx pfizer:pfe johnson_johnson:jnj
alibaba:baba spotify:spot twitter:twtr starbucks:sbux berkshire:brk"""

_CAPITALS = """france:paris germany:berlin italy:rome spain:madrid portugal:lisbon united_kingdom:london england:london
japan:tokyo china:beijing india:new_delhi russia:moscow canada:ottawa australia:canberra brazil:brasilia
mexico:mexico_city egypt:cairo kenya:nairobi nigeria:abuja south_korea:seoul thailand:bangkok vietnam:hanoi
netherlands:amsterdam belgium:brussels austria:vienna switzerland:bern sweden:stockholm norway:oslo
denmark:copenhagen finland:helsinki poland:warsaw greece:athens turkey:ankara ireland:dublin argentina:buenos_aires
united_states:washington usa:washington peru:lima chile:santiago colombia:bogota indonesia:jakarta"""


def _table(text: str) -> dict[str, set[str]]:
    """name -> codes, and code -> names (a value may be either side)."""
    pairs: dict[str, set[str]] = {}
    for entry in text.split():
        name, *codes = entry.split(":")
        name = name.replace("_", " ")
        for code in codes:
            pairs.setdefault(name, set()).add(code)
            pairs.setdefault(code, set()).add(name)
    return pairs


_KNOWN: dict[str, set[str]] = {}
for _text in (_COUNTRIES, _CURRENCIES, _LANGUAGES, _US_STATES, _AIRPORTS, _TICKERS, _CAPITALS):
    for _key, _values in _table(_text).items():
        _KNOWN.setdefault(_key, set()).update(_values)


def known_code(value: str, q: QueryIndex) -> bool:
    """``value`` is the well-known code of something the query names, or the name of a code it gives."""
    low = " ".join(re.findall(r"[a-z]+", value.lower()))
    if not low or len(low) > 40:
        return False
    for name in _KNOWN.get(low, ()):
        if q.says(name) or (" " not in name and q.has_word(name)):
            return True
        if " " not in name and len(name) <= 3 and q.says(".".join(name)):  # "U.S." for "US"/"USA"
            return True
    return False


# Conversions between units a person does in their head: (unit words, unit words, factor) for b = a * factor.
_CONVERSIONS = (
    (("mile", "miles", "mi"), ("km", "kilometer", "kilometers", "kilometre", "kilometres"), 1.609344),
    (("pound", "pounds", "lb", "lbs"), ("kg", "kilogram", "kilograms"), 0.45359237),
    (("inch", "inches", "in"), ("cm", "centimeter", "centimeters"), 2.54),
    (("foot", "feet", "ft"), ("m", "meter", "meters", "metre", "metres"), 0.3048),
    (("gallon", "gallons", "gal"), ("l", "liter", "liters", "litre", "litres"), 3.785411784),
    (("ounce", "ounces", "oz"), ("g", "gram", "grams"), 28.349523125),
    (("mph",), ("kmh", "kph"), 1.609344),
    (("yard", "yards", "yd"), ("m", "meter", "meters"), 0.9144),
    (("kg", "kilogram", "kilograms"), ("g", "gram", "grams"), 1000.0),
    (("km", "kilometer", "kilometers"), ("m", "meter", "meters"), 1000.0),
    (("m", "meter", "meters"), ("cm", "centimeter", "centimeters"), 100.0),
    (("l", "liter", "liters", "litre", "litres"), ("ml", "milliliter", "milliliters"), 1000.0),
)
_QUANTITY = re.compile(r"(?<![\d.])(-?\d+(?:\.\d+)?)\s*(?:°\s*)?([a-z]+)\b")
_DEGREES = re.compile(r"(?<![\d.])(-?\d+(?:\.\d+)?)\s*(?:°|degrees?)?\s*(f|c|fahrenheit|celsius)\b")


def _near(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0.015, abs_tol=0.051)


_SCIENTIFIC = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)\s*(?:e|x\s*10\^?|\*\s*10\s*\*\*)\s*([-+]?\d{1,3})\b")
_SI_PREFIX = {"p": 1e-12, "n": 1e-9, "µ": 1e-6, "μ": 1e-6, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9}
_SI_QUANTITY = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*([pnµμumkMG])(F|H|A|V|W|Hz|Ω|ohms?|C|J|Pa|s|g|L|l|m)\b")
_FEET_INCHES = re.compile(r"(?<![\w.])(\d+)\s*(?:ft|feet|foot|')\s*(\d{1,2})\s*(?:in|inches|inch|\")?")
_BOUND = re.compile(r"\b(less than|fewer than|under|below|more than|over|above|greater than|at least|at most)\s+(\d+)\b")


def computed(value: float, q: QueryIndex) -> bool:
    """A number the query states in another notation: "1e-9", "100µF" -> 0.0001, "5ft 10in" -> 70
    inches, "less than 5" -> 4, "more than 5" -> 6."""
    text = q.text[:20_000]
    for match in _SCIENTIFIC.finditer(text):
        try:
            if _near(value, float(match.group(1)) * 10 ** int(match.group(2))):
                return True
        except OverflowError:
            continue
    for match in _SI_QUANTITY.finditer(text):
        if math.isclose(value, float(match.group(1)) * _SI_PREFIX[match.group(2)], rel_tol=0.015):
            return True
    for match in _FEET_INCHES.finditer(text):
        feet, inches = int(match.group(1)), int(match.group(2))
        if _near(value, feet * 12 + inches) or _near(value, (feet * 12 + inches) * 2.54) or \
                _near(value, (feet * 12 + inches) * 0.0254):
            return True
    for match in _BOUND.finditer(q.lower[:20_000]):
        n = int(match.group(2))
        step = -1 if match.group(1) in ("less than", "fewer than", "under", "below") else 1
        if value == n + step or (match.group(1).startswith("at") and value == n):
            return True
    return False


def converted(value: float, q: QueryIndex) -> bool:
    """A number the query states in another unit ("5 miles" -> 8.05 for kilometres, "212 F" -> 100)."""
    for match in _QUANTITY.finditer(q.lower[:20_000]):
        amount, unit = float(match.group(1)), match.group(2)
        for a, b, factor in _CONVERSIONS:
            if unit in a and _near(value, amount * factor) or unit in b and _near(value, amount / factor):
                return True
    for match in _DEGREES.finditer(q.lower[:20_000]):
        amount, unit = float(match.group(1)), match.group(2)[0]
        other = (amount - 32) * 5 / 9 if unit == "f" else amount * 9 / 5 + 32
        if _near(value, other):
            return True
    return False


_OFFSET = re.compile(r"(?<![\d.])(\d{1,4})\s*(day|week|month|year)s?\b")
_SPELLED = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10,
            "fourteen": 14, "thirty": 30}
_OFFSET_WORDS = re.compile(r"\b(a|one|two|three|four|five|six|seven|ten|fourteen|thirty)\s+(day|week|month|year)s?\b")


def _shift(date: dt.date, n: int, unit: str) -> dt.date | None:
    try:
        if unit == "day":
            return date + dt.timedelta(days=n)
        if unit == "week":
            return date + dt.timedelta(weeks=n)
        months = n * (12 if unit == "year" else 1)
        y, m = divmod(date.month - 1 + months, 12)
        return date.replace(year=date.year + y, month=m + 1)
    except (ValueError, OverflowError):
        return None


def date_from_anchor(date: tuple[int, int, int], q: QueryIndex) -> bool:
    """A date a stated offset away from a date the query states ("a week after 2024-03-01")."""
    if not q.dates:
        return False
    offsets = [(int(n), u) for n, u in _OFFSET.findall(q.lower[:20_000])]
    offsets += [(_SPELLED[n], u) for n, u in _OFFSET_WORDS.findall(q.lower[:20_000])]
    if not offsets:
        return False
    try:
        target = dt.date(*date)
    except ValueError:
        return False
    for anchor in list(q.dates)[:20]:
        try:
            start = dt.date(*anchor)
        except ValueError:
            continue
        for n, unit in offsets[:20]:
            if target in (_shift(start, n, unit), _shift(start, -n, unit)):
                return True
    return False


def derived(value: Any, q: QueryIndex, date: tuple[int, int, int] | None) -> bool:
    """``value`` is derived from the query in one of the ways above."""
    if isinstance(value, bool):
        return False
    if date is not None and date_from_anchor(date, q):
        return True
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            return False
        return math.isfinite(number) and (converted(number, q) or computed(number, q))
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+(?:\.\d+)?", text):
            return converted(float(text), q) or computed(float(text), q)
        return known_code(text, q) or word_form(text, q)
    return False


def word_form(value: str, q: QueryIndex) -> bool:
    """One word the query writes in another form: "Germany" for "German", "Italy" for "Italian"."""
    word = value.lower()
    if not word.isalpha() or len(word) < 5:
        return False
    stems = {word, word[:-1]}
    return any(len(w) >= 5 and (w.startswith(tuple(stems)) or word.startswith((w, w[:-1])))
               for w in set(q.words[:5_000]))
