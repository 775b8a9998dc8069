"""Near-duplicate queries: MinHash signatures of word 3-grams, candidates from LSH (``datasketch``).

LSH only proposes candidates (pairs whose estimated Jaccard similarity is likely above the
threshold); each is confirmed by the estimate from the two signatures, so a match always states its
Jaccard estimate. 128 permutations: the estimate's standard error at 0.8 is ~0.035 (64 halves the LSH
cost but doubles the variance; see ``benchmarks/bench_dedup.py``). The permutations are made once
per index and shared by every signature: datasketch otherwise draws them again for each MinHash,
which costs more than hashing the query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable

import numpy as np
from datasketch import MinHash, MinHashLSH

from apigen.dedup.normalize import word_ngrams

DEFAULT_THRESHOLD = 0.8
NUM_PERM = 128
SHINGLE_WORDS = 3


class Signer:
    """MinHash signatures of word n-grams, all with the same permutations (hence comparable)."""

    def __init__(self, num_perm: int = NUM_PERM, ngram: int = SHINGLE_WORDS, seed: int = 1):
        self.num_perm, self.ngram = num_perm, ngram
        template = MinHash(num_perm=num_perm, seed=seed)
        self._perms, self._scheme, self._seed = template.permutations, template.scheme, seed

    def sign(self, tokens: list[str]) -> MinHash | None:
        """The signature of a normalized query's words; None when it has none."""
        shingles = word_ngrams(tokens, self.ngram)
        if not shingles:
            return None
        m = MinHash(num_perm=self.num_perm, seed=self._seed, permutations=self._perms, scheme=self._scheme)
        m.update_batch([s.encode("utf-8", "surrogatepass") for s in shingles])
        return m


@dataclass(frozen=True)
class NearMatch:
    key: Hashable     # the indexed entry's key
    jaccard: float    # the estimated Jaccard similarity of the two shingle sets


class NearIndex:
    """Signatures indexed for near-duplicate lookup at ``threshold`` (estimated Jaccard)."""

    def __init__(self, signer: Signer, threshold: float = DEFAULT_THRESHOLD):
        if not 0 < threshold <= 1:
            raise ValueError(f"near-duplicate threshold must be in (0, 1], not {threshold}")
        self.signer, self.threshold = signer, threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=signer.num_perm)
        self._values: dict[Hashable, tuple[int, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self._values)

    def match(self, signature: MinHash | None) -> NearMatch | None:
        """The most similar indexed entry at or above the threshold (the earliest one on a tie)."""
        if signature is None or not self._values:
            return None
        best: tuple[float, int, Hashable] | None = None
        for key in self._lsh.query(signature):
            order, values = self._values[key]
            jaccard = float(np.count_nonzero(values == signature.hashvalues)) / self.signer.num_perm
            if jaccard >= self.threshold and (best is None or (jaccard, -order) > (best[0], -best[1])):
                best = (jaccard, order, key)
        return NearMatch(key=best[2], jaccard=round(best[0], 3)) if best else None

    def add(self, key: Hashable, signature: MinHash | None) -> None:
        """Index ``signature`` under ``key`` (a key already there keeps its first signature)."""
        if signature is None or key in self._values:
            return
        self._lsh.insert(key, signature, check_duplication=False)
        self._values[key] = (len(self._values), signature.hashvalues)
