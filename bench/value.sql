-- Scores and classes per customer (src/value.c) against the SQL a DBA
-- would write for the same definition: crm.value_score against its formula
-- as a SQL expression, crm.segment against a nine-branch CASE.  Over the
-- per-customer purchase stats of the demo data, kept in a bench table so
-- both sides read the same rows; both sides are checked to agree first.
\echo '== value: per-customer purchase stats at 2025-12-31, kept for the timings'
DROP TABLE IF EXISTS bench.value_stats;
CREATE UNLOGGED TABLE bench.value_stats AS
SELECT s.customer_id, s.stats, c.satisfaction, (s.stats).revenue AS volume
  FROM crm.customer_purchase_stats s JOIN crm.customers c ON c.id = s.customer_id
 WHERE (s.stats).purchase_days > 0;
VACUUM ANALYZE bench.value_stats;
SELECT count(*) AS customers FROM bench.value_stats;

\echo '== value: the C functions and the SQL agree on every customer'
SELECT count(*) AS customers,
	   count(*) FILTER (WHERE abs(crm.value_score(stats, '2025-12-31') -
							  100 * (0.4 * 0.5 ^ (('2025-12-31'::date - (stats).last_purchase) / 180.0)
									 + 0.2 * (1 - 0.5 ^ ((stats).purchase_days / 3.0))
									 + 0.2 * ((stats).revenue / ((stats).revenue + 1000))
									 + 0.2 * (greatest((stats).net_value, 0) / (greatest((stats).net_value, 0) + 1000)))::float8)
						 < 1e-9) AS value_score_equal,
	   count(*) FILTER (WHERE crm.segment(satisfaction, volume, '{5,8}', '{1000,10000}') IS NOT DISTINCT FROM
						 CASE WHEN satisfaction >= 8 THEN CASE WHEN volume >= 10000 THEN 'A' WHEN volume >= 1000 THEN 'B' ELSE 'C' END
							  WHEN satisfaction >= 5 THEN CASE WHEN volume >= 10000 THEN 'D' WHEN volume >= 1000 THEN 'E' ELSE 'F' END
							  WHEN satisfaction IS NOT NULL THEN CASE WHEN volume >= 10000 THEN 'G' WHEN volume >= 1000 THEN 'H' ELSE 'I' END
						 END) AS segment_equal
  FROM bench.value_stats;

\echo '== value: median ms of 3 runs, crm vs the SQL expression (0 and 2 workers)'
SELECT c.* FROM (VALUES (0), (2)) v(w),
	LATERAL bench.compare('value_score vs SQL formula',
		$$SELECT crm.value_score(stats, '2025-12-31') FROM bench.value_stats$$,
		$$SELECT 100 * (0.4 * 0.5 ^ (('2025-12-31'::date - (stats).last_purchase) / 180.0)
						+ 0.2 * (1 - 0.5 ^ ((stats).purchase_days / 3.0))
						+ 0.2 * ((stats).revenue / ((stats).revenue + 1000))
						+ 0.2 * (greatest((stats).net_value, 0) / (greatest((stats).net_value, 0) + 1000)))::float8
			FROM bench.value_stats$$,
		v.w, 3) c
UNION ALL
SELECT c.* FROM (VALUES (0), (2)) v(w),
	LATERAL bench.compare('segment vs CASE',
		$$SELECT crm.segment(satisfaction, volume, '{5,8}', '{1000,10000}') FROM bench.value_stats$$,
		$$SELECT CASE WHEN satisfaction >= 8 THEN CASE WHEN volume >= 10000 THEN 'A' WHEN volume >= 1000 THEN 'B' ELSE 'C' END
					  WHEN satisfaction >= 5 THEN CASE WHEN volume >= 10000 THEN 'D' WHEN volume >= 1000 THEN 'E' ELSE 'F' END
					  WHEN satisfaction IS NOT NULL THEN CASE WHEN volume >= 10000 THEN 'G' WHEN volume >= 1000 THEN 'H' ELSE 'I' END
				 END FROM bench.value_stats$$,
		v.w, 3) c;
\echo '== value: scan floor of bench.value_stats (median ms of 5 runs)'
SELECT * FROM bench.scan_floor('bench.value_stats', 'volume');
DROP TABLE bench.value_stats;
