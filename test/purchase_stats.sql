/*
 * test/purchase_stats.sql: pgTAP checks of crm.purchase_stats and
 * crm.rfm_summary: every signature is a parallel-safe aggregate with the
 * support functions parallel query (and a Citus combine step) need, and its
 * figures equal those of the plain SQL it replaces.
 */
BEGIN;
SELECT plan(12);

-- The eight signatures: date or timestamptz, numeric or float8, with or
-- without cost.
SELECT is((SELECT count(*)::integer FROM pg_catalog.pg_proc p
			WHERE p.pronamespace = 'crm'::regnamespace AND p.proname = 'purchase_stats' AND p.prokind = 'a'),
		  8, 'crm.purchase_stats has 8 signatures');
SELECT is((SELECT count(*)::integer FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
			WHERE p.pronamespace = 'crm'::regnamespace AND p.proname = 'purchase_stats'
			  AND a.aggcombinefn = 'crm.purchase_stats_combine'::regproc
			  AND a.aggserialfn = 'crm.purchase_stats_serialize'::regproc
			  AND a.aggdeserialfn = 'crm.purchase_stats_deserialize'::regproc
			  AND a.aggfinalfn = 'crm.purchase_stats_final'::regproc
			  AND a.aggtranstype = 'internal'::regtype
			  AND p.proparallel = 's'),
		  8, 'every signature has combine, serialize, deserialize, final and is PARALLEL SAFE');
SELECT is((SELECT count(*)::integer FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
			WHERE p.pronamespace = 'crm'::regnamespace AND p.proname = 'purchase_stats'
			  AND a.aggtransspace = 512 AND a.aggfinalmodify = 'r'),
		  8, 'every signature declares SSPACE 512 and a read-only final function');
SELECT function_returns('crm', 'purchase_stats', ARRAY['timestamp with time zone', 'numeric', 'numeric'], 'crm.purchase_stats');
SELECT is((SELECT ARRAY[p.provolatile::text, p.proisstrict::text, p.proparallel::text] FROM pg_catalog.pg_proc p
			WHERE p.oid = 'crm.rfm_summary(crm.purchase_stats, date, text)'::regprocedure),
		  ARRAY['i', 'true', 's'], 'rfm_summary is IMMUTABLE STRICT PARALLEL SAFE');
SELECT is((SELECT count(*)::integer FROM pg_catalog.pg_proc p
			WHERE p.pronamespace = 'crm'::regnamespace AND p.proname = 'purchase_stats_trans'
			  AND p.provolatile = CASE WHEN p.proargtypes[1] = 'timestamptz'::regtype THEN 's' ELSE 'i' END),
		  8, 'transition functions are STABLE for timestamptz (time zone), IMMUTABLE for date');

-- Against the plain SQL a DBA would write, per customer of 30,000 orders.
CREATE TEMP TABLE o AS
SELECT i % 3000 AS customer_id,
	   timestamptz '2025-01-01 00:00+00' + (crm.demo_uniform(5, 1, i) * 365) * interval '1 day' AS at,
	   round((crm.demo_uniform(5, 2, i) * 900)::numeric, 2) AS amount
  FROM generate_series(1, 30000) i;
CREATE TEMP TABLE a AS
SELECT customer_id, crm.purchase_stats(at, amount) AS s FROM o GROUP BY customer_id;
CREATE TEMP TABLE b AS
SELECT customer_id, min(at)::date AS first_day, max(at)::date AS last_day, count(*) AS n,
	   count(DISTINCT at::date) AS days, sum(amount) AS revenue, avg(amount) AS mean
  FROM o GROUP BY customer_id;
SELECT is((SELECT count(*)::integer FROM a JOIN b USING (customer_id)
			WHERE (a.s).first_purchase = b.first_day AND (a.s).last_purchase = b.last_day), 3000,
		  'first and last purchase days equal min() and max()');
SELECT is((SELECT count(*)::integer FROM a JOIN b USING (customer_id)
			WHERE (a.s).orders = b.n AND (a.s).purchase_days = b.days), 3000,
		  'orders and purchase days equal count(*) and count(DISTINCT day)');
SELECT is((SELECT count(*)::integer FROM a JOIN b USING (customer_id)
			WHERE (a.s).revenue::text = b.revenue::text AND (a.s).mean_order_value::text = b.mean::text), 3000,
		  'revenue and mean order value equal sum() and avg(), digit for digit');
SELECT is((SELECT count(*)::integer FROM a JOIN b USING (customer_id)
			WHERE (a.s).net_value = b.revenue AND (a.s).cost = 0), 3000,
		  'without costs, net value is the revenue');

-- rfm_summary follows its definition for every customer.
SELECT is((SELECT count(*)::integer FROM a,
				  LATERAL crm.rfm_summary(a.s, '2026-01-01', 'day') r
			WHERE r.frequency = (a.s).purchase_days - 1
			  AND r.recency = (a.s).last_purchase - (a.s).first_purchase
			  AND r.age = date '2026-01-01' - (a.s).first_purchase), 3000,
		  'rfm_summary: x = purchase days - 1, t_x = last - first, T = as_of - first (days)');
SELECT is((SELECT count(*)::integer FROM a
			WHERE (crm.rfm_summary(a.s, '2026-01-01', 'week')).age * 7 - ((crm.rfm_summary(a.s, '2026-01-01', 'day')).age) BETWEEN -1e-9 AND 1e-9),
		  3000, 'a week is 7 days');

SELECT * FROM finish();
ROLLBACK;
