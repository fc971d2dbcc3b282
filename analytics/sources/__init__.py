"""Query paths: SQL dialect translation (sqlglot) and the Spark engine."""
