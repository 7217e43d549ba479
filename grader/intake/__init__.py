"""What was handed in (folder, notebook, zip) -> a folder of modules to grade."""
