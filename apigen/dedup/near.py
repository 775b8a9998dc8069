"""Near-duplicate queries: MinHash signatures of word 3-grams, candidates from LSH (``datasketch``).

LSH only proposes candidates; each is confirmed by the exact Jaccard similarity of the two shingle
sets (kept as sorted 32-bit hashes, ~0.2 KB a query): with the MinHash estimate alone, 9% of the near
duplicates flagged in ``benchmarks/bench_dedup.py`` were truly below 0.8 (down to 0.72). Since every
candidate is checked exactly, LSH is tuned for recall, not precision: datasketch's default weights
(0.5, 0.5) make a pair at exactly J = 0.8 a candidate with probability 0.36-0.40 (0.6-0.7 at 0.85);
weights (0.05, 0.95) with 64 permutations (10 bands of 6 rows) make it 0.95 (0.99 at 0.85), for the
memory of datasketch's default at 128 permutations (~3 KB a query) and less hashing. The permutations are made once
per index and shared by every signature: datasketch otherwise draws them again for each MinHash,
which costs more than hashing the query.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Hashable

import numpy as np
from datasketch import MinHash, MinHashLSH

from apigen.dedup.normalize import word_ngrams

DEFAULT_THRESHOLD = 0.8
NUM_PERM = 64
LSH_WEIGHTS = (0.05, 0.95)  # (false positive, false negative): candidates are checked exactly
SHINGLE_WORDS = 3


class Signer:
    """MinHash signatures of word n-grams, all with the same permutations (hence comparable)."""

    def __init__(self, num_perm: int = NUM_PERM, ngram: int = SHINGLE_WORDS, seed: int = 1):
        self.num_perm, self.ngram = num_perm, ngram
        template = MinHash(num_perm=num_perm, seed=seed)
        self._perms, self._scheme, self._seed = template.permutations, template.scheme, seed

    def sign(self, tokens: list[str]) -> Signature | None:
        """The signature of a normalized query's words; None when it has none."""
        shingles = word_ngrams(tokens, self.ngram)
        if not shingles:
            return None
        # One stable 32-bit hash per shingle (CRC-32, in C), for the MinHash (datasketch mixes it) and the
        # exact set alike: a third of the cost of datasketch's default SHA-1, and the same in every process.
        hashes = [zlib.crc32(s.encode("utf-8", "surrogatepass")) for s in shingles]
        m = MinHash(num_perm=self.num_perm, seed=self._seed, permutations=self._perms, scheme=self._scheme,
                    hashfunc=int)
        m.update_batch(hashes)
        return Signature(m, np.unique(np.array(hashes, dtype=np.uint32)))


@dataclass(frozen=True)
class Signature:
    minhash: MinHash
    shingles: np.ndarray  # sorted distinct hashes of the word n-grams


@dataclass(frozen=True)
class NearMatch:
    key: Hashable     # the indexed entry's key
    jaccard: float    # the Jaccard similarity of the two shingle sets


class NearIndex:
    """Signatures indexed for near-duplicate lookup at ``threshold`` (estimated Jaccard)."""

    def __init__(self, signer: Signer, threshold: float = DEFAULT_THRESHOLD):
        if not 0 < threshold <= 1:
            raise ValueError(f"near-duplicate threshold must be in (0, 1], not {threshold}")
        self.signer, self.threshold = signer, threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=signer.num_perm, weights=LSH_WEIGHTS)
        self._values: dict[Hashable, tuple[int, np.ndarray]] = {}  # key -> (insertion order, shingles)

    def __len__(self) -> int:
        return len(self._values)

    def match(self, signature: Signature | None) -> NearMatch | None:
        """The most similar indexed entry at or above the threshold (the earliest one on a tie)."""
        if signature is None or not self._values:
            return None
        best: tuple[float, int, Hashable] | None = None
        for key in self._lsh.query(signature.minhash):
            order, shingles = self._values[key]
            shared = len(np.intersect1d(shingles, signature.shingles, assume_unique=True))
            jaccard = shared / (len(shingles) + len(signature.shingles) - shared)
            if jaccard >= self.threshold and (best is None or (jaccard, -order) > (best[0], -best[1])):
                best = (jaccard, order, key)
        return NearMatch(key=best[2], jaccard=round(best[0], 3)) if best else None

    def add(self, key: Hashable, signature: Signature | None) -> None:
        """Index ``signature`` under ``key`` (a key already there keeps its first signature)."""
        if signature is None or key in self._values:
            return
        self._lsh.insert(key, signature.minhash, check_duplication=False)
        self._values[key] = (len(self._values), signature.shingles)
