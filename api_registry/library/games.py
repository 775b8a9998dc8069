"""Game helpers: dice odds, poker hands, tic-tac-toe, chess moves, Scrabble scores, card shuffles and Sudoku checks."""

from __future__ import annotations

import random
from collections import Counter
from typing import Literal

from api_registry.python_functions import api

CAT = "games"

_RANKS = "23456789TJQKA"
_SUITS = "CDHS"
_SCRABBLE = {**dict.fromkeys("AEIOULNSTR", 1), **dict.fromkeys("DG", 2), **dict.fromkeys("BCMP", 3),
             **dict.fromkeys("FHVWY", 4), "K": 5, **dict.fromkeys("JX", 8), **dict.fromkeys("QZ", 10)}


@api(category=CAT, examples=[({"target": 7}, {"ways": 6, "total_outcomes": 36, "probability": 0.166667}),
                             ({"target": 10, "dice": 3}, {"ways": 27, "total_outcomes": 216, "probability": 0.125}),
                             ({"target": 20, "dice": 1, "sides": 20}, {"ways": 1, "total_outcomes": 20, "probability": 0.05})],
     raises=[{"target": 7, "dice": 0}, {"target": 5, "dice": 2, "sides": 1}])
def dice_sum_probability(target: int, dice: int = 2, sides: int = 6) -> dict[str, int | float]:
    """Compute the probability of rolling an exact total with several fair dice, with the count of favourable outcomes.

    Args:
        target: The total to roll.
        dice: How many dice are rolled, 1 to 20.
        sides: Faces per die, 2 to 100.
    """
    if not 1 <= dice <= 20 or not 2 <= sides <= 100:
        raise ValueError("dice must be 1-20 and sides 2-100")
    ways = [1]  # ways[t] = number of ways to roll total t with the dice so far
    for _ in range(dice):
        prefix = [0]
        for count in ways:
            prefix.append(prefix[-1] + count)
        n = len(ways)
        ways = [prefix[min(t, n)] - prefix[max(0, min(t - sides, n))] for t in range(n + sides)]
    favourable = ways[target] if 0 <= target < len(ways) else 0
    total_outcomes = sides ** dice
    return {"ways": favourable, "total_outcomes": total_outcomes, "probability": round(favourable / total_outcomes, 6)}


def _parse_card(card: str) -> tuple[int, str]:
    c = card.strip().upper().replace("10", "T")
    if len(c) != 2 or c[0] not in _RANKS or c[1] not in _SUITS:
        raise ValueError(f"invalid card {card!r}; use rank 2-9/T/J/Q/K/A plus suit C/D/H/S, e.g. AS")
    return _RANKS.index(c[0]) + 2, c[1]


@api(category=CAT, examples=[({"cards": ["AS", "KS", "QS", "JS", "TS"]}, {"hand": "royal_flush", "rank": 10}),
                             ({"cards": ["2H", "2D", "5S", "5C", "9H"]}, {"hand": "two_pair", "rank": 3}),
                             ({"cards": ["AH", "2D", "3C", "4S", "5H"]}, {"hand": "straight", "rank": 5}),
                             ({"cards": ["10H", "JH", "3H", "7H", "KH"]}, {"hand": "flush", "rank": 6})],
     raises=[{"cards": ["AS", "KS", "QS", "JS"]}, {"cards": ["AS", "AS", "QS", "JS", "TS"]}, {"cards": ["1X", "KS", "QS", "JS", "TS"]}])
def evaluate_poker_hand(cards: list[str]) -> dict[str, str | int]:
    """Classify a five-card poker hand (high card up to royal flush) and give its category rank from 1 (high card) to 10 (royal flush).

    Args:
        cards: Exactly five distinct cards written as rank plus suit, e.g. AS, 10H, 7D (ranks 2-10/T, J, Q, K, A; suits C, D, H, S).
    """
    if len(cards) != 5:
        raise ValueError("a poker hand has exactly five cards")
    parsed = [_parse_card(c) for c in cards]
    if len(set(parsed)) != 5:
        raise ValueError("cards must be distinct")
    values = sorted(v for v, _ in parsed)
    flush = len({s for _, s in parsed}) == 1
    straight = len(set(values)) == 5 and (values[-1] - values[0] == 4 or values == [2, 3, 4, 5, 14])
    counts = sorted(Counter(values).values(), reverse=True)
    if straight and flush:
        name = "royal_flush" if values[0] == 10 else "straight_flush"
    elif counts[0] == 4:
        name = "four_of_a_kind"
    elif counts == [3, 2]:
        name = "full_house"
    elif flush:
        name = "flush"
    elif straight:
        name = "straight"
    elif counts[0] == 3:
        name = "three_of_a_kind"
    elif counts == [2, 2, 1]:
        name = "two_pair"
    elif counts[0] == 2:
        name = "one_pair"
    else:
        name = "high_card"
    order = ["high_card", "one_pair", "two_pair", "three_of_a_kind", "straight", "flush", "full_house", "four_of_a_kind",
             "straight_flush", "royal_flush"]
    return {"hand": name, "rank": order.index(name) + 1}


