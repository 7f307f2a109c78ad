"""Pure functions on bytes and data: reading, schema, migration, judging, formatting."""
