"""Offline implementations of BFCL's executable-category functions (math, statistics, geometry, physics, finance).

The Berkeley Function-Calling Leaderboard's retired ``exec_*`` categories describe their functions
in JSON docs; this module implements the ones whose results are exact (``execution_result_type``
``exact_match``) and computable without a network: same function and keyword names as the docs,
deterministic, standard library only. Functions that call web APIs (weather, stock prices, COVID
counts, Amazon products, geocoding, movie data) are left out.

Register it with ``Registry().add_functions_file(path)`` or the CLI's ``--functions`` option.
"""

from __future__ import annotations

import ast
import math
from fractions import Fraction
from typing import Any

_MAX_SEQUENCE = 10_000  # longest list a function will build


# --- combinatorics and number theory ------------------------------------------------------------

def calc_binomial_probability(n: int, k: int, p: float) -> float:
    """Calculates the probability of getting k successes in n trials.

    Args:
        n: The number of trials.
        k: The number of successes.
        p: The probability of success.
    """
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got n={n}, k={k}")
    if not 0 <= p <= 1:
        raise ValueError(f"p must lie in [0, 1], got {p}")
    return math.comb(int(n), int(k)) * p ** k * (1 - p) ** (n - k)


def calculate_permutations(n: int, k: int) -> int:
    """Calculates the number of permutations of k elements from a set of n elements.

    Args:
        n: The number of elements in the set.
        k: The number of elements to choose.
    """
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got n={n}, k={k}")
    return math.perm(n, k)


def math_factorial(n: int) -> int:
    """Calculates the factorial of a number.

    Args:
        n: The number to calculate the factorial of.
    """
    if n < 0:
        raise ValueError(f"factorial is defined for n >= 0, got {n}")
    if n > _MAX_SEQUENCE:
        raise ValueError(f"n is too large (> {_MAX_SEQUENCE})")
    return math.factorial(n)


def math_gcd(a: int, b: int) -> int:
    """Calculates the greatest common divisor of two numbers.

    Args:
        a: The first number. This should be the larger number.
        b: The second number.
    """
    return math.gcd(a, b)


def math_lcm(a: int, b: int) -> int:
    """Calculates the least common multiple of two numbers.

    Args:
        a: The first number. This should be the larger number.
        b: The second number.
    """
    return math.lcm(a, b)


def get_prime_factors(number: int) -> list[int]:
    """Calculates the prime factors of a number.

    Args:
        number: The number to calculate the prime factors of.
    """
    if number < 2:
        return []
    factors: list[int] = []
    divisor = 2
    while divisor * divisor <= number:
        while number % divisor == 0:
            factors.append(divisor)
            number //= divisor
        divisor += 1 if divisor == 2 else 2
    if number > 1:
        factors.append(number)
    return factors


def get_fibonacci_sequence(n: int) -> list[int]:
    """Calculates the n numbers of the Fibonacci.

    Args:
        n: The number of Fibonacci numbers to calculate.
    """
    if not 0 <= n <= _MAX_SEQUENCE:
        raise ValueError(f"n must lie in [0, {_MAX_SEQUENCE}], got {n}")
    sequence: list[int] = []
    a, b = 0, 1
    for _ in range(n):
        sequence.append(a)
        a, b = b, a + b
    return sequence


def get_fibonacci_number(n: int) -> int:
    """Calculates the nth Fibonacci number in the sequence where the sequence starts with 0 followed by 1.

    Each subsequent number is the sum of the previous two; position 1 is 0, position 2 is 1.

    Args:
        n: The position of the Fibonacci number to calculate. This position must be a positive integer.
    """
    if not 1 <= n <= _MAX_SEQUENCE:
        raise ValueError(f"n must be a positive integer up to {_MAX_SEQUENCE}, got {n}")
    a, b = 0, 1
    for _ in range(n - 1):
        a, b = b, a + b
    return a


def add_binary_numbers(a: str, b: str) -> str:
    """Adds two binary numbers.

    Args:
        a: The first binary number.
        b: The second binary number.
    """
    try:
        total = int(a, 2) + int(b, 2)
    except ValueError as exc:
        raise ValueError(f"not binary numbers: {a!r}, {b!r}") from exc
    return format(total, "b")


# --- algebra, calculus and statistics -----------------------------------------------------------