@api(category=CAT, examples=[({"board": ["XOX", "OXO", "..X"]}, "X"), ({"board": ["XOX", "XOO", "OXX"]}, "draw"),
                             ({"board": ["X..", ".O.", "..."]}, "in_progress"), ({"board": ["OOO", "XX.", "X.."]}, "O")],
     raises=[{"board": ["XO", "OX"]}, {"board": ["XXX", "XX.", "..."]}])
def tic_tac_toe_winner(board: list[str]) -> Literal["X", "O", "draw", "in_progress"]:
    """Determine the state of a tic-tac-toe game: X wins, O wins, draw or still in progress.

    Args:
        board: Three rows of three characters each, using X, O and . for an empty cell.
    """
    if len(board) != 3 or any(len(r) != 3 or set(r.upper()) - set("XO.") for r in board):
        raise ValueError("board must be 3 rows of 3 characters from X, O and .")
    cells = "".join(board).upper()
    x, o = cells.count("X"), cells.count("O")
    if not (x == o or x == o + 1):
        raise ValueError("impossible position: X moves first and players alternate")
    lines = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]
    winners = {cells[a] for a, b, c in lines if cells[a] != "." and cells[a] == cells[b] == cells[c]}
    if len(winners) > 1:
        raise ValueError("impossible position: both players have three in a row")
    if winners:
        return winners.pop()
    return "draw" if "." not in cells else "in_progress"


@api(category=CAT, examples=[({"square": "a1"}, ["b3", "c2"]), ({"square": "d4"}, ["b3", "b5", "c2", "c6", "e2", "e6", "f3", "f5"]),
                             ({"square": "e1", "piece": "king"}, ["d1", "d2", "e2", "f1", "f2"])],
     raises=[{"square": "z9"}])
def chess_piece_moves(square: str, piece: Literal["knight", "king", "rook", "bishop", "queen"] = "knight") -> list[str]:
    """List every square a chess piece could move to from a square on an otherwise empty board, in alphabetical order.

    Args:
        square: The starting square in algebraic notation, e.g. e4.
        piece: The piece to move.
    """
    s = square.strip().lower()
    if len(s) != 2 or s[0] not in "abcdefgh" or s[1] not in "12345678":
        raise ValueError(f"invalid square {square!r}")
    f, r = ord(s[0]) - 97, int(s[1]) - 1
    if piece == "knight":
        steps, slide = [(1, 2), (2, 1), (-1, 2), (-2, 1), (1, -2), (2, -1), (-1, -2), (-2, -1)], False
    elif piece == "king":
        steps, slide = [(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1) if a or b], False
    else:
        rook, bishop = [(1, 0), (-1, 0), (0, 1), (0, -1)], [(1, 1), (1, -1), (-1, 1), (-1, -1)]
        steps, slide = {"rook": rook, "bishop": bishop, "queen": rook + bishop}[piece], True
    out = []
    for df, dr in steps:
        nf, nr = f + df, r + dr
        while 0 <= nf < 8 and 0 <= nr < 8:
            out.append(f"{chr(nf + 97)}{nr + 1}")
            if not slide:
                break
            nf, nr = nf + df, nr + dr
    return sorted(out)


@api(category=CAT, examples=[({"word": "quiz"}, 22), ({"word": "Hello", "word_multiplier": 2}, 16),
                             ({"word": "jazz", "letter_multipliers": [1, 3, 1, 1]}, 31)],
     raises=[{"word": "ab1"}, {"word": "cat", "letter_multipliers": [1, 2]}])
def scrabble_word_score(word: str, letter_multipliers: list[int] | None = None, word_multiplier: int = 1) -> int:
    """Score a word in English Scrabble, with optional per-letter multipliers (double/triple letter) and a word multiplier.

    Args:
        word: The word to score; letters A-Z only.
        letter_multipliers: One multiplier per letter (1, 2 or 3), for double- and triple-letter squares.
        word_multiplier: Multiplier for the whole word (2 for double word, 3 for triple word).
    """
    w = word.strip().upper()
    if not w or not all("A" <= c <= "Z" for c in w):
        raise ValueError("word must contain only letters A-Z")
    mults = letter_multipliers or [1] * len(w)
    if len(mults) != len(w):
        raise ValueError("letter_multipliers must have one entry per letter")
    score = sum(_SCRABBLE[c] * m for c, m in zip(w, mults)) * word_multiplier
    return score


