"""SQLite storage: schema and migrations (schema.py) and the queries bridgewatch runs (queries.py)."""
