"""The file system: strict reads, atomic writes, locks, caches and ConfigManager."""
