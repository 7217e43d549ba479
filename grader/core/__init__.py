"""Grade one folder of modules: the catalogue of checks, the pytest plugin, the runner, the results."""
