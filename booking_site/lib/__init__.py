"""The toolbox: helpers every app shares (docs/development.md, "The map"). Imports the
standard library, Django, Celery and the Redis clients, never a project app: import-linter
and tests/test_lib.py check."""
