"""Loans, interest, investment appraisal, taxes and currency conversion."""

from __future__ import annotations

import math
from typing import Literal, TypedDict

from api_registry.python_functions import api

CAT = "finance"


class TaxBracket(TypedDict):
    threshold: float
    rate_percent: float


class AmortizationRow(TypedDict):
    period: int
    payment: float
    interest: float
    principal: float
    balance: float


# Fixed reference rates: units of each currency per 1 US dollar (illustrative, not live).
_RATES_PER_USD = {
    "USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 150.0, "CHF": 0.88, "CAD": 1.36, "AUD": 1.52,
    "CNY": 7.2, "INR": 83.0, "MXN": 17.0, "BRL": 5.0, "KRW": 1330.0, "SEK": 10.4, "NOK": 10.6,
    "NZD": 1.64, "SGD": 1.34, "ZAR": 18.8, "HKD": 7.8,
}


def _positive(name: str, value: float, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'non-negative' if allow_zero else 'positive'}")


@api(category=CAT, examples=[({"principal": 200000, "annual_rate_percent": 6.5, "years": 30}, 1264.14),
                             ({"principal": 12000, "annual_rate_percent": 0, "years": 1}, 1000.0),
                             ({"principal": 25000, "annual_rate_percent": 4.9, "years": 5, "payments_per_year": 26}, 217.01)],
     raises=[{"principal": -5000, "annual_rate_percent": 5, "years": 3}, {"principal": 5000, "annual_rate_percent": 5, "years": 0}])
def compute_loan_payment(principal: float, annual_rate_percent: float, years: float, payments_per_year: int = 12) -> float:
    """Compute the fixed periodic payment that repays an amortizing loan, rounded to cents.

    Args:
        principal: The amount borrowed; must be positive.
        annual_rate_percent: The nominal annual interest rate in percent (e.g. 6.5 for 6.5%).
        years: The loan term in years; must be positive.
        payments_per_year: How many payments are made each year (12 for monthly, 26 for biweekly).
    """
    _positive("principal", principal)
    _positive("years", years)
    _positive("payments_per_year", payments_per_year)
    n = round(years * payments_per_year)
    r = annual_rate_percent / 100 / payments_per_year
    if r == 0:
        return round(principal / n, 2)
    return round(principal * r / (1 - (1 + r) ** -n), 2)


@api(category=CAT, examples=[({"principal": 1000, "annual_rate_percent": 5, "years": 10}, {"final_amount": 1628.89, "interest_earned": 628.89}),
                             ({"principal": 5000, "annual_rate_percent": 3.5, "years": 4, "compounds_per_year": 12},
                              {"final_amount": 5750.2, "interest_earned": 750.2})],
     raises=[{"principal": 1000, "annual_rate_percent": 5, "years": -2}])
def compound_interest(principal: float, annual_rate_percent: float, years: float, compounds_per_year: int = 1) -> dict[str, float]:
    """Compute the future value of a deposit under compound interest and the interest earned, rounded to cents.

    Args:
        principal: The initial deposit; must be non-negative.
        annual_rate_percent: The nominal annual interest rate in percent.
        years: How many years the money is invested; must be non-negative.
        compounds_per_year: How many times per year interest is compounded (1 yearly, 12 monthly, 365 daily).
    """
    _positive("principal", principal, allow_zero=True)
    _positive("years", years, allow_zero=True)
    _positive("compounds_per_year", compounds_per_year)
    try:
        amount = principal * (1 + annual_rate_percent / 100 / compounds_per_year) ** (compounds_per_year * years)
    except OverflowError as exc:
        raise ValueError("the result is too large to represent") from exc
    return {"final_amount": round(amount, 2), "interest_earned": round(amount - principal, 2)}


@api(category=CAT, examples=[({"principal": 1000, "annual_rate_percent": 5, "years": 3}, 150.0),
                             ({"principal": 2500, "annual_rate_percent": 4.2, "years": 0.5}, 52.5)],
     raises=[{"principal": -100, "annual_rate_percent": 5, "years": 1}])