def quadratic_roots(a: int, b: int, c: int) -> list[Any]:
    """Calculates the roots of a quadratic equation.

    Real roots are numbers; complex roots are objects with ``real`` and ``imaginary`` parts.

    Args:
        a: The first coefficient.
        b: The second coefficient.
        c: The third coefficient.
    """
    if a == 0:
        raise ValueError("a must not be 0 for a quadratic equation")
    discriminant = b * b - 4 * a * c
    if discriminant >= 0:
        root = math.sqrt(discriminant)
        return [(-b + root) / (2 * a), (-b - root) / (2 * a)]
    real, imaginary = -b / (2 * a), math.sqrt(-discriminant) / (2 * a)
    return [{"real": real, "imaginary": imaginary}, {"real": real, "imaginary": -imaginary}]


def estimate_derivative(function: str, x: int) -> float:
    """Estimate the derivative of a function at a given point.

    The function is read as data (a ``lambda`` over one variable built from numbers, + - * / **,
    and sqrt/exp/log/sin/cos/tan) and differentiated exactly with dual numbers; it is never run.

    Args:
        function: The function to calculate the derivative of, as a Python lambda, e.g. 'lambda x: 3*x**2 + 2*x + 1'.
        x: The point to calculate the derivative at.
    """
    variable, body = _read_lambda(function)
    return float(_Dual.evaluate(body, variable, x).deriv)


def calculate_mean(numbers: list[float]) -> float:
    """Calculates the mean of a list of numbers.

    Args:
        numbers: The list of numbers.
    """
    if not numbers:
        raise ValueError("the list of numbers is empty")
    return math.fsum(numbers) / len(numbers)


def calculate_standard_deviation(numbers: list[float]) -> float:
    """Calculates the standard deviation of a list of numbers.

    The population standard deviation (divides by n).

    Args:
        numbers: The list of numbers.
    """
    mean = calculate_mean(numbers)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in numbers) / len(numbers))


def calculate_cosine_similarity(vectorA: list[float], vectorB: list[float]) -> float:
    """Calculates the cosine similarity of two vectors.

    Args:
        vectorA: The first vector.
        vectorB: The second vector.
    """
    if len(vectorA) != len(vectorB) or not vectorA:
        raise ValueError(f"vectors must be non-empty and of equal length, got {len(vectorA)} and {len(vectorB)}")
    norm = math.sqrt(math.fsum(a * a for a in vectorA)) * math.sqrt(math.fsum(b * b for b in vectorB))
    if norm == 0:
        raise ValueError("cosine similarity is undefined for a zero vector")
    return math.fsum(a * b for a, b in zip(vectorA, vectorB)) / norm


def linear_regression(x: list[int], y: list[int], point: int) -> float:
    """Finds the linear regression of a set of points and evaluates it at a given point.

    Ordinary least squares fit of y on x.

    Args:
        x: The x coordinates of the points.
        y: The y coordinates of the points.
        point: The point to calculate the linear regression at.
    """
    n = len(x)
    if n != len(y) or n < 2:
        raise ValueError(f"need at least two (x, y) pairs of equal length, got {len(x)} and {len(y)}")
    mean_x, mean_y = math.fsum(x) / n, math.fsum(y) / n
    sxx = math.fsum((xi - mean_x) ** 2 for xi in x)
    if sxx == 0:
        raise ValueError("all x values are equal; the slope is undefined")
    slope = math.fsum((xi - mean_x) * (yi - mean_y) for xi, yi in zip(x, y)) / sxx
    return mean_y + slope * (point - mean_x)


def mat_mul(matA: list[list[int]], matB: list[list[int]]) -> list[list[int]]:
    """Multiplies two matrices.

    Args:
        matA: The first matrix.
        matB: The second matrix.
    """
    if not matA or not matB or any(len(row) != len(matB) for row in matA):
        raise ValueError("matA's rows must be as long as matB has rows")
    width = len(matB[0])
    if any(len(row) != width for row in matB):
        raise ValueError("matB's rows differ in length")
    return [[sum(row[k] * matB[k][j] for k in range(len(matB))) for j in range(width)] for row in matA]


def sort_array(array: list[float], reverse: bool = False) -> list[float]:
    """Sorts an array of numbers.

    Args:
        array: The array of numbers.
        reverse: Whether to sort the array in reverse order, i.e., descending order.
    """
    return sorted(array, reverse=reverse)


