-- Forecast categories and the roll-up with manager adjustments: default
-- categories from status and probability, a rep's own category and its
-- history, the roll-up by rep, team (the role hierarchy) and all of a
-- crafted month computed by hand, adjustments recorded with who and from
-- what to what, who may adjust, every error, and a rep's view under row
-- security.
SET TimeZone = 'UTC';

SELECT s AS status, p AS probability, crm.default_forecast_category(s, p) AS category
  FROM unnest('{won,lost,terminated,suspended,archived}'::crm.opportunity_status[]) s, (VALUES (0.95::float8)) v(p)
UNION ALL
SELECT 'open', p, crm.default_forecast_category('open', p)
  FROM unnest(ARRAY[0.95, 0.9, 0.89, 0.5, 0.49, 0, NULL]::float8[]) p;

-- Pipeline fc: s1 -> s2 -> s3 -> won, rates 0.5, 0.6, 0.9: win probability
-- s3 0.9 (commit), s2 0.54 (best_case), s1 0.27 (pipeline).  Reps 1 and 2
-- are in team east, rep 3 in team west; boss is a manager.
CREATE ROLE regress_fc_team_east;
CREATE ROLE regress_fc_team_west;
CREATE ROLE regress_fc_rep1 IN ROLE crm_rep, regress_fc_team_east;
CREATE ROLE regress_fc_rep2 IN ROLE crm_rep, regress_fc_team_east;
CREATE ROLE regress_fc_rep3 IN ROLE crm_rep, regress_fc_team_west;
CREATE ROLE regress_fc_boss IN ROLE crm_manager;
INSERT INTO crm.pipeline_stages (pipeline, stage, position, is_final, conversion_rate, mean_days) VALUES
	('fc', 's1', 1, false, 0.5, 30), ('fc', 's2', 2, false, 0.6, 30), ('fc', 's3', 3, false, 0.9, 30),
	('fc', 'won', 4, true, NULL, NULL);
INSERT INTO crm.customers (id, name, owner) OVERRIDING SYSTEM VALUE VALUES
	(740001, 'Forecast One', 'regress_fc_rep1'), (740002, 'Forecast Two', 'regress_fc_rep2'),
	(740003, 'Forecast Three', 'regress_fc_rep3');
-- The deals of March 2026, by hand:
--    1 rep1 s3 1000                       commit (0.9)
--    2 rep1 s2 2000                       best_case (0.54)
--    3 rep1 s1 3000, set to commit        commit
--    4 rep2 s1 4000                       pipeline (0.27)
--    5 rep2 s2 5000, own probability 0.95 commit
--    6 rep2 won Mar 10, 6000              closed
--    7 rep3 lost Mar 20, 7000             omitted
--    8 rep3 s2 8000, suspended            omitted
--    9 rep3 s3 9000, closes in April      not in March
--   10 rep1 won Feb 28, 10000             not in March
--   11 rep3 s1 1100, set to omitted       omitted
INSERT INTO crm.opportunities (id, customer_id, name, pipeline, stage, status, amount, expected_close, win_probability,
							   owner, created_at, closed_at, closing_summary, forecast_category)
