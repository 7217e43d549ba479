"""The only place student code runs: worker processes, their wire format and their rules.

This package knows nothing of the course: it runs "a module of a submission" described by
a :class:`~grader.sandbox.client.ModuleSpec`.
"""
