"""Benchmarks of the books: each prints its figure, as a ratio against a baseline run in the same process."""