@api(category=CAT, examples=[({"player1": "rock", "player2": "scissors"}, "player1"), ({"player1": "paper", "player2": "scissors"}, "player2"),
                             ({"player1": "spock", "player2": "spock"}, "draw"), ({"player1": "lizard", "player2": "spock"}, "player1")])
def rock_paper_scissors_winner(player1: Literal["rock", "paper", "scissors", "lizard", "spock"],
                               player2: Literal["rock", "paper", "scissors", "lizard", "spock"]) -> Literal["player1", "player2", "draw"]:
    """Decide a round of rock-paper-scissors (with the lizard-Spock extension).

    Args:
        player1: The first player's throw.
        player2: The second player's throw.
    """
    beats = {"rock": {"scissors", "lizard"}, "paper": {"rock", "spock"}, "scissors": {"paper", "lizard"},
             "lizard": {"spock", "paper"}, "spock": {"scissors", "rock"}}
    if player1 == player2:
        return "draw"
    return "player1" if player2 in beats[player1] else "player2"


@api(category=CAT, examples=[({"seed": 42, "num_cards": 5}, ["JC", "QD", "AD", "5C", "TD"]),
                             ({"seed": 7, "num_cards": 3}, ["6D", "2S", "7H"])],
     raises=[{"seed": 1, "num_cards": 53}])
def shuffle_deck(seed: int, num_cards: int = 52) -> list[str]:
    """Shuffle a standard 52-card deck reproducibly from a seed and deal the top cards (rank plus suit, e.g. AS, TD).

    Args:
        seed: The random seed; the same seed always gives the same order.
        num_cards: How many cards to deal from the top, 1 to 52.
    """
    if not 1 <= num_cards <= 52:
        raise ValueError("num_cards must be between 1 and 52")
    deck = [r + s for s in _SUITS for r in _RANKS]
    random.Random(seed).shuffle(deck)
    return deck[:num_cards]


_SOLVED = [[5, 3, 4, 6, 7, 8, 9, 1, 2], [6, 7, 2, 1, 9, 5, 3, 4, 8], [1, 9, 8, 3, 4, 2, 5, 6, 7],
           [8, 5, 9, 7, 6, 1, 4, 2, 3], [4, 2, 6, 8, 5, 3, 7, 9, 1], [7, 1, 3, 9, 2, 4, 8, 5, 6],
           [9, 6, 1, 5, 3, 7, 2, 8, 4], [2, 8, 7, 4, 1, 9, 6, 3, 5], [3, 4, 5, 2, 8, 6, 1, 7, 9]]
_BROKEN = [row[:] for row in _SOLVED]
_BROKEN[0][0], _BROKEN[0][1] = 3, 3


@api(category=CAT, examples=[({"grid": _SOLVED}, {"valid": True, "complete": True, "conflicts": []}),
                             ({"grid": _BROKEN}, {"valid": False, "complete": True, "conflicts": ["row 1", "column 1", "box 1"]}),
                             ({"grid": [[0] * 9 for _ in range(9)]}, {"valid": True, "complete": False, "conflicts": []})],
     raises=[{"grid": [[1, 2, 3]]}, {"grid": [[10] * 9 for _ in range(9)]}])
def validate_sudoku(grid: list[list[int]]) -> dict[str, bool | list[str]]:
    """Check a 9x9 Sudoku grid (0 for empty cells) for repeated digits in rows, columns and 3x3 boxes, and whether it is complete.

    Args:
        grid: Nine rows of nine integers from 0 to 9, where 0 marks an empty cell.
    """
    if len(grid) != 9 or any(len(r) != 9 for r in grid) or any(not 0 <= v <= 9 for r in grid for v in r):
        raise ValueError("grid must be 9x9 with values 0-9")
    conflicts = []
    groups = [(f"row {i + 1}", grid[i]) for i in range(9)]
    groups += [(f"column {j + 1}", [grid[i][j] for i in range(9)]) for j in range(9)]
    groups += [(f"box {b + 1}", [grid[3 * (b // 3) + i][3 * (b % 3) + j] for i in range(3) for j in range(3)]) for b in range(9)]
    for name, values in groups:
        filled = [v for v in values if v]
        if len(filled) != len(set(filled)):
            conflicts.append(name)
    return {"valid": not conflicts, "complete": all(v for r in grid for v in r), "conflicts": conflicts}
