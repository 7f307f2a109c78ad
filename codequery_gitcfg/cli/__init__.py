"""The command line (``main``) and the entry point of the installed hook scripts (``hook``)."""
