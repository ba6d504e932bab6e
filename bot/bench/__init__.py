"""Benchmarks (`python -m bot bench-*`): measured against a baseline in the same run."""
