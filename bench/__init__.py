"""Benchmarks anyone can rerun: ``python -m bench.<name>``."""
