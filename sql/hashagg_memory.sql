-- A high-cardinality GROUP BY does not blow memory: hashed per-customer
-- aggregation keeps within work_mem * hash_mem_multiplier and spills the
-- rest to disk in batches, as PostgreSQL's own aggregates do.  The states
-- of crm.purchase_stats account their memory in the aggregate context
-- (the state and its purchase days in one allocation), so the executor sees
-- what they use.  The plan figures come from EXPLAIN (ANALYZE, FORMAT JSON):
-- no timing, so the output is stable.

CREATE FUNCTION pg_temp.hashagg_usage(query text)
RETURNS TABLE (strategy text, groups bigint, batches integer, peak_kb integer, spilled_kb integer)
LANGUAGE plpgsql AS $$
DECLARE
	plan jsonb;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || query INTO plan;
	plan := plan -> 0 -> 'Plan';
	-- (Actual Rows has two decimals from PostgreSQL 18: numeric first)
	RETURN QUERY SELECT plan ->> 'Strategy', (plan ->> 'Actual Rows')::numeric::bigint,
						(plan ->> 'HashAgg Batches')::integer, (plan ->> 'Peak Memory Usage')::integer,
						(plan ->> 'Disk Usage')::integer;
END;
$$;

-- 200,000 orders of 50,000 customers
CREATE TABLE memory_orders AS
SELECT i % 50000 AS customer_id, timestamptz '2024-01-01 00:00+00' + (i % 700) * interval '1 day' AS at,
	   (i % 1000)::numeric AS amount
  FROM generate_series(1, 200000) i;
ANALYZE memory_orders;
SET max_parallel_workers_per_gather = 0;
SET enable_sort = off;
SET hash_mem_multiplier = 2;

-- work_mem 1MB: the hash table may use 2MB; it spills instead of growing
SET work_mem = '1MB';
SELECT strategy, groups, batches > 1 AS spilled_to_disk, peak_kb <= 2048 AS within_hash_mem
  FROM pg_temp.hashagg_usage('SELECT customer_id, crm.purchase_stats(at, amount) FROM memory_orders GROUP BY customer_id');
-- and gives the same result as with memory to spare
CREATE TEMP TABLE small_memory AS
SELECT customer_id, crm.purchase_stats(at, amount) AS s FROM memory_orders GROUP BY customer_id;
SET work_mem = '64MB';
SELECT strategy, groups, batches AS batches_with_64mb, peak_kb <= 131072 AS within_hash_mem
  FROM pg_temp.hashagg_usage('SELECT customer_id, crm.purchase_stats(at, amount) FROM memory_orders GROUP BY customer_id');
SELECT count(*) AS customers, count(*) FILTER (WHERE m.s = g.s) AS same_stats
  FROM small_memory m
  JOIN (SELECT customer_id, crm.purchase_stats(at, amount) AS s FROM memory_orders GROUP BY customer_id) g USING (customer_id);

RESET work_mem;
RESET hash_mem_multiplier;
RESET enable_sort;
RESET max_parallel_workers_per_gather;
DROP TABLE memory_orders;