def simple_interest(principal: float, annual_rate_percent: float, years: float) -> float:
    """Compute the simple (non-compounding) interest earned on a principal, rounded to cents.

    Args:
        principal: The amount lent or deposited; must be non-negative.
        annual_rate_percent: The annual interest rate in percent.
        years: The duration in years; must be non-negative.
    """
    _positive("principal", principal, allow_zero=True)
    _positive("years", years, allow_zero=True)
    return round(principal * annual_rate_percent / 100 * years, 2)


@api(category=CAT, examples=[({"rate_percent": 10, "cash_flows": [-1000, 500, 500, 500]}, 243.43),
                             ({"rate_percent": 8, "cash_flows": [-5000, 1200, 1500, 1800, 2000]}, 296.08)],
     raises=[{"rate_percent": 10, "cash_flows": []}, {"rate_percent": -100, "cash_flows": [-10, 20]}])
def net_present_value(rate_percent: float, cash_flows: list[float]) -> float:
    """Compute the net present value of periodic cash flows, where the first flow occurs now (period 0).

    Args:
        rate_percent: The discount rate per period in percent; must be greater than -100.
        cash_flows: The cash flows per period, starting with period 0 (investments negative, returns positive).
    """
    if not cash_flows:
        raise ValueError("cash_flows must not be empty")
    if rate_percent <= -100:
        raise ValueError("rate_percent must be greater than -100")
    r = rate_percent / 100
    return round(math.fsum(cf / (1 + r) ** t for t, cf in enumerate(cash_flows)), 2)


@api(category=CAT, examples=[({"cash_flows": [-1000, 500, 500, 500]}, 23.38),
                             ({"cash_flows": [-5000, 1200, 1500, 1800, 2000]}, 10.41)],
     raises=[{"cash_flows": [100, 200, 300]}, {"cash_flows": [-100]}])
def internal_rate_of_return(cash_flows: list[float]) -> float:
    """Find the internal rate of return (in percent per period, 2 decimals) at which the cash flows' NPV is zero.

    Args:
        cash_flows: The cash flows per period starting at period 0; they must change sign at least once.
    """
    if len(cash_flows) < 2 or not (min(cash_flows) < 0 < max(cash_flows)):
        raise ValueError("cash flows must contain both negative and positive values")

    def npv(r: float) -> float:
        try:
            return math.fsum(cf * (1 + r) ** -t for t, cf in enumerate(cash_flows))
        except (OverflowError, ZeroDivisionError):
            return math.copysign(math.inf, cash_flows[-1])

    lo, hi = -0.99, 10.0
    if npv(lo) * npv(hi) > 0:
        raise ValueError("no internal rate of return between -99% and 1000%")
    for _ in range(200):
        mid = (lo + hi) / 2
        if npv(lo) * npv(mid) <= 0:
            hi = mid
        else:
            lo = mid
    return round((lo + hi) / 2 * 100, 2)


@api(category=CAT, examples=[
    ({"principal": 1000, "annual_rate_percent": 12, "months": 3},
     [{"period": 1, "payment": 340.02, "interest": 10.0, "principal": 330.02, "balance": 669.98},
      {"period": 2, "payment": 340.02, "interest": 6.7, "principal": 333.32, "balance": 336.66},
      {"period": 3, "payment": 340.03, "interest": 3.37, "principal": 336.66, "balance": 0.0}]),
    ({"principal": 1200, "annual_rate_percent": 0, "months": 12, "max_rows": 2},
     [{"period": 1, "payment": 100.0, "interest": 0.0, "principal": 100.0, "balance": 1100.0},
      {"period": 2, "payment": 100.0, "interest": 0.0, "principal": 100.0, "balance": 1000.0}])],
    raises=[{"principal": 1000, "annual_rate_percent": 5, "months": 0}])
