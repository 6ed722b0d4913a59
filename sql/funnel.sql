-- Funnel weighting and forecast (src/funnel.c, src/funnel.sql).

-- A worked example: stages potential, bid,
-- negotiation; open amounts 500,000 / 250,000 / 200,000; conversion 50 %,
-- 80 %, 90 %; mean months in stage 2, 1, 1.  Time in stage unknown, so the
-- rest of a stage is half of it:
--   negotiation: 0.5 month       -> month 1: 200,000 * 0.9             = 180,000
--   bid:         0.5 + 1 = 1.5   -> month 2: 250,000 * 0.8 * 0.9       = 180,000
--   potential:   1 + 1 + 1 = 3   -> month 3: 500,000 * 0.5 * 0.8 * 0.9 = 180,000
SELECT crm.funnel_forecast(stage, amount, '{0.5,0.8,0.9}', '{2,1,1}', 3) AS seed_forecast
  FROM (VALUES (1, 500000), (2, 250000), (3, 200000)) AS o(stage, amount);
-- the same with the 'project' pipeline's own arrays, set to the seed's
-- figures as shipped (the pipeline test changed them)
BEGIN;
UPDATE crm.pipeline_stages s SET conversion_rate = v.rate, mean_days = v.days
  FROM (VALUES ('potential', 0.5, 60.875), ('bid', 0.8, 30.4375), ('negotiation', 0.9, 30.4375)) AS v(stage, rate, days)
 WHERE s.pipeline = 'project' AND s.stage = v.stage;
SELECT * FROM crm.pipeline_funnel('project');
SELECT f.month, f.expected_revenue
  FROM crm.pipeline_funnel('project') p,
	   LATERAL (SELECT crm.funnel_forecast(pg_catalog.array_position(p.stages, o.stage), o.amount,
										   p.conversion, p.stage_months, 3) AS months
				  FROM (VALUES ('potential', 500000), ('bid', 250000), ('negotiation', 200000)) AS o(stage, amount)) a,
	   LATERAL unnest(a.months) WITH ORDINALITY AS f(expected_revenue, month);
ROLLBACK;

-- win probability: the product of the rates from the stage to the end
SELECT s, crm.win_probability(s, '{0.5,0.8,0.9}') AS p,
	   round(crm.win_probability(s, '{0.5,0.8,0.9}')::numeric, 12) AS p_rounded
  FROM generate_series(1, 3) s;
-- an opportunity's own probability overrides the funnel's; NULL falls back
SELECT crm.win_probability(1, '{0.5,0.8,0.9}', 0.2) AS own,
	   crm.win_probability(3, '{0.5,0.8,0.9}', NULL) AS funnel,
	   crm.win_probability(NULL, NULL, 0.7) AS own_without_funnel,
	   crm.win_probability(NULL, '{0.5}', NULL) IS NULL AS null_stage,
	   crm.win_probability(1, '[0:1]={0.5,0.5}') AS lower_bound_ignored,
	   crm.win_probability(1, '{0,1}') AS zero_rate;

-- months to close: rest of the stage (known or half) plus the later stages
SELECT crm.months_to_close(1, '{2,1,1}') AS potential_unknown,
	   crm.months_to_close(2, '{2,1,1}') AS bid_unknown,
	   crm.months_to_close(3, '{2,1,1}') AS negotiation_unknown,
	   crm.months_to_close(1, '{2,1,1}', 0.5) AS potential_half_month_in,
	   crm.months_to_close(1, '{2,1,1}', 7) AS potential_overdue,
	   crm.months_to_close(NULL, '{2,1,1}') IS NULL AS null_stage;

-- Timing: ceil(remaining) and at least month 1; beyond the horizon: left out
SELECT crm.funnel_forecast(stage, amount, '{1,1}', '{2,3}', 4, spent) AS timing
  FROM (VALUES (2, 100, NULL),   -- 1.5 months -> month 2
			   (2, 10, 3),       -- overdue: 0 -> month 1
			   (2, 1, 2),        -- 3 - 2 = 1 -> month 1 (remaining in (0, 1] is month 1)
			   (2, 1000, 1.999), -- 1.001 -> month 2
			   (1, 20000, 0),    -- 2 + 3 = 5 -> beyond the horizon of 4
			   (1, 300000, 1.5)  -- 0.5 + 3 = 3.5 -> month 4
	   ) AS o(stage, amount, spent);
