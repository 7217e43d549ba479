"""Instructor and maintainer tools: stubs, handouts, the student release, the translation catalogue."""
