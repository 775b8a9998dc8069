"""Chemical formulas, molar masses, element data, concentrations and gas laws."""

from __future__ import annotations

import math
import re
from typing import Literal

from api_registry.python_functions import api

CAT = "chemistry"

# symbol: (atomic number, name, standard atomic weight, group/category)
_ELEMENTS: dict[str, tuple[int, str, float, str]] = {
    "H": (1, "Hydrogen", 1.008, "nonmetal"), "He": (2, "Helium", 4.0026, "noble gas"),
    "Li": (3, "Lithium", 6.94, "alkali metal"), "Be": (4, "Beryllium", 9.0122, "alkaline earth metal"),
    "B": (5, "Boron", 10.81, "metalloid"), "C": (6, "Carbon", 12.011, "nonmetal"), "N": (7, "Nitrogen", 14.007, "nonmetal"),
    "O": (8, "Oxygen", 15.999, "nonmetal"), "F": (9, "Fluorine", 18.998, "halogen"), "Ne": (10, "Neon", 20.18, "noble gas"),
    "Na": (11, "Sodium", 22.99, "alkali metal"), "Mg": (12, "Magnesium", 24.305, "alkaline earth metal"),
    "Al": (13, "Aluminium", 26.982, "post-transition metal"), "Si": (14, "Silicon", 28.085, "metalloid"),
    "P": (15, "Phosphorus", 30.974, "nonmetal"), "S": (16, "Sulfur", 32.06, "nonmetal"), "Cl": (17, "Chlorine", 35.45, "halogen"),
    "Ar": (18, "Argon", 39.948, "noble gas"), "K": (19, "Potassium", 39.098, "alkali metal"),
    "Ca": (20, "Calcium", 40.078, "alkaline earth metal"), "Ti": (22, "Titanium", 47.867, "transition metal"),
    "Cr": (24, "Chromium", 51.996, "transition metal"), "Mn": (25, "Manganese", 54.938, "transition metal"),
    "Fe": (26, "Iron", 55.845, "transition metal"), "Co": (27, "Cobalt", 58.933, "transition metal"),
    "Ni": (28, "Nickel", 58.693, "transition metal"), "Cu": (29, "Copper", 63.546, "transition metal"),
    "Zn": (30, "Zinc", 65.38, "transition metal"), "Br": (35, "Bromine", 79.904, "halogen"), "Ag": (47, "Silver", 107.87, "transition metal"),
    "Sn": (50, "Tin", 118.71, "post-transition metal"), "I": (53, "Iodine", 126.9, "halogen"), "Pt": (78, "Platinum", 195.08, "transition metal"),
    "Au": (79, "Gold", 196.97, "transition metal"), "Hg": (80, "Mercury", 200.59, "transition metal"),
    "Pb": (82, "Lead", 207.2, "post-transition metal"), "U": (92, "Uranium", 238.03, "actinide"),
}


def _parse_formula(formula: str) -> dict[str, int]:
    if not formula or not re.fullmatch(r"[A-Za-z0-9()]+", formula) or not (formula[0].isupper() or formula[0] == "("):
        raise ValueError(f"invalid chemical formula {formula!r}")
    tokens = re.findall(r"([A-Z][a-z]?|\(|\)|\d+|[a-z])", formula)
    stack: list[dict[str, int]] = [{}]
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        count = 1
        if i + 1 < len(tokens) and tokens[i + 1].isdigit():
            count = int(tokens[i + 1])
        if tok == "(":
            stack.append({})
            i += 1
            continue
        if tok == ")":
            if len(stack) == 1:
                raise ValueError("unbalanced parentheses")
            group = stack.pop()
            for el, n in group.items():
                stack[-1][el] = stack[-1].get(el, 0) + n * count
            i += 2 if i + 1 < len(tokens) and tokens[i + 1].isdigit() else 1
            continue
        if tok.isdigit() or tok not in _ELEMENTS:
            raise ValueError(f"unknown element or misplaced token {tok!r} in {formula!r}")
        stack[-1][tok] = stack[-1].get(tok, 0) + count
        i += 2 if i + 1 < len(tokens) and tokens[i + 1].isdigit() else 1
    if len(stack) != 1:
        raise ValueError("unbalanced parentheses")
    return stack[0]


