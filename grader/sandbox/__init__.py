"""The only place student code runs: worker processes, their confinement, wire format and rules.

This package knows nothing of the course: it runs "a module of a submission" described by
a :class:`~grader.sandbox.client.ModuleSpec`, and the caller names the worker-side modules a
run needs. Each worker is confined by the operating system before anything else
(:mod:`grader.sandbox.boot`, :mod:`grader.sandbox.confine`); :mod:`grader.sandbox.client`
is the grader's end of it, :mod:`grader.sandbox.worker` the worker's.
"""