-- own probabilities, NULL rows skipped, amounts rounded to cents at the end
SELECT crm.funnel_forecast(stage, amount, '{0.5,0.5}', '{1,1}', 2, NULL, own) AS own_probability
  FROM (VALUES (1, 100.00, 1.0), (1, 100.00, NULL), (2, 0.01, 0.5), (2, 0.01, 0.5), (NULL, 5, NULL), (2, NULL, NULL)) AS o(stage, amount, own);
-- no rows: NULL; only skipped rows: zeros
SELECT crm.funnel_forecast(1, 1, '{1}', '{1}', 2) FROM generate_series(1, 0) AS no_rows;
SELECT crm.funnel_forecast(NULL, 1, '{1}', '{1}', 2) AS only_skipped;

-- Errors: every one names the value and says what to do
SELECT try($$SELECT crm.win_probability(0, '{0.5,0.8,0.9}')$$) AS stage_zero;
SELECT try($$SELECT crm.win_probability(4, '{0.5,0.8,0.9}')$$) AS stage_past_end;
SELECT try($$SELECT crm.win_probability(1, '{0.5,1.2}')$$) AS rate_above_one;
SELECT try($$SELECT crm.win_probability(1, '{-0.1,0.5}')$$) AS rate_negative;
SELECT try($$SELECT crm.win_probability(1, '{0.5,NaN}')$$) AS rate_nan;
SELECT try($$SELECT crm.win_probability(1, '{0.5,NULL,0.9}')$$) AS rate_null;
SELECT try($$SELECT crm.win_probability(1, '{}')$$) AS empty_funnel;
SELECT try($$SELECT crm.win_probability(1, '{{0.5,0.8},{0.9,1}}')$$) AS two_dimensional;
SELECT try($$SELECT crm.win_probability(1, '{0.5}', 1.5)$$) AS own_above_one;
SELECT try($$SELECT crm.months_to_close(1, '{2,-1}')$$) AS negative_duration;
SELECT try($$SELECT crm.months_to_close(1, '{2,Infinity}')$$) AS infinite_duration;
SELECT try($$SELECT crm.months_to_close(3, '{2,1}')$$) AS months_stage_past_end;
SELECT try($$SELECT crm.months_to_close(1, '{2,1}', -1)$$) AS negative_time_in_stage;
SELECT try($$SELECT crm.funnel_forecast(1, 1, NULL, '{1}', 3)$$) AS null_conversion;
SELECT try($$SELECT crm.funnel_forecast(1, 1, '{1}', NULL, 3)$$) AS null_stage_months;
SELECT try($$SELECT crm.funnel_forecast(1, 1, '{1}', '{1}', NULL)$$) AS null_horizon;
SELECT try($$SELECT crm.funnel_forecast(1, 1, '{1}', '{1}', 0)$$) AS horizon_zero;
SELECT try($$SELECT crm.funnel_forecast(1, 1, '{1}', '{1}', 1201)$$) AS horizon_too_long;
SELECT try($$SELECT crm.funnel_forecast(1, 1, '{0.5,0.5}', '{1}', 3)$$) AS length_mismatch;
SELECT try($$SELECT crm.funnel_forecast(2, 1, '{0.5}', '{1}', 3)$$) AS forecast_stage_past_end;
SELECT try($$SELECT crm.funnel_forecast(1, 1, '{2}', '{1}', 3)$$) AS forecast_rate_above_one;
SELECT try($$SELECT crm.funnel_forecast(1, 1, '{0.5}', '{1}', 3, -0.5)$$) AS forecast_negative_time_in_stage;
SELECT try($$SELECT crm.funnel_forecast(1, 1, '{0.5}', '{1}', 3, NULL, -1)$$) AS forecast_own_negative;
SELECT try($$SELECT crm.funnel_forecast(1, 'NaN', '{0.5}', '{1}', 3)$$) AS amount_nan;
SELECT try($$SELECT crm.funnel_forecast(1, 1, '{0.5}', '{1}', h) FROM (VALUES (2), (3)) v(h)$$) AS horizon_changes;
SELECT try($$SELECT crm.funnel_forecast_final('{1,2,3}')$$) AS not_a_state;
SELECT try($$SELECT crm.funnel_forecast_trans(NULL, 1, 1, '{1}', '{1}', 1)$$) AS trans_outside_aggregate;

-- Parallel equals serial: 200,000 opportunities over 4 stages, with and
-- without the time spent in stage and own probabilities
CREATE TABLE funnel_par AS
SELECT i AS id, 1 + i % 4 AS stage, ((i * 7919) % 100000) / 100.0 + 1000 AS amount,
	   CASE WHEN i % 3 = 0 THEN NULL ELSE (i % 17) / 10.0 END AS spent,
	   CASE WHEN i % 11 = 0 THEN (i % 10) / 10.0 END AS own
  FROM generate_series(1, 200000) i;
