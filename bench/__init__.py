"""Benchmarks (not tests): run them as scripts, e.g. ``python bench/pages.py``."""
