"""The toolbox: helpers every app shares. Imports Django and the standard library, never a
project app."""