ANALYZE funnel_par;
CREATE TEMP TABLE funnel_serial AS
SELECT crm.funnel_forecast(stage, amount, '{0.3,0.5,0.8,0.9}', '{1.5,1,1,0.5}', 6) AS plain,
	   crm.funnel_forecast(stage, amount, '{0.3,0.5,0.8,0.9}', '{1.5,1,1,0.5}', 6, spent, own) AS full
  FROM funnel_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT crm.funnel_forecast(stage, amount, '{0.3,0.5,0.8,0.9}', '{1.5,1,1,0.5}', 6) FROM funnel_par;
SELECT p.plain = s.plain AS plain_parallel_equals_serial, p.full = s.full AS full_parallel_equals_serial,
	   p.plain AS forecast
  FROM (SELECT crm.funnel_forecast(stage, amount, '{0.3,0.5,0.8,0.9}', '{1.5,1,1,0.5}', 6) AS plain,
			   crm.funnel_forecast(stage, amount, '{0.3,0.5,0.8,0.9}', '{1.5,1,1,0.5}', 6, spent, own) AS full
		  FROM funnel_par) p, funnel_serial s;
-- and both equal exact numeric arithmetic rounded to cents
SELECT array_agg(round(coalesce(v, 0), 2) ORDER BY m) AS exact_plain
  FROM generate_series(1, 6) m
  LEFT JOIN (SELECT greatest(1, ceil(crm.months_to_close(stage, '{1.5,1,1,0.5}')))::integer AS m,
					sum(amount * (ARRAY[0.3 * 0.5 * 0.8 * 0.9, 0.5 * 0.8 * 0.9, 0.8 * 0.9, 0.9])[stage]) AS v
			   FROM funnel_par GROUP BY 1) x USING (m);
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE funnel_par;

-- The empirical funnel on a crafted history (pipeline 'crafted': a -> b ->
-- c -> won), six opportunities created on 2025-01-01:
--   1: a -> b (Jan 11) -> c (Jan 31) -> won (Feb 10)    a, b, c converted: 10, 20, 10 days
--   2: a -> b (Jan 21) -> lost (Feb 20)                  a converted (20 days), b failed
--   3: a -> lost (Jan 15)                                a failed
--   4: a -> b (Jan 6), still open in b                   a converted (5 days), b still open
--   5: a, suspended                                      a still open (not a failure)
--   6: a -> b (Jan 31) -> c (Feb 10) -> terminated (Mar 1)  a, b converted (30, 10 days), c failed
-- By hand:
--   a: reached 6, converted 4 (1, 2, 4, 6), failed 1 (3), open 1 (5): rate 4/5 = 0.8,
--      mean days (10 + 20 + 5 + 30) / 4 = 16.25
--   b: reached 4 (1, 2, 4, 6), converted 2 (1, 6), failed 1 (2), open 1 (4): rate 2/3,
--      mean days (20 + 10) / 2 = 15
--   c: reached 2 (1, 6), converted 1 (1, won), failed 1 (6): rate 1/2, mean days 10
BEGIN;
INSERT INTO crm.pipeline_stages (pipeline, stage, position, is_final, conversion_rate, mean_days, visits_per_week) VALUES
	('crafted', 'a', 1, false, 0.1, 1, 1), ('crafted', 'b', 2, false, 0.1, 1, 2),
	('crafted', 'c', 3, false, 0.1, 1, 3), ('crafted', 'won', 4, true, NULL, NULL, NULL);
INSERT INTO crm.customers (id, name) OVERRIDING SYSTEM VALUE VALUES (700001, 'Funnel Test Ltd.');
INSERT INTO crm.opportunities (id, customer_id, name, pipeline, stage, status, amount, owner, created_at, closed_at, closing_summary)
OVERRIDING SYSTEM VALUE VALUES
	(700001, 700001, 'one', 'crafted', 'won', 'won', 1000, 'rep_a', '2025-01-01', '2025-02-10', 'signed'),
	(700002, 700001, 'two', 'crafted', 'b', 'lost', 2000, 'rep_a', '2025-01-01', '2025-02-20', 'price'),
	(700003, 700001, 'three', 'crafted', 'a', 'lost', 3000, 'rep_a', '2025-01-01', '2025-01-15', 'no budget'),
	(700004, 700001, 'four', 'crafted', 'b', 'open', 4000, 'rep_a', '2025-01-01', NULL, NULL),
	(700005, 700001, 'five', 'crafted', 'a', 'suspended', 5000, 'rep_b', '2025-01-01', NULL, NULL),
	(700006, 700001, 'six', 'crafted', 'c', 'terminated', 6000, 'rep_b', '2025-01-01', '2025-03-01', 'project stopped');
