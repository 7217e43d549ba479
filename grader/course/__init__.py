"""What is graded: the topics, their checks, the known-mistake catalogues and the verifiers.

This is the part of the package an instructor changes from term to term.
"""
