"""Scenario tests for scripts (``*.scenarios.yaml``): run them, compare, measure coverage."""
