-- crm.distribute() on a server without Citus: a clear error; the layout it
-- would apply; separate_sequences() does nothing off a Citus worker.  The
-- distributed suite (test/distributed.sh) runs it on a real cluster.
SELECT * FROM crm.distribution();
\set VERBOSITY default
SELECT * FROM crm.distribute();
SELECT crm.separate_sequences() AS sequences_moved;
-- every table of crm has its place in the distributed schema, and every
-- distributed table but customers is keyed by customer_id
SELECT c.relname AS table_without_place
  FROM pg_class c
 WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r'
   AND c.relname NOT IN (SELECT table_name FROM crm.distribution());
SELECT d.table_name AS primary_key_without_distribution_column
  FROM crm.distribution() d
  JOIN pg_constraint k ON k.conrelid = format('crm.%I', d.table_name)::regclass AND k.contype IN ('p', 'u')
 WHERE d.kind = 'distributed'
   AND NOT EXISTS (SELECT FROM pg_attribute a
					WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey) AND a.attname = d.distribution_column);