OVERRIDING SYSTEM VALUE VALUES
	(740001, 740001, 'one', 'fc', 's3', 'open', 1000, '2026-03-15', NULL, 'regress_fc_rep1', '2026-01-01', NULL, NULL, NULL),
	(740002, 740001, 'two', 'fc', 's2', 'open', 2000, '2026-03-31', NULL, 'regress_fc_rep1', '2026-01-01', NULL, NULL, NULL),
	(740003, 740001, 'three', 'fc', 's1', 'open', 3000, '2026-03-01', NULL, 'regress_fc_rep1', '2026-01-01', NULL, NULL, 'commit'),
	(740004, 740002, 'four', 'fc', 's1', 'open', 4000, '2026-03-20', NULL, 'regress_fc_rep2', '2026-01-01', NULL, NULL, NULL),
	(740005, 740002, 'five', 'fc', 's2', 'open', 5000, '2026-03-20', 0.95, 'regress_fc_rep2', '2026-01-01', NULL, NULL, NULL),
	(740006, 740002, 'six', 'fc', 'won', 'won', 6000, '2026-03-10', NULL, 'regress_fc_rep2', '2026-01-01', '2026-03-10', 'signed', NULL),
	(740007, 740003, 'seven', 'fc', 's2', 'lost', 7000, '2026-03-31', NULL, 'regress_fc_rep3', '2026-01-01', '2026-03-20', 'price', NULL),
	(740008, 740003, 'eight', 'fc', 's2', 'suspended', 8000, '2026-03-05', NULL, 'regress_fc_rep3', '2026-01-01', NULL, NULL, NULL),
	(740009, 740003, 'nine', 'fc', 's3', 'open', 9000, '2026-04-01', NULL, 'regress_fc_rep3', '2026-01-01', NULL, NULL, NULL),
	(740010, 740001, 'ten', 'fc', 'won', 'won', 10000, '2026-02-28', NULL, 'regress_fc_rep1', '2026-01-01', '2026-02-28', 'signed', NULL),
	(740011, 740003, 'eleven', 'fc', 's1', 'open', 1100, '2026-03-02', NULL, 'regress_fc_rep3', '2026-01-01', NULL, NULL, 'omitted');

-- The roll-up of March, by hand:
--   rep1 commit 2 (1, 3) 4000, best_case 1 (2) 2000
--   rep2 closed 1 (6) 6000, commit 1 (5) 5000, pipeline 1 (4) 4000
--   rep3 omitted 3 (7, 8, 11) 16100
--   east (reps 1 and 2) closed 6000, commit 3 9000, best_case 2000, pipeline 4000; west omitted 3 16100
--   all: closed 1 6000, commit 3 9000, best_case 1 2000, pipeline 1 4000, omitted 3 16100
SELECT level, name, category, deals, amount, adjusted_amount, adjusted_by
  FROM crm.forecast_rollup('fc', '2026-03-01');
-- the quarter adds rep1's deal 10 (won Feb 28) and rep3's deal 9 (April)
SELECT level, name, category, deals, amount FROM crm.forecast_rollup('fc', '2026-01-01', 'quarter') WHERE level = 'all';

-- A rep's category is kept in the history, old and new.
UPDATE crm.opportunities SET forecast_category = 'commit' WHERE id = 740002;
UPDATE crm.opportunities SET forecast_category = NULL WHERE id = 740002;
SELECT old_stage, new_stage, old_forecast_category, new_forecast_category
  FROM crm.opportunity_history WHERE opportunity_id = 740002 ORDER BY id;

-- The manager adjusts the east team's commit twice (9000 -> 7500 -> 8000)
-- and the total pipeline; the roll-up shows the latest, the table every
-- step with who and from what.
SET ROLE regress_fc_boss;
SELECT level, name, category, from_amount, amount, note, adjusted_by
  FROM crm.adjust_forecast('fc', '2026-03-01', 'month', 'team', 'regress_fc_team_east', 'commit', 7500, 'deal 3 slips to April');
SELECT level, name, category, from_amount, amount, note, adjusted_by
  FROM crm.adjust_forecast('fc', '2026-03-01', 'month', 'team', 'regress_fc_team_east', 'commit', 8000.004);
SELECT level, name, category, from_amount, amount, adjusted_by
  FROM crm.adjust_forecast('fc', '2026-03-01', 'month', 'all', NULL, 'pipeline', 0, 'deal 4 is dead');
-- an adjustment of a figure without deals: a row of its own
SELECT from_amount FROM crm.adjust_forecast('fc', '2026-03-01', 'month', 'rep', 'regress_fc_rep3', 'best_case', 500);
RESET ROLE;
SELECT level, name, category, deals, amount, adjusted_amount, adjusted_by
  FROM crm.forecast_rollup('fc', '2026-03-01') WHERE adjusted_by IS NOT NULL;