@api(category=CAT, examples=[({"formula": "H2O"}, {"H": 2, "O": 1}), ({"formula": "Ca(OH)2"}, {"Ca": 1, "O": 2, "H": 2}),
                             ({"formula": "C6H12O6"}, {"C": 6, "H": 12, "O": 6})],
     raises=[{"formula": "h2o"}, {"formula": "Xy3"}, {"formula": "Ca(OH2"}])
def count_atoms_in_formula(formula: str) -> dict[str, int]:
    """Count the atoms of each element in a chemical formula, expanding parenthesized groups such as Ca(OH)2.

    Args:
        formula: The chemical formula with case-sensitive element symbols, e.g. C6H12O6 or Mg(NO3)2.
    """
    return _parse_formula(formula)


@api(category=CAT, examples=[({"formula": "H2O"}, 18.015), ({"formula": "C6H12O6"}, 180.156), ({"formula": "Ca(OH)2"}, 74.092)],
     raises=[{"formula": "Qz2"}])
def molar_mass(formula: str) -> float:
    """Compute the molar mass in g/mol of a compound from its chemical formula, using standard atomic weights (3 decimals).

    Args:
        formula: The chemical formula with case-sensitive element symbols, e.g. H2SO4 or Ca(OH)2.
    """
    return round(sum(_ELEMENTS[el][2] * n for el, n in _parse_formula(formula).items()), 3)


@api(category=CAT, examples=[({"query": "Fe"}, {"symbol": "Fe", "name": "Iron", "atomic_number": 26, "atomic_mass": 55.845, "category": "transition metal"}),
                             ({"query": "oxygen"}, {"symbol": "O", "name": "Oxygen", "atomic_number": 8, "atomic_mass": 15.999, "category": "nonmetal"}),
                             ({"query": "79"}, {"symbol": "Au", "name": "Gold", "atomic_number": 79, "atomic_mass": 196.97, "category": "transition metal"})],
     raises=[{"query": "Unobtainium"}])
def element_lookup(query: str) -> dict[str, str | int | float]:
    """Look up a chemical element by symbol, name or atomic number and return its basic properties.

    Args:
        query: An element symbol (Fe), English name (iron) or atomic number as text (26).
    """
    q = query.strip()
    for sym, (num, name, mass, cat) in _ELEMENTS.items():
        if q == sym or q.lower() == name.lower() or (q.isdigit() and int(q) == num) or (sym == "Al" and q.lower() == "aluminum"):
            return {"symbol": sym, "name": name, "atomic_number": num, "atomic_mass": mass, "category": cat}
    raise KeyError(f"unknown element {query!r}")


@api(category=CAT, examples=[({"mass_grams": 36.03, "formula": "H2O"}, {"moles": 2.0, "molecules": 1.20443e+24}),
                             ({"mass_grams": 10, "formula": "NaCl"}, {"moles": 0.171116, "molecules": 1.03048e+23})],
     raises=[{"mass_grams": -1, "formula": "H2O"}, {"mass_grams": 5, "formula": "Zz"}])
def moles_from_mass(mass_grams: float, formula: str) -> dict[str, float]:
    """Convert a mass of a compound in grams to amount of substance (moles) and number of molecules.

    Args:
        mass_grams: The mass in grams; must be non-negative.
        formula: The compound's chemical formula, e.g. NaCl.
    """
    if mass_grams < 0:
        raise ValueError("mass must be non-negative")
    moles = mass_grams / molar_mass(formula)
    return {"moles": round(moles, 6), "molecules": float(f"{moles * 6.02214076e23:.6g}")}


@api(category=CAT, examples=[({"concentration_molar": 0.001}, {"ph": 3.0, "poh": 11.0, "classification": "acidic"}),
                             ({"concentration_molar": 0.001, "ion": "hydroxide"}, {"ph": 11.0, "poh": 3.0, "classification": "basic"}),
                             ({"concentration_molar": 1e-7}, {"ph": 7.0, "poh": 7.0, "classification": "neutral"})],
     raises=[{"concentration_molar": 0}])