# --- geometry ----------------------------------------------------------------------------------

def calculate_triangle_area(base: int, height: int) -> float:
    """Calculates the area of a triangle given its base and height.

    Args:
        base: The base of the triangle, in meters.
        height: The height of the triangle, in meters.
    """
    return base * height / 2


def geometry_area_circle(radius: int) -> float:
    """Calculates the area of a circle.

    Args:
        radius: The radius of the circle, in feet.
    """
    return math.pi * radius ** 2


def get_distance(pointA: tuple[float, float], pointB: tuple[float, float]) -> float:
    """Calculates the distance between two 2D points.

    Args:
        pointA: The first point.
        pointB: The second point.
    """
    return math.hypot(pointA[0] - pointB[0], pointA[1] - pointB[1])


def polygon_area(vertices: list[list[float]]) -> float:
    """Calculate the area of a polygon given its vertices using the shoelace formula.

    Args:
        vertices: The vertices of the polygon, where each vertex is a 2 element list [x, y].
    """
    if len(vertices) < 3:
        raise ValueError("a polygon needs at least 3 vertices")
    twice = sum(vertices[i][0] * vertices[(i + 1) % len(vertices)][1]
                - vertices[(i + 1) % len(vertices)][0] * vertices[i][1] for i in range(len(vertices)))
    return abs(twice) / 2.0


def maxPoints(points: list[list[int]]) -> int:
    """Finds the maximum number of points on a line.

    Slopes are compared exactly (as fractions), and repeated points all count.

    Args:
        points: The list of points. Points are 2 element lists.
    """
    if len(points) < 3:
        return len(points)
    best = 0
    for i, (x1, y1) in enumerate(points):
        slopes: dict[Any, int] = {}
        same = 0
        for x2, y2 in points[i + 1:]:
            if (x2, y2) == (x1, y1):
                same += 1
                continue
            key = "vertical" if x2 == x1 else Fraction(y2 - y1) / Fraction(x2 - x1)
            slopes[key] = slopes.get(key, 0) + 1
        best = max(best, 1 + same + max(slopes.values(), default=0))
    return best


# --- physics -----------------------------------------------------------------------------------

def calculate_density(mass: float, volume: float) -> float:
    """Calculates the density of an object.

    Args:
        mass: The mass of the object, in kilograms.
        volume: The volume of the object, in cubic meters.
    """
    if volume == 0:
        raise ValueError("volume must not be 0")
    return mass / volume


def calculate_displacement(initial_velocity: float, acceleration: float, time: float) -> float:
    """Calculates the displacement of an object.

    Args:
        initial_velocity: The initial velocity of the object, in meters per second.
        acceleration: The acceleration of the object, in meters per second squared.
        time: The time the object has been moving, in seconds.
    """
    return initial_velocity * time + 0.5 * acceleration * time ** 2


def calculate_final_velocity(initial_velocity: float, acceleration: float, time: float) -> float:
    """Calculates the final velocity of an object.

    Args:
        initial_velocity: The initial velocity of the object, in meters per second.
        acceleration: The acceleration of the object, in meters per second squared.
        time: The time the object has been moving, in seconds.
    """
    return initial_velocity + acceleration * time


def calculate_electrostatic_potential_energy(charge: float, voltage: float) -> float:
    """Calculates the electrostatic potential energy.

    Args:
        charge: The charge of the object, in coulombs.
        voltage: The voltage of the object, in volts.
    """
    return charge * voltage


# --- finance, health and orders ----------------------------------------------------------------

def calculate_future_value(present_value: float, interest_rate: float, periods: int) -> float:
    """Calculates the future value of an investment.

    Args:
        present_value: The present value of the investment, in dollars.
        interest_rate: The interest rate of the investment, ranging from 0 to 1.
        periods: The number of periods, in years.
    """
    return present_value * (1 + interest_rate) ** periods


def mortgage_calculator(loan_amount: float, interest_rate: float, loan_period: int) -> float:
    """Calculates the monthly mortgage payment.

    Args:
        loan_amount: The amount of the loan.
        interest_rate: The interest rate of the loan, ranging from 0 to 1.
        loan_period: The period of the loan, in years.
    """
    payments = loan_period * 12
    if payments <= 0:
        raise ValueError(f"loan_period must be positive, got {loan_period}")
    monthly = interest_rate / 12
    if monthly == 0:
        return loan_amount / payments
    growth = (1 + monthly) ** payments
    return loan_amount * monthly * growth / (growth - 1)


