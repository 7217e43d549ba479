"""The checks: one pytest module per topic (``test_<topic>.py``), run by :mod:`grader.runner`."""
