-- bench/citus/driver.sql: the interleaved comparison of bench/citus.sh, run from a
-- driver database on the coordinator that holds a dblink connection to each
-- of the two databases compared (psql variables single and cluster: their
-- connection strings; rounds: the timed rounds per operation).
--
-- bench.compare_nodes(operation, query) runs the query once on each side to
-- warm up (caches, plans, Citus' connections to the workers), then `rounds`
-- times single node, cluster, single node, cluster, ... so that a change of
-- load from other work on the machine hits both sides alike; it returns the
-- median time of each side, their ratio (cluster / single node), and the
-- median of the per-round ratios.
\set ON_ERROR_STOP 1
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE SCHEMA IF NOT EXISTS bench;
SELECT dblink_connect('single', :'single'), dblink_connect('cluster', :'cluster');

CREATE OR REPLACE FUNCTION bench.remote_ms(conn text, query text)
RETURNS float8
LANGUAGE sql AS $$
SELECT ms FROM dblink(conn, format('SELECT bench.once_ms(%L)', query)) AS t(ms float8)
$$;

CREATE OR REPLACE FUNCTION bench.compare_nodes(operation text, query text, rounds integer)
RETURNS TABLE (op text, single_ms numeric, cluster_ms numeric, ratio numeric, round_ratio numeric)
LANGUAGE plpgsql AS $$
DECLARE
	s float8[] := '{}';
	c float8[] := '{}';
	r float8[] := '{}';
	ms_s float8;
	ms_c float8;
	i integer;
BEGIN
	PERFORM bench.remote_ms('single', query), bench.remote_ms('cluster', query);
	FOR i IN 1 .. rounds LOOP
		ms_s := bench.remote_ms('single', query);
		ms_c := bench.remote_ms('cluster', query);
		s := s || ms_s;
		c := c || ms_c;
		r := r || ms_c / ms_s;
	END LOOP;
	RETURN QUERY
	SELECT operation,
		   round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(s) v)::numeric, 1),
		   round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(c) v)::numeric, 1),
		   round(((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(c) v)
				  / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(s) v))::numeric, 2),
		   round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(r) v)::numeric, 2);
END;
$$;

CREATE TEMP TABLE results (op text, single_ms numeric, cluster_ms numeric, ratio numeric, round_ratio numeric);

-- The operations: per-customer work, population-wide aggregates, rollups.
-- refresh_grades alternates between two days, so that every run rewrites
-- the grades (and logs the changes) on both sides.
INSERT INTO results SELECT * FROM bench.compare_nodes('customer_360, full scan', 'SELECT * FROM crm.customer_360', :rounds);
INSERT INTO results SELECT * FROM bench.compare_nodes('customer_360, one customer', 'SELECT * FROM crm.customer_360 WHERE id = 4242', :rounds);
INSERT INTO results SELECT * FROM bench.compare_nodes('customer_purchase_stats', 'SELECT * FROM crm.customer_purchase_stats', :rounds);
INSERT INTO results SELECT * FROM bench.compare_nodes('refresh_grades',
	$$SELECT * FROM crm.refresh_grades(CASE WHEN (SELECT max(as_of) FROM crm.customer_grades) = '2025-12-31' THEN '2025-06-30' ELSE '2025-12-31' END::date)$$, :rounds);
INSERT INTO results SELECT * FROM bench.compare_nodes('pareto_classes', $$SELECT * FROM crm.pareto_classes('2025-12-31')$$, :rounds);
INSERT INTO results SELECT * FROM bench.compare_nodes('summary from the orders + bgnbd_fit',
	$$SELECT crm.bgnbd_fit(frequency, recency, age)
		FROM (SELECT (crm.rfm_summary(crm.purchase_stats(ordered_at, amount), '2025-12-31', 'day')).*
				FROM crm.orders GROUP BY customer_id) s$$, :rounds);
INSERT INTO results SELECT * FROM bench.compare_nodes('summary from the orders + gammagamma_fit',
	$$SELECT crm.gammagamma_fit(frequency, monetary::float8)
		FROM (SELECT (crm.rfm_summary(crm.purchase_stats(ordered_at, amount), '2025-12-31', 'day')).*
				FROM crm.orders GROUP BY customer_id) s$$, :rounds);
INSERT INTO results SELECT * FROM bench.compare_nodes('calibration_holdout', $$SELECT * FROM crm.calibration_holdout('2025-06-30', '2025-12-31')$$, :rounds);
INSERT INTO results SELECT * FROM bench.compare_nodes('funnel (view)', 'SELECT * FROM crm.funnel', :rounds);
INSERT INTO results SELECT * FROM bench.compare_nodes('pipeline_forecast', $$SELECT * FROM crm.pipeline_forecast('project', 3, '2025-12-31 24:00+00')$$, :rounds);
INSERT INTO results SELECT * FROM bench.compare_nodes('quota_attainment', 'SELECT * FROM crm.quota_attainment', :rounds);
INSERT INTO results SELECT * FROM bench.compare_nodes('monthly_sales', 'SELECT * FROM crm.monthly_sales', :rounds);
INSERT INTO results SELECT * FROM bench.compare_nodes('campaign_effectiveness', 'SELECT * FROM crm.campaign_effectiveness', :rounds);
INSERT INTO results SELECT * FROM bench.compare_nodes('tree_score over the persons',
	$$SELECT crm.tree_score(m.model, o) FROM bench.offer_customers o, crm.models m WHERE m.name = 'bench_offer'$$, :rounds);
INSERT INTO results SELECT * FROM bench.compare_nodes('find_duplicates(0.9)', 'SELECT * FROM crm.find_duplicates(0.9)', :rounds);

\echo '== citus: median ms of the interleaved runs, single node and three-node cluster (ratio = cluster / single node; round ratio = median of the per-round ratios)'
SELECT op AS operation, single_ms, cluster_ms, ratio, round_ratio FROM results;
SELECT count(*) AS operations, max(ratio) AS worst_ratio,
	   count(*) FILTER (WHERE ratio > 3) AS above_3x
  FROM results;