def ph_from_concentration(concentration_molar: float, ion: Literal["hydrogen", "hydroxide"] = "hydrogen") -> dict[str, float | str]:
    """Compute pH and pOH at 25 C from a hydrogen-ion or hydroxide-ion concentration, and classify the solution.

    Args:
        concentration_molar: The ion concentration in mol/L; must be positive.
        ion: Which ion the concentration refers to: hydrogen (H+) or hydroxide (OH-).
    """
    if concentration_molar <= 0:
        raise ValueError("concentration must be positive")
    p = -math.log10(concentration_molar)
    ph = p if ion == "hydrogen" else 14 - p
    ph = round(ph, 2) + 0.0
    cls = "neutral" if abs(ph - 7) < 0.005 else ("acidic" if ph < 7 else "basic")
    return {"ph": ph, "poh": round(14 - ph, 2) + 0.0, "classification": cls}


@api(category=CAT, examples=[({"volume_l": 22.414, "moles": 1, "temperature_k": 273.15}, {"pressure_kpa": 101.325, "volume_l": 22.414, "moles": 1.0, "temperature_k": 273.15}),
                             ({"pressure_kpa": 200, "volume_l": 10, "temperature_k": 300}, {"pressure_kpa": 200.0, "volume_l": 10.0, "moles": 0.801816, "temperature_k": 300.0})],
     raises=[{"pressure_kpa": 100, "volume_l": 10}, {"pressure_kpa": 100, "volume_l": 10, "moles": 1, "temperature_k": 300}])
def ideal_gas_law(pressure_kpa: float | None = None, volume_l: float | None = None, moles: float | None = None,
                  temperature_k: float | None = None) -> dict[str, float]:
    """Solve PV = nRT for the one missing quantity given the other three (pressure in kPa, volume in litres, temperature in kelvin).

    Args:
        pressure_kpa: The gas pressure in kilopascals, if known.
        volume_l: The gas volume in litres, if known.
        moles: The amount of gas in moles, if known.
        temperature_k: The absolute temperature in kelvin, if known.
    """
    r = 8.314462618
    vals = {"pressure_kpa": pressure_kpa, "volume_l": volume_l, "moles": moles, "temperature_k": temperature_k}
    missing = [k for k, v in vals.items() if v is None]
    if len(missing) != 1:
        raise ValueError("provide exactly three of the four quantities")
    if any(v is not None and v <= 0 for v in vals.values()):
        raise ValueError("all given quantities must be positive")
    p, v, n, t = pressure_kpa, volume_l, moles, temperature_k
    if p is None:
        p = n * r * t / v
    elif v is None:
        v = n * r * t / p
    elif n is None:
        n = p * v / (r * t)
    else:
        t = p * v / (n * r)
    return {"pressure_kpa": round(float(p), 3), "volume_l": round(float(v), 3), "moles": round(float(n), 6), "temperature_k": round(float(t), 2)}


@api(category=CAT, examples=[({"stock_concentration": 2.0, "stock_volume": 50, "target_concentration": 0.5}, {"final_volume": 200.0, "solvent_to_add": 150.0}),
                             ({"stock_concentration": 12, "stock_volume": 10, "target_concentration": 1}, {"final_volume": 120.0, "solvent_to_add": 110.0})],
     raises=[{"stock_concentration": 1, "stock_volume": 10, "target_concentration": 2}])
def dilution_volume(stock_concentration: float, stock_volume: float, target_concentration: float) -> dict[str, float]:
    """Apply C1 V1 = C2 V2 to find the final volume of a dilution and how much solvent to add (same volume unit as given).

    Args:
        stock_concentration: The concentration of the stock solution (any unit).
        stock_volume: The volume of stock solution used.
        target_concentration: The desired concentration, in the same unit; must be positive and at most the stock concentration.
    """
    if target_concentration <= 0 or target_concentration > stock_concentration or stock_volume < 0:
        raise ValueError("target concentration must be positive and not exceed the stock concentration")
    final = stock_concentration * stock_volume / target_concentration
    return {"final_volume": round(final, 4), "solvent_to_add": round(final - stock_volume, 4)}


@api(category=CAT, examples=[({"formula": "H2O"}, {"H": 11.19, "O": 88.81}), ({"formula": "CO2"}, {"C": 27.29, "O": 72.71})],
     raises=[{"formula": "2H"}])
def percent_composition(formula: str) -> dict[str, float]:
    """Compute the mass percentage of each element in a compound (2 decimals).

    Args:
        formula: The compound's chemical formula, e.g. CO2.
    """
    counts = _parse_formula(formula)
    total = sum(_ELEMENTS[el][2] * n for el, n in counts.items())
    return {el: round(_ELEMENTS[el][2] * n / total * 100, 2) for el, n in counts.items()}
