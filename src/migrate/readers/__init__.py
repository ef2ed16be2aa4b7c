"""Readers: Poetry and Pipenv metadata and locks into the format-neutral Project model."""