def amortization_schedule(principal: float, annual_rate_percent: float, months: int, max_rows: int | None = None) -> list[AmortizationRow]:
    """Build a monthly amortization schedule showing each payment's interest, principal and remaining balance.

    Args:
        principal: The amount borrowed; must be positive.
        annual_rate_percent: The nominal annual interest rate in percent.
        months: The number of monthly payments, 1 to 1200.
        max_rows: If given, return only the first this many rows of the schedule.
    """
    _positive("principal", principal)
    if not 1 <= months <= 1200:
        raise ValueError("months must be between 1 and 1200")
    r = annual_rate_percent / 100 / 12
    payment = round(principal / months if r == 0 else principal * r / (1 - (1 + r) ** -months), 2)
    rows: list[AmortizationRow] = []
    balance = round(principal, 2)
    for period in range(1, months + 1):
        interest = round(balance * r, 2)
        pay = payment if period < months else round(balance + interest, 2)
        princ = round(pay - interest, 2)
        balance = round(balance - princ, 2)
        rows.append({"period": period, "payment": pay, "interest": interest + 0.0, "principal": princ, "balance": abs(balance)})
        if max_rows is not None and len(rows) >= max_rows:
            break
    return rows


@api(category=CAT, examples=[({"cost": 1000, "final_value": 1250}, {"roi_percent": 25.0, "net_gain": 250.0}),
                             ({"cost": 8000, "final_value": 6000, "years": 2}, {"roi_percent": -25.0, "net_gain": -2000.0, "annualized_percent": -13.4})],
     raises=[{"cost": 0, "final_value": 100}])
def return_on_investment(cost: float, final_value: float, years: float | None = None) -> dict[str, float]:
    """Compute the return on investment in percent and the net gain, optionally also the annualized return.

    Args:
        cost: The amount invested; must be positive.
        final_value: The value of the investment at the end.
        years: If given, the holding period in years, used to add the compound annualized return.
    """
    _positive("cost", cost)
    out = {"roi_percent": round((final_value - cost) / cost * 100, 2), "net_gain": round(final_value - cost, 2)}
    if years is not None:
        _positive("years", years)
        if final_value < 0:
            raise ValueError("an annualized return is undefined for a negative final value")
        out["annualized_percent"] = round(((final_value / cost) ** (1 / years) - 1) * 100, 2)
    return out


@api(category=CAT, examples=[({"fixed_costs": 10000, "price_per_unit": 50, "variable_cost_per_unit": 30}, 500),
                             ({"fixed_costs": 5000, "price_per_unit": 25, "variable_cost_per_unit": 12}, 385)],
     raises=[{"fixed_costs": 1000, "price_per_unit": 10, "variable_cost_per_unit": 12}])
def break_even_units(fixed_costs: float, price_per_unit: float, variable_cost_per_unit: float) -> int:
    """Compute how many units must be sold to cover fixed costs (break-even point), rounded up to a whole unit.

    Args:
        fixed_costs: Total fixed costs for the period.
        price_per_unit: The selling price of one unit; must exceed the variable cost per unit.
        variable_cost_per_unit: The variable cost of producing one unit.
    """
    margin = price_per_unit - variable_cost_per_unit
    if margin <= 0:
        raise ValueError("price_per_unit must exceed variable_cost_per_unit")
    _positive("fixed_costs", fixed_costs, allow_zero=True)
    return math.ceil(round(fixed_costs / margin, 9))


@api(category=CAT, examples=[({"amount": 100, "from_currency": "USD", "to_currency": "EUR"}, 92.0),
                             ({"amount": 5000, "from_currency": "JPY", "to_currency": "GBP"}, 26.33),
                             ({"amount": 250, "from_currency": "eur", "to_currency": "inr"}, 22554.35)],
     raises=[{"amount": 100, "from_currency": "USD", "to_currency": "XYZ"}, {"amount": -5, "from_currency": "USD", "to_currency": "EUR"}])
def convert_currency(amount: float, from_currency: str, to_currency: str) -> float:
    """Convert an amount between currencies using a fixed table of reference exchange rates (not live rates).

    Args:
        amount: The amount of money to convert; must be non-negative.
        from_currency: ISO 4217 code of the source currency, e.g. USD.
        to_currency: ISO 4217 code of the target currency, e.g. EUR.
    """
    _positive("amount", amount, allow_zero=True)
    src, dst = from_currency.upper(), to_currency.upper()
    for code in (src, dst):
        if code not in _RATES_PER_USD:
            raise KeyError(f"unknown currency code {code!r}")
    return round(amount / _RATES_PER_USD[src] * _RATES_PER_USD[dst], 2)


