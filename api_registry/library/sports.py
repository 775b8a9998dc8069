"""Sports statistics and ratings: batting averages, passer rating, Elo, pace, standings and golf handicaps."""

from __future__ import annotations

import re
from typing import Literal, TypedDict

from api_registry.python_functions import api

CAT = "sports"


class MatchResult(TypedDict):
    home: str
    away: str
    home_goals: int
    away_goals: int


class StandingRow(TypedDict):
    team: str
    played: int
    won: int
    drawn: int
    lost: int
    goals_for: int
    goals_against: int
    goal_difference: int
    points: int


@api(category=CAT, examples=[({"hits": 30, "at_bats": 100}, 0.3), ({"hits": 162, "at_bats": 551}, 0.294)],
     raises=[{"hits": 10, "at_bats": 0}, {"hits": 12, "at_bats": 10}])
def batting_average(hits: int, at_bats: int) -> float:
    """Compute a baseball batting average (hits divided by at-bats), rounded to three decimals.

    Args:
        hits: Number of hits; between 0 and at_bats.
        at_bats: Number of official at-bats; must be positive.
    """
    if at_bats <= 0 or not 0 <= hits <= at_bats:
        raise ValueError("at_bats must be positive and 0 <= hits <= at_bats")
    return round(hits / at_bats, 3)


@api(category=CAT, examples=[({"completions": 20, "attempts": 30, "yards": 250, "touchdowns": 2, "interceptions": 1}, 100.7),
                             ({"completions": 25, "attempts": 30, "yards": 400, "touchdowns": 5, "interceptions": 0}, 158.3)],
     raises=[{"completions": 5, "attempts": 0, "yards": 50, "touchdowns": 0, "interceptions": 0}])
def nfl_passer_rating(completions: int, attempts: int, yards: int, touchdowns: int, interceptions: int) -> float:
    """Compute the NFL passer rating of a quarterback (0 to 158.3) from passing statistics.

    Args:
        completions: Completed passes.
        attempts: Pass attempts; must be positive.
        yards: Passing yards.
        touchdowns: Touchdown passes.
        interceptions: Interceptions thrown.
    """
    if attempts <= 0 or completions > attempts or min(completions, touchdowns, interceptions) < 0:
        raise ValueError("attempts must be positive and counts consistent")

    def clamp(x: float) -> float:
        return max(0.0, min(2.375, x))
    a = clamp((completions / attempts - 0.3) * 5)
    b = clamp((yards / attempts - 3) * 0.25)
    c = clamp(touchdowns / attempts * 20)
    d = clamp(2.375 - interceptions / attempts * 25)
    return round((a + b + c + d) / 6 * 100, 1)


@api(category=CAT, examples=[({"rating_a": 1500, "rating_b": 1500, "result": "win"}, {"new_rating_a": 1516.0, "new_rating_b": 1484.0, "expected_score_a": 0.5}),
                             ({"rating_a": 1400, "rating_b": 1600, "result": "draw", "k_factor": 20},
                              {"new_rating_a": 1405.2, "new_rating_b": 1594.8, "expected_score_a": 0.2403})],
     raises=[{"rating_a": 1500, "rating_b": 1500, "result": "win", "k_factor": 0}])
def elo_rating_update(rating_a: float, rating_b: float, result: Literal["win", "loss", "draw"], k_factor: float = 32) -> dict[str, float]:
    """Update two players' Elo ratings after a game and report player A's expected score.

    Args:
        rating_a: Player A's rating before the game, 0 to 5000.
        rating_b: Player B's rating before the game, 0 to 5000.
        result: The game result from player A's point of view.
        k_factor: The maximum rating change per game; must be positive.
    """
    if k_factor <= 0:
        raise ValueError("k_factor must be positive")
    if not (0 <= rating_a <= 5000 and 0 <= rating_b <= 5000):
        raise ValueError("ratings must be between 0 and 5000")
    expected = 1 / (1 + 10 ** ((rating_b - rating_a) / 400))
    score = {"win": 1.0, "loss": 0.0, "draw": 0.5}[result]
    delta = k_factor * (score - expected)
    return {"new_rating_a": round(rating_a + delta, 1), "new_rating_b": round(rating_b - delta, 1), "expected_score_a": round(expected, 4)}


