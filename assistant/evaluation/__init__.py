"""Offline evaluation: case files, metrics, results, comparison, threshold gate and report."""