def calculate_investment_value(initial_investment: int, annual_contribution: int, years: int,
                               annual_return: float, inflation_rate: list[float],
                               adjust_for_inflation: bool = True) -> float:
    """Calculates the value of an investment over time.

    Each year the value grows by the annual return and then the contribution is added; adjusted for
    inflation, the result is in today's money (a year past the end of the list uses its last rate).

    Args:
        initial_investment: The initial investment amount.
        annual_contribution: The annual contribution amount.
        years: The number of years to calculate the investment value for.
        annual_return: The annual return rate, ranging from 0 to 1.
        inflation_rate: The inflation rate for each year in percentage, ranging from 0 to 1.
        adjust_for_inflation: Whether to adjust the investment value for inflation.
    """
    if years < 0:
        raise ValueError(f"years must be >= 0, got {years}")
    if adjust_for_inflation and years and not inflation_rate:
        raise ValueError("inflation_rate needs at least one rate to adjust for inflation")
    value, prices = float(initial_investment), 1.0
    for year in range(years):
        value = value * (1 + annual_return) + annual_contribution
        if adjust_for_inflation:
            prices *= 1 + inflation_rate[min(year, len(inflation_rate) - 1)]
    return value / prices


_ACTIVITY_FACTORS = (1.2, 1.375, 1.55, 1.725, 1.9)
_GOAL_CALORIES = {"lose": -500.0, "gain": 500.0, "maintain": 0.0}


def calculate_nutritional_needs(weight: float, height: float, age: float, gender: str, activity_level: int,
                                goal: str) -> dict[str, float]:
    """Calculates the nutritional needs of a person based on their weight, height, age, gender, activity level, and goal.

    Revised Harris-Benedict BMR (the mean of the male and female equations for "other"), times the
    activity factor, plus or minus 500 kcal for the goal; 30 % protein, 25 % fat, 45 % carbohydrates.

    Args:
        weight: The weight of the person in kilograms.
        height: The height of the person in centimeters.
        age: The age of the person in years.
        gender: The gender of the person. Possible options [male, female, other].
        activity_level: The activity level of the person. Possible options [1,2,3,4,5].
        goal: The goal of the person. Possible options [lose, gain, maintain].
    """
    male = 88.362 + 13.397 * weight + 4.799 * height - 5.677 * age
    female = 447.593 + 9.247 * weight + 3.098 * height - 4.330 * age
    bmr = {"male": male, "female": female, "other": (male + female) / 2}.get(str(gender).lower())
    if bmr is None:
        raise ValueError(f"gender must be male, female or other, got {gender!r}")
    if activity_level not in (1, 2, 3, 4, 5):
        raise ValueError(f"activity_level must be 1..5, got {activity_level!r}")
    if str(goal).lower() not in _GOAL_CALORIES:
        raise ValueError(f"goal must be lose, gain or maintain, got {goal!r}")
    calories = bmr * _ACTIVITY_FACTORS[int(activity_level) - 1] + _GOAL_CALORIES[str(goal).lower()]
    return {"calories": calories, "proteins_g": calories * 0.30 / 4, "fats_g": calories * 0.25 / 9,
            "carbohydrates_g": calories * 0.45 / 4}


def order_food(item: list[str], quantity: list[int], price: list[float]) -> float:
    """Orders food for a customer. Return the total price.

    Args:
        item: The names of the products ordered.
        quantity: The number of each product purchased.
        price: The price of each product.
    """
    if not len(item) == len(quantity) == len(price):
        raise ValueError(f"item, quantity and price must be equally long, got {len(item)}, {len(quantity)}, {len(price)}")
    return math.fsum(q * p for q, p in zip(quantity, price))


def book_room(room_type: str, check_in_date: str, check_out_date: str, customer_id: str, price: float = 0.0,
              discount_code: str | None = None) -> dict[str, Any]:
    """Books a room for a customer.

    The code DISCOUNT10 takes 10 % off the price.

    Args:
        room_type: The room type to book.
        check_in_date: The check-in date in format of MM-DD-YYYY.
        check_out_date: The check-out date in format of MM-DD-YYYY.
        customer_id: The customer ID.
        price: The max price of the room.
        discount_code: The discount code (if any).
    """
    total = price * 0.9 if discount_code == "DISCOUNT10" else price
    return {"customer_id": customer_id, "room_type": room_type, "check_in_date": check_in_date,
            "check_out_date": check_out_date, "total_price": total}