def _parse_clock(text: str) -> int:
    if not re.fullmatch(r"\d+(:\d{1,2}){0,2}", text.strip()):
        raise ValueError(f"time must look like HH:MM:SS or MM:SS, got {text!r}")
    parts = [int(p) for p in text.strip().split(":")]
    if any(p >= 60 for p in parts[1:]):
        raise ValueError("minutes and seconds must be below 60")
    total = 0
    for p in parts:
        total = total * 60 + p
    return total


@api(category=CAT, examples=[({"distance": 10, "time": "50:00"}, {"pace": "5:00", "speed": 12.0, "unit": "km"}),
                             ({"distance": 26.2, "time": "3:30:00", "unit": "mi"}, {"pace": "8:01", "speed": 7.49, "unit": "mi"})],
     raises=[{"distance": 0, "time": "20:00"}, {"distance": 5, "time": "25:75"}])
def running_pace(distance: float, time: str, unit: Literal["km", "mi"] = "km") -> dict[str, float | str]:
    """Compute running pace (minutes:seconds per km or mile) and average speed from a distance and finishing time.

    Args:
        distance: The distance covered, in the chosen unit; must be positive.
        time: The elapsed time as HH:MM:SS or MM:SS.
        unit: The distance unit: kilometres or miles.
    """
    if distance <= 0:
        raise ValueError("distance must be positive")
    seconds = _parse_clock(time)
    if seconds <= 0:
        raise ValueError("time must be positive")
    pace = round(seconds / distance)
    return {"pace": f"{pace // 60}:{pace % 60:02d}", "speed": round(distance / (seconds / 3600), 2), "unit": unit}


@api(category=CAT, examples=[({"known_distance_km": 10, "known_time": "50:00", "target_distance_km": 21.0975},
                              {"predicted_seconds": 6619, "predicted_time": "1:50:19"}),
                             ({"known_distance_km": 5, "known_time": "25:00", "target_distance_km": 10}, {"predicted_seconds": 3127, "predicted_time": "52:07"})],
     raises=[{"known_distance_km": 10, "known_time": "50:00", "target_distance_km": -1}])
def predict_race_time(known_distance_km: float, known_time: str, target_distance_km: float, fatigue_exponent: float = 1.06) -> dict[str, int | str]:
    """Predict a finishing time for a new race distance from a known result using Riegel's formula T2 = T1 (D2/D1)^k.

    Args:
        known_distance_km: The distance of the known race in kilometres; must be positive.
        known_time: The finishing time of the known race as HH:MM:SS or MM:SS.
        target_distance_km: The distance to predict a time for, in kilometres; must be positive.
        fatigue_exponent: Riegel's fatigue exponent k (1.06 is standard).
    """
    if known_distance_km <= 0 or target_distance_km <= 0:
        raise ValueError("distances must be positive")
    t = round(_parse_clock(known_time) * (target_distance_km / known_distance_km) ** fatigue_exponent)
    h, rem = divmod(t, 3600)
    text = f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"
    return {"predicted_seconds": t, "predicted_time": text}


@api(category=CAT, examples=[({"wins": 10, "losses": 6, "ties": 1}, 0.618), ({"wins": 54, "losses": 28}, 0.659)],
     raises=[{"wins": 0, "losses": 0}, {"wins": -1, "losses": 4}])
def win_percentage(wins: int, losses: int, ties: int = 0) -> float:
    """Compute a team's winning percentage, counting ties as half a win (3 decimals).

    Args:
        wins: Games won.
        losses: Games lost.
        ties: Games tied.
    """
    if min(wins, losses, ties) < 0 or wins + losses + ties == 0:
        raise ValueError("counts must be non-negative with at least one game")
    return round((wins + ties / 2) / (wins + losses + ties), 3)