SELECT level, name, category, from_amount, amount, adjusted_by, adjusted_at <= now() AS adjusted_before_now
  FROM crm.forecast_adjustments WHERE pipeline = 'fc' ORDER BY id;
-- other periods are not affected
SELECT count(*) AS adjusted_in_the_quarter FROM crm.forecast_rollup('fc', '2026-01-01', 'quarter') WHERE adjusted_by IS NOT NULL;

-- Who may adjust: managers; a rep neither by the function nor by the table.
SET ROLE regress_fc_rep1;
SELECT try($$SELECT crm.adjust_forecast('fc', '2026-03-01', 'month', 'rep', 'regress_fc_rep1', 'commit', 99999)$$) AS rep_adjusts;
SELECT try($$INSERT INTO crm.forecast_adjustments (pipeline, period, period_start, level, name, category, from_amount, amount)
			 VALUES ('fc', 'month', '2026-03-01', 'rep', 'regress_fc_rep1', 'commit', 0, 99999)$$) AS rep_inserts;
RESET ROLE;
SET ROLE regress_fc_boss;
SELECT try($$UPDATE crm.forecast_adjustments SET amount = 1 WHERE pipeline = 'fc'$$) AS manager_rewrites;
RESET ROLE;

-- Errors
SELECT try($$SELECT * FROM crm.forecast_rollup('fc', '2026-03-01', 'week')$$) AS unknown_period;
SELECT try($$SELECT * FROM crm.forecast_rollup('fc', '2026-03-02')$$) AS not_first_day;
SELECT try($$SELECT * FROM crm.forecast_rollup('fc', '2026-02-01', 'quarter')$$) AS not_quarter_start;
SELECT try($$SELECT * FROM crm.forecast_rollup('FC', '2026-03-01')$$) AS unknown_pipeline;
SELECT try($$SELECT crm.adjust_forecast('fc', '2026-03-01', 'month', 'region', 'x', 'commit', 1)$$) AS bad_level;
SELECT try($$SELECT crm.adjust_forecast('fc', '2026-03-01', 'month', 'all', 'x', 'commit', 1)$$) AS name_for_all;
SELECT try($$SELECT crm.adjust_forecast('fc', '2026-03-01', 'month', 'rep', NULL, 'commit', 1)$$) AS no_name;
SELECT try($$SELECT crm.adjust_forecast('fc', '2026-03-01', 'month', 'rep', 'x', 'closed', 1)$$) AS closed_category;
SELECT try($$SELECT crm.adjust_forecast('fc', '2026-03-01', 'month', 'rep', 'x', 'commit', -1)$$) AS negative;
SELECT try($$SELECT crm.adjust_forecast('fc', '2026-03-01', 'month', 'rep', 'x', 'commit', 'NaN')$$) AS nan;
SELECT count(*) AS null_pipeline FROM crm.forecast_rollup(NULL, '2026-03-01');

-- Row security: rep1 sees its own customer's deals only, so its roll-up
-- (and its team's) holds those; the manager sees all.
SELECT count(*) AS tables FROM crm.enable_row_security();
SET ROLE regress_fc_rep1;
SELECT level, name, category, deals, amount FROM crm.forecast_rollup('fc', '2026-03-01') WHERE deals > 0;
SET ROLE regress_fc_boss;
SELECT level, category, deals, amount FROM crm.forecast_rollup('fc', '2026-03-01') WHERE level = 'all';
RESET ROLE;
SELECT count(*) AS tables FROM crm.disable_row_security();

DELETE FROM crm.forecast_adjustments WHERE pipeline = 'fc';
DELETE FROM crm.customers WHERE id IN (740001, 740002, 740003);
DELETE FROM crm.pipeline_stages WHERE pipeline = 'fc';
DROP ROLE regress_fc_rep1, regress_fc_rep2, regress_fc_rep3, regress_fc_boss, regress_fc_team_east, regress_fc_team_west;
