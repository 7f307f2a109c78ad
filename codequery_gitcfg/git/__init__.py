"""All git access (``repo``), and what runs in git: hooks, install, doctor."""