@api(category=CAT, examples=[
    ({"matches": [{"home": "Lions", "away": "Tigers", "home_goals": 2, "away_goals": 1},
                  {"home": "Tigers", "away": "Bears", "home_goals": 0, "away_goals": 0},
                  {"home": "Bears", "away": "Lions", "home_goals": 3, "away_goals": 1}]},
     [{"team": "Bears", "played": 2, "won": 1, "drawn": 1, "lost": 0, "goals_for": 3, "goals_against": 1, "goal_difference": 2, "points": 4},
      {"team": "Lions", "played": 2, "won": 1, "drawn": 0, "lost": 1, "goals_for": 3, "goals_against": 4, "goal_difference": -1, "points": 3},
      {"team": "Tigers", "played": 2, "won": 0, "drawn": 1, "lost": 1, "goals_for": 1, "goals_against": 2, "goal_difference": -1, "points": 1}]),
    ({"matches": [{"home": "A", "away": "B", "home_goals": 1, "away_goals": 0}], "points_for_win": 2},
     [{"team": "A", "played": 1, "won": 1, "drawn": 0, "lost": 0, "goals_for": 1, "goals_against": 0, "goal_difference": 1, "points": 2},
      {"team": "B", "played": 1, "won": 0, "drawn": 0, "lost": 1, "goals_for": 0, "goals_against": 1, "goal_difference": -1, "points": 0}])],
    raises=[{"matches": [{"home": "A", "away": "B", "home_goals": -1, "away_goals": 0}]},
            {"matches": [{"home": "A", "away": "A", "home_goals": 1, "away_goals": 0}]}])
def league_standings(matches: list[MatchResult], points_for_win: int = 3) -> list[StandingRow]:
    """Build a league table from match results, ranked by points, then goal difference, goals scored and name.

    Args:
        matches: The played matches, each with home and away team names and their goals.
        points_for_win: Points awarded for a win (a draw always gives 1).
    """
    table: dict[str, dict[str, int]] = {}
    for m in matches:
        if m["home_goals"] < 0 or m["away_goals"] < 0:
            raise ValueError("goals must be non-negative")
        if m["home"] == m["away"]:
            raise ValueError("a team cannot play itself")
        for team, gf, ga in ((m["home"], m["home_goals"], m["away_goals"]), (m["away"], m["away_goals"], m["home_goals"])):
            row = table.setdefault(team, {"played": 0, "won": 0, "drawn": 0, "lost": 0, "goals_for": 0, "goals_against": 0})
            row["played"] += 1
            row["goals_for"] += gf
            row["goals_against"] += ga
            row["won" if gf > ga else "drawn" if gf == ga else "lost"] += 1
    rows: list[StandingRow] = []
    for team, r in table.items():
        rows.append({"team": team, **r, "goal_difference": r["goals_for"] - r["goals_against"],
                     "points": r["won"] * points_for_win + r["drawn"]})
    rows.sort(key=lambda r: (-r["points"], -r["goal_difference"], -r["goals_for"], r["team"]))
    return rows


@api(category=CAT, examples=[({"score": 90, "course_rating": 72.5, "slope_rating": 130}, 15.2),
                             ({"score": 78, "course_rating": 70.1, "slope_rating": 113, "pcc_adjustment": 1}, 6.9)],
     raises=[{"score": 90, "course_rating": 72.5, "slope_rating": 200}])
def golf_handicap_differential(score: int, course_rating: float, slope_rating: int, pcc_adjustment: float = 0.0) -> float:
    """Compute a golf score differential for the World Handicap System: (113 / slope) x (score - course rating - PCC).

    Args:
        score: The adjusted gross score for the round.
        course_rating: The course rating of the tees played.
        slope_rating: The slope rating of the tees played, between 55 and 155.
        pcc_adjustment: The playing conditions calculation adjustment for the day.
    """
    if not 55 <= slope_rating <= 155:
        raise ValueError("slope rating must be between 55 and 155")
    return round(113 / slope_rating * (score - course_rating - pcc_adjustment), 1)
