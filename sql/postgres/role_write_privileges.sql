-- Dialect-specific (PostgreSQL catalog), so it lives in sql/postgres/ and is not transpiled or run elsewhere.
-- PostgreSQL only: how many of the canonical tables the connected role may change (INSERT, UPDATE, DELETE or
-- TRUNCATE). The dashboard warns when this is not 0: `default_transaction_read_only` is a default a session can
-- override (SET TRANSACTION READ WRITE), a read-only role is the guarantee.
SELECT COUNT(*) AS writable
FROM pg_catalog.pg_tables t
WHERE t.tablename IN ('projects', 'label_classes', 'annotators', 'items', 'item_attributes', 'batches',
                      'annotations', 'gold_labels', 'reviews', 'model_runs', 'model_metrics', 'predictions')
  AND t.schemaname = current_schema()
  AND has_table_privilege(current_user, quote_ident(t.schemaname) || '.' || quote_ident(t.tablename),
                          'INSERT, UPDATE, DELETE, TRUNCATE')
