-- bench/citus/node.sql: what bench/citus.sh installs in each of the two databases
-- it compares (crm_single, a plain database, and crm_dist, distributed with
-- crm.distribute()), both on the coordinator of the three-node cluster:
-- the timing function and the decision tree the scoring benchmark uses.
CREATE SCHEMA IF NOT EXISTS bench;

-- bench.once_ms(query): SELECT count(q) over the query q once (every column
-- of every row computed, none sent to the client), in ms measured in the
-- server.
CREATE OR REPLACE FUNCTION bench.once_ms(query text)
RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
	started timestamptz := clock_timestamp();
BEGIN
	EXECUTE format('SELECT count(q) FROM (%s) q', query);
	RETURN extract(epoch FROM clock_timestamp() - started) * 1000;
END;
$$;

-- the persons' features of the demo data (test/distributed/checks.sql)
CREATE OR REPLACE VIEW bench.offer_customers AS
SELECT id AS customer_id, (attributes->>'age')::integer AS age, attributes->>'occupation' AS occupation,
	   (attributes->>'income')::numeric AS income, attributes->>'marital_status' AS marital_status,
	   (attributes->>'monthly_bill')::numeric AS monthly_bill, industry,
	   (attributes->>'uses_offer')::boolean AS uses_offer
  FROM crm.customers WHERE kind = 'person';
SELECT name, rows_used FROM crm.tree_train_model('bench_offer',
	'SELECT age, occupation, income, marital_status, monthly_bill, industry, uses_offer FROM bench.offer_customers ORDER BY customer_id',
	'uses_offer', '{"cp": 0.004}');
