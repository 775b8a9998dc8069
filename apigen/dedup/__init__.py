"""Deduplication and decontamination of a run's samples (and of an existing dataset, ``apigen verify --dedup``).

One purpose per module: ``normalize`` (the text two queries are compared on), ``exact`` (the key of an
exact duplicate), ``near`` (MinHash/LSH near-duplicate queries), ``contamination`` (benchmark
questions a training set must not contain) and ``dataset_filter`` (the ordered pass that keeps the
first occurrence and rejects the others with a ``dedup`` verdict).
"""
