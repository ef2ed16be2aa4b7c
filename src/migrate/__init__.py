"""uv-migrate: move Poetry and Pipenv projects to uv, ready for free-threaded Python."""

__version__ = "0.1.0"
