"""The fuzzer behind tests/test_fuzz.py, by concern: routes (the URL patterns), shapes (what
a view reads), values (what is sent) and requests (how it is sent)."""
