"""Evaluation: scenario suites, the runner that plays them against the assistant, metrics and
reports."""
