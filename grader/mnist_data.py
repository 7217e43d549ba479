"""Compatibility: notebooks released before 0.2 say ``from grader.mnist_data import load_mnist``.

New handouts import it from :mod:`grader.notebook`; the implementation is
:mod:`grader.course.mnist_data`.
"""

from grader.course.mnist_data import load_mnist, locate_mnist, read_npz

__all__ = ["load_mnist", "locate_mnist", "read_npz"]