INSERT INTO crm.opportunity_history (opportunity_id, changed_at, old_stage, new_stage, old_status, new_status) VALUES
	(700001, '2025-01-11', 'a', 'b', 'open', 'open'),
	(700001, '2025-01-31', 'b', 'c', 'open', 'open'),
	(700001, '2025-02-10', 'c', 'won', 'open', 'won'),
	(700002, '2025-01-21', 'a', 'b', 'open', 'open'),
	(700002, '2025-02-20', 'b', 'b', 'open', 'lost'),
	(700003, '2025-01-15', 'a', 'a', 'open', 'lost'),
	(700004, '2025-01-06', 'a', 'b', 'open', 'open'),
	(700005, '2025-02-01', 'a', 'a', 'open', 'suspended'),
	(700006, '2025-01-31', 'a', 'b', 'open', 'open'),
	(700006, '2025-02-10', 'b', 'c', 'open', 'open'),
	(700006, '2025-03-01', 'c', 'c', 'open', 'terminated');
SELECT stage, position, reached, converted, failed, still_open,
	   round(conversion_rate::numeric, 6) AS conversion_rate, round(mean_days::numeric, 6) AS mean_days
  FROM crm.empirical_funnel('crafted');
-- the procedure writes them into the pipeline: with min_closed 3 only a
-- (5 closed cases) and b (3) change, c (2) keeps its 0.1 and 1 day
CALL crm.apply_empirical_funnel('crafted', 3);
SELECT stage, round(conversion_rate::numeric, 6) AS conversion_rate, mean_days
  FROM crm.pipeline_stages WHERE pipeline = 'crafted' ORDER BY position;
CALL crm.apply_empirical_funnel('crafted');
SELECT stage, round(conversion_rate::numeric, 6) AS conversion_rate, mean_days
  FROM crm.pipeline_stages WHERE pipeline = 'crafted' ORDER BY position;
SELECT try($$CALL crm.apply_empirical_funnel('no such pipeline')$$) AS unknown_pipeline;
SELECT try($$CALL crm.apply_empirical_funnel('crafted', 0)$$) AS min_closed_zero;
SELECT * FROM crm.empirical_funnel('no such pipeline') AS unknown_pipeline_no_rows;

-- The funnel view: open opportunities only (4 in b); an own probability
-- overrides the stage's (rates now 0.8, 2/3, 0.5: b wins 1/3)
UPDATE crm.opportunities SET win_probability = 0.5 WHERE id = 700004;
INSERT INTO crm.opportunities (id, customer_id, name, pipeline, stage, amount, owner)
OVERRIDING SYSTEM VALUE VALUES (700007, 700001, 'seven', 'crafted', 'b', 3000, 'rep_b');
INSERT INTO crm.opportunity_owners VALUES (700007, 'rep_b', 60), (700007, 'rep_a', 40);
SELECT stage, position, open_count, amount, round(win_probability::numeric, 6) AS win_probability,
	   weighted_amount, visits_per_week, planned_visits_per_week, round(months_to_close::numeric, 6) AS months_to_close
  FROM crm.funnel WHERE pipeline = 'crafted' ORDER BY position;
-- 4000 * 0.5 + 3000 * 1/3 = 3000
-- hand-over when rep_a leaves: owned and co-owned, open and suspended
SELECT opportunity_id, name, stage, status, amount, credit_share, round(win_probability::numeric, 6) AS p,
	   weighted_amount, co_owners
  FROM crm.handover('rep_a');
SELECT opportunity_id, status, credit_share, co_owners FROM crm.handover('rep_b');
SELECT count(*) AS nobody FROM crm.handover('rep_nobody');
-- the pipeline's forecast as of 2025-01-10: 4 is in b since Jan 6 (4 days
-- = 0.131 month), so 15 / 30.4375 - 0.131 + 10 / 30.4375 = 0.69 month ->
-- month 1, 4000 * 0.5 = 2000; 7 was created after as_of (time in stage
-- counted as 0): 0.49 + 0.33 = 0.82 -> month 1, 3000 / 3 = 1000
SELECT * FROM crm.pipeline_forecast('crafted', 2, '2025-01-10');
ROLLBACK;