# --- a safe reader for estimate_derivative ---------------------------------------------------------

_MAX_NODES = 500
_MAX_EXPONENT = 64


def _read_lambda(text: str) -> tuple[str, ast.expr]:
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"not a Python lambda: {text!r}") from exc
    if not isinstance(node, ast.Lambda):
        raise ValueError(f"expected a lambda such as 'lambda x: x**2', got {text!r}")
    args = node.args
    if len(args.args) != 1 or args.posonlyargs or args.kwonlyargs or args.vararg or args.kwarg or args.defaults:
        raise ValueError("the lambda must take exactly one plain argument")
    if sum(1 for _ in ast.walk(node.body)) > _MAX_NODES:
        raise ValueError("the function is too long")
    return args.args[0].arg, node.body


class _Dual:
    """A number with its derivative: arithmetic on pairs (f, f') differentiates exactly."""

    _UNARY = {
        "sqrt": (math.sqrt, lambda v: 1 / (2 * math.sqrt(v))),
        "exp": (math.exp, math.exp),
        "log": (math.log, lambda v: 1 / v),
        "sin": (math.sin, math.cos),
        "cos": (math.cos, lambda v: -math.sin(v)),
        "tan": (math.tan, lambda v: 1 / math.cos(v) ** 2),
    }

    def __init__(self, value: float, deriv: float):
        self.value, self.deriv = value, deriv

    @classmethod
    def evaluate(cls, node: ast.expr, variable: str, x: float) -> "_Dual":
        ev = lambda n: cls.evaluate(n, variable, x)  # noqa: E731
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return cls(node.value, 0)
        if isinstance(node, ast.Name):
            if node.id == variable:
                return cls(x, 1)
            if node.id in ("pi", "e"):
                return cls(getattr(math, node.id), 0)
            raise ValueError(f"unknown name {node.id!r} in the function")
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "math" \
                and node.attr in ("pi", "e"):
            return cls(getattr(math, node.attr), 0)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            inner = ev(node.operand)
            return inner if isinstance(node.op, ast.UAdd) else cls(-inner.value, -inner.deriv)
        if isinstance(node, ast.BinOp):
            return cls._binary(node.op, ev(node.left), ev(node.right))
        if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id == "math" else None)
            if name in cls._UNARY:
                inner = ev(node.args[0])
                f, df = cls._UNARY[name]
                return cls(f(inner.value), df(inner.value) * inner.deriv)
        raise ValueError(f"unsupported expression {ast.unparse(node)!r}; use numbers, x, + - * / ** "
                         f"and {', '.join(cls._UNARY)}")

    @classmethod
    def _binary(cls, op: ast.operator, a: "_Dual", b: "_Dual") -> "_Dual":
        if isinstance(op, ast.Add):
            return cls(a.value + b.value, a.deriv + b.deriv)
        if isinstance(op, ast.Sub):
            return cls(a.value - b.value, a.deriv - b.deriv)
        if isinstance(op, ast.Mult):
            return cls(a.value * b.value, a.deriv * b.value + a.value * b.deriv)
        if isinstance(op, ast.Div):
            if b.value == 0:
                raise ValueError("division by zero in the function")
            return cls(a.value / b.value, (a.deriv * b.value - a.value * b.deriv) / b.value ** 2)
        if isinstance(op, ast.Pow):
            if b.deriv == 0:  # constant exponent: (u^n)' = n u^(n-1) u'
                if abs(b.value) > _MAX_EXPONENT:
                    raise ValueError(f"exponent {b.value} is too large")
                if a.value < 0 and b.value != int(b.value):
                    raise ValueError("a fractional power of a negative number is not real")
                if a.value == 0 and b.value < 1:
                    raise ValueError("the derivative is undefined at 0 for this power")
                return cls(a.value ** b.value, b.value * a.value ** (b.value - 1) * a.deriv)
            if a.value <= 0:
                raise ValueError("a variable exponent needs a positive base")
            value = a.value ** b.value
            return cls(value, value * (b.deriv * math.log(a.value) + b.value * a.deriv / a.value))
        raise ValueError(f"unsupported operator {type(op).__name__}")
