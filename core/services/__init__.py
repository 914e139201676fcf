"""Use cases: one function each, taking plain values and the acting employee, returning small dataclasses."""
