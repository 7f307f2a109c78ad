"""Templates of the native git hook scripts that ``codequery-gitcfg install`` writes.

A regular package, not a bare folder: ``importlib.resources.files`` cannot open
a namespace package on Python 3.9, and setuptools' editable installs do not map
a namespace sub-package (``codequery_gitcfg.hooks`` comes from this top-level
folder through ``package-dir``).
"""
