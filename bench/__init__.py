"""Reproducible benchmarks for Tandem, with a seeded synthetic data generator.

Run ``python -m bench --help`` for the list; results and how to read them are in
docs/performance.md.
"""
