-- crm.funnel_forecast over 1,000,000 open opportunities (psql variable
-- funnel_rows; run.sh scales it with the customers) against the plain
-- SQL weighted sum by stage (issue "Funnel weighting and forecast": target
-- at most 1.2 x the plain query's time).  The opportunities are generated
-- deterministically in a bench table: 3 stages of the seed's pipeline,
-- amounts 100.00 .. 999,999.00, the time already spent in the stage known
-- for two thirds of them.  Both queries read the same table and return
-- the expected revenue; the baseline gives one weighted sum per stage (no
-- timing model), crm gives the revenue per month with the timing model.
\if :{?funnel_rows}
\else
\set funnel_rows 1000000
\endif
\echo '== funnel:' :funnel_rows 'open opportunities'
DROP TABLE IF EXISTS bench.funnel_opps;
CREATE UNLOGGED TABLE bench.funnel_opps AS
SELECT i AS id, 1 + (i * 7) % 3 AS stage,
	   (100 + (i::bigint * 7919) % 99990000 / 100.0)::numeric(14,2) AS amount,
	   CASE WHEN i % 3 <> 0 THEN ((i * 13) % 40) / 20.0 END::float8 AS months_in_stage
  FROM generate_series(1, :funnel_rows) i;
VACUUM ANALYZE bench.funnel_opps;
SELECT stage, count(*), sum(amount) FROM bench.funnel_opps GROUP BY stage ORDER BY stage;

\echo '== funnel: results (seed funnel: conversion {0.5,0.8,0.9}, months {2,1,1})'
SELECT crm.funnel_forecast(stage, amount, '{0.5,0.8,0.9}', '{2,1,1}', 6) AS forecast_time_unknown,
	   crm.funnel_forecast(stage, amount, '{0.5,0.8,0.9}', '{2,1,1}', 6, months_in_stage) AS forecast_time_known
  FROM bench.funnel_opps;
SELECT stage, sum(amount * (ARRAY[0.36, 0.72, 0.9])[stage]) AS weighted
  FROM bench.funnel_opps GROUP BY stage ORDER BY stage;

\echo '== funnel: median ms of 5 runs, crm.funnel_forecast vs plain SQL GROUP BY stage weighted sum'
SELECT c.* FROM (VALUES (0), (2)) v(w),
	LATERAL bench.compare('funnel_forecast',
		$$SELECT crm.funnel_forecast(stage, amount, '{0.5,0.8,0.9}', '{2,1,1}', 6) FROM bench.funnel_opps$$,
		$$SELECT stage, sum(amount * (ARRAY[0.36, 0.72, 0.9])[stage]) FROM bench.funnel_opps GROUP BY stage$$,
		v.w) c;
SELECT * FROM bench.compare('funnel_forecast, time in stage known',
	$$SELECT crm.funnel_forecast(stage, amount, '{0.5,0.8,0.9}', '{2,1,1}', 6, months_in_stage) FROM bench.funnel_opps$$,
	$$SELECT stage, sum(amount * (ARRAY[0.36, 0.72, 0.9])[stage]) FROM bench.funnel_opps GROUP BY stage$$,
	0);
\echo '== funnel: scan floor of bench.funnel_opps (median ms of 5 runs)'
SELECT * FROM bench.scan_floor('bench.funnel_opps', 'amount');
DROP TABLE bench.funnel_opps;