@api(category=CAT, examples=[
    ({"income": 50000, "brackets": [{"threshold": 0, "rate_percent": 10}, {"threshold": 10000, "rate_percent": 20},
                                    {"threshold": 40000, "rate_percent": 30}]}, {"total_tax": 10000.0, "effective_rate_percent": 20.0, "marginal_rate_percent": 30.0}),
    ({"income": 8000, "brackets": [{"threshold": 0, "rate_percent": 0}, {"threshold": 5000, "rate_percent": 15}]},
     {"total_tax": 450.0, "effective_rate_percent": 5.62, "marginal_rate_percent": 15.0})],
    raises=[{"income": -10, "brackets": [{"threshold": 0, "rate_percent": 10}]}, {"income": 100, "brackets": []}])
def compute_progressive_tax(income: float, brackets: list[TaxBracket]) -> dict[str, float]:
    """Compute income tax under progressive brackets, where each rate applies to the income above its threshold.

    Args:
        income: The taxable income; must be non-negative.
        brackets: Tax brackets, each with a threshold (income above which it applies) and a rate in percent.
    """
    _positive("income", income, allow_zero=True)
    if not brackets:
        raise ValueError("brackets must not be empty")
    ordered = sorted(brackets, key=lambda b: b["threshold"])
    tax, marginal = 0.0, 0.0
    for i, b in enumerate(ordered):
        upper = ordered[i + 1]["threshold"] if i + 1 < len(ordered) else math.inf
        if income > b["threshold"]:
            tax += (min(income, upper) - b["threshold"]) * b["rate_percent"] / 100
            marginal = b["rate_percent"]
    effective = tax / income * 100 if income else 0.0
    return {"total_tax": round(tax, 2), "effective_rate_percent": round(effective, 2), "marginal_rate_percent": float(marginal)}


@api(category=CAT, examples=[({"cost": 10000, "salvage_value": 1000, "useful_life_years": 3}, [3000.0, 3000.0, 3000.0]),
                             ({"cost": 10000, "salvage_value": 1000, "useful_life_years": 3, "method": "double_declining"}, [6666.67, 2222.22, 111.11]),
                             ({"cost": 12000, "salvage_value": 0, "useful_life_years": 3, "method": "sum_of_years_digits"}, [6000.0, 4000.0, 2000.0])],
     raises=[{"cost": 1000, "salvage_value": 2000, "useful_life_years": 5}, {"cost": 1000, "salvage_value": 0, "useful_life_years": 0}])
def depreciation_schedule(cost: float, salvage_value: float, useful_life_years: int,
                          method: Literal["straight_line", "double_declining", "sum_of_years_digits"] = "straight_line") -> list[float]:
    """Compute yearly depreciation amounts for an asset over its useful life, rounded to cents.

    Args:
        cost: The purchase cost of the asset.
        salvage_value: The estimated value at the end of its useful life; must not exceed cost.
        useful_life_years: The number of years over which the asset is depreciated, 1 to 100.
        method: Depreciation method: straight_line, double_declining (balance) or sum_of_years_digits.
    """
    if salvage_value > cost or salvage_value < 0:
        raise ValueError("salvage_value must be between 0 and cost")
    if not 1 <= useful_life_years <= 100:
        raise ValueError("useful_life_years must be between 1 and 100")
    base = cost - salvage_value
    n = useful_life_years
    if method == "straight_line":
        return [round(base / n, 2)] * n
    if method == "sum_of_years_digits":
        total = n * (n + 1) / 2
        return [round(base * (n - i) / total, 2) for i in range(n)]
    out, book = [], cost
    for year in range(n):
        dep = book * 2 / n
        if year == n - 1 or book - dep < salvage_value:
            dep = book - salvage_value
        dep = max(dep, 0.0)
        out.append(round(dep, 2))
        book -= dep
    return out
