"""Use cases: plain functions with explicit arguments. They flush; views commit."""
