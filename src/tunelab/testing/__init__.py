"""Reusable test material: conformance suites and Hypothesis strategies.

Nothing in tunelab imports this package; it needs the ``dev`` extra (hypothesis, pytest).
Third-party samplers, pruners and storages can run the same suites as the built-ins.
"""
