-- Pipeline changes: the state of every opportunity as of a moment and the
-- waterfall between two moments, reconstructed from crm.opportunity_history,
-- on a crafted history whose answers are computed by hand below; every
-- argument error; row security as a rep and a manager.
SET TimeZone = 'UTC';

-- Pipeline pc: s1 -> s2 -> s3 -> won (final).  Customer 710001 belongs to
-- regress_crm_pc_rep1, 710002 to regress_crm_pc_rep2.
CREATE ROLE regress_crm_pc_rep1;
CREATE ROLE regress_crm_pc_rep2;
CREATE ROLE regress_crm_pc_boss;
GRANT crm_rep TO regress_crm_pc_rep1, regress_crm_pc_rep2;
GRANT crm_manager TO regress_crm_pc_boss;
INSERT INTO crm.pipeline_stages (pipeline, stage, position, is_final, conversion_rate, mean_days) VALUES
	('pc', 's1', 1, false, 0.5, 30), ('pc', 's2', 2, false, 0.5, 30),
	('pc', 's3', 3, false, 0.8, 30), ('pc', 'won', 4, true, NULL, NULL);
INSERT INTO crm.customers (id, name, owner) OVERRIDING SYSTEM VALUE VALUES
	(710001, 'Pipeline Changes One', 'regress_crm_pc_rep1'),
	(710002, 'Pipeline Changes Two', 'regress_crm_pc_rep2');

-- The deals (current state) and their history, as the trigger writes it
-- (each row's old values are the previous row's new ones), times in UTC:
--   1 rep1 1000: created Jan 10 in s1; Feb 1 s1->s2; Mar 10 amount 1000->1500; Mar 20 s2->s3
--   2 rep1 2000: created Feb 1 in s1; Feb 20 s1->s3; Mar 15 s3->won, open->won
--   3 rep2 3000: created Mar 5 in s1; Mar 25 amount 3000->2500 and open->lost in one change
--   4 rep2 4000: created Jan 1 in s2; Feb 15 suspended; Mar 12 open again; Mar 28 s2->s1;
--                Apr 10 amount 4000->4400 (after the period)
--   5 rep1 5000: created Mar 20 in s1, never changed
--   6 rep1 6000: created Apr 15 (after the period)
--   7 rep2 7000: created Jan 1 in s1, owned by rep1; Mar 18 transferred to rep2
--   8 rep1  800: created Mar 2 in s1; May 1 amount 800->900 (after the period)
--   9 rep1  900: created Jan 1 in s1; Feb 1 lost; Mar 30 archived
INSERT INTO crm.opportunities (id, customer_id, name, pipeline, stage, status, amount, owner, created_at, closed_at, closing_summary)
OVERRIDING SYSTEM VALUE VALUES
	(710001, 710001, 'one',   'pc', 's3',  'open',     1500, 'regress_crm_pc_rep1', '2025-01-10', NULL, NULL),
	(710002, 710001, 'two',   'pc', 'won', 'won',      2000, 'regress_crm_pc_rep1', '2025-02-01', '2025-03-15', 'signed'),
	(710003, 710002, 'three', 'pc', 's1',  'lost',     2500, 'regress_crm_pc_rep2', '2025-03-05', '2025-03-25', 'price'),
	(710004, 710002, 'four',  'pc', 's1',  'open',     4400, 'regress_crm_pc_rep2', '2025-01-01', NULL, NULL),
	(710005, 710001, 'five',  'pc', 's1',  'open',     5000, 'regress_crm_pc_rep1', '2025-03-20', NULL, NULL),
	(710006, 710001, 'six',   'pc', 's1',  'open',     6000, 'regress_crm_pc_rep1', '2025-04-15', NULL, NULL),
	(710007, 710002, 'seven', 'pc', 's1',  'open',     7000, 'regress_crm_pc_rep2', '2025-01-01', NULL, NULL),
	(710008, 710001, 'eight', 'pc', 's1',  'open',      900, 'regress_crm_pc_rep1', '2025-03-02', NULL, NULL),
	(710009, 710001, 'nine',  'pc', 's1',  'archived',  900, 'regress_crm_pc_rep1', '2025-01-01', '2025-02-01', 'gone');
INSERT INTO crm.opportunity_history (opportunity_id, changed_at, old_stage, new_stage, old_status, new_status,
									 old_amount, new_amount, old_owner, new_owner) VALUES
	(710001, '2025-02-01', 's1', 's2', 'open', 'open', 1000, 1000, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1'),
	(710001, '2025-03-10', 's2', 's2', 'open', 'open', 1000, 1500, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1'),
	(710001, '2025-03-20', 's2', 's3', 'open', 'open', 1500, 1500, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1'),
	(710002, '2025-02-20', 's1', 's3', 'open', 'open', 2000, 2000, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1'),
	(710002, '2025-03-15', 's3', 'won', 'open', 'won', 2000, 2000, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1'),
	(710003, '2025-03-25', 's1', 's1', 'open', 'lost', 3000, 2500, 'regress_crm_pc_rep2', 'regress_crm_pc_rep2'),
	(710004, '2025-02-15', 's2', 's2', 'open', 'suspended', 4000, 4000, 'regress_crm_pc_rep2', 'regress_crm_pc_rep2'),
	(710004, '2025-03-12', 's2', 's2', 'suspended', 'open', 4000, 4000, 'regress_crm_pc_rep2', 'regress_crm_pc_rep2'),
	(710004, '2025-03-28', 's2', 's1', 'open', 'open', 4000, 4000, 'regress_crm_pc_rep2', 'regress_crm_pc_rep2'),
	(710004, '2025-04-10', 's1', 's1', 'open', 'open', 4000, 4400, 'regress_crm_pc_rep2', 'regress_crm_pc_rep2'),
	(710007, '2025-03-18', 's1', 's1', 'open', 'open', 7000, 7000, 'regress_crm_pc_rep1', 'regress_crm_pc_rep2'),
	(710008, '2025-05-01', 's1', 's1', 'open', 'open', 800, 900, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1'),
	(710009, '2025-02-01', 's1', 's1', 'open', 'lost', 900, 900, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1'),
	(710009, '2025-03-30', 's1', 's1', 'lost', 'archived', 900, 900, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1');

-- As of Mar 1 (by hand): 1 s2 open 1000 (in s2 since Feb 1), 2 s3 open 2000
-- (since Feb 20), 4 s2 suspended 4000, 7 s1 open 7000 owned by rep1, 9 lost;
-- 3, 5, 6, 8 do not exist yet.  Open pipeline: 1, 2, 7 = 10000.
SELECT opportunity_id, stage, status, amount, owner, stage_entered_at::date, last_change_at::date
  FROM crm.opportunities_as_of('2025-03-01') WHERE pipeline = 'pc' ORDER BY opportunity_id;
-- As of Apr 1: 1 s3 1500, 2 won, 3 lost 2500, 4 s1 open 4000 (the Apr 10
-- raise is later), 5 open 5000, 7 open 7000 at rep2, 8 open 800 (the state
-- before its May 1 change), 9 archived.  Open: 1500 + 4000 + 5000 + 7000 + 800 = 18300.
SELECT opportunity_id, stage, status, amount, owner, stage_entered_at::date, last_change_at::date
  FROM crm.opportunities_as_of('2025-04-01') WHERE pipeline = 'pc' ORDER BY opportunity_id;
-- Today: the current rows (8 at 900, 4 at 4400, 6 exists).
SELECT count(*) AS differ_from_current
  FROM crm.opportunities_as_of('2030-01-01') a JOIN crm.opportunities o ON o.id = a.opportunity_id
 WHERE (a.stage, a.status, a.amount, a.owner) IS DISTINCT FROM (o.stage, o.status, o.amount, o.owner);

-- The changes of March, by hand, in time order:
--   Mar 2  8 new                        +800
--   Mar 5  3 new                       +3000
--   Mar 10 1 amount up 1000 -> 1500     +500
--   Mar 12 4 reopened                  +4000
--   Mar 15 2 won                       -2000, stage forward s3 -> won 0
--   Mar 18 7 transferred rep1 -> rep2     0
--   Mar 20 1 stage forward s2 -> s3       0; 5 new +5000
--   Mar 25 3 amount down 3000 -> 2500   -500 (open before), lost -2500
--   Mar 28 4 stage back s2 -> s1          0
--   Mar 30 9 archived                     0
-- Sum: 800 + 3000 + 500 + 4000 - 2000 + 5000 - 500 - 2500 = 8300 = 18300 - 10000.
SELECT changed_at::date, opportunity_id, change, old_stage, new_stage, old_status, new_status,
	   old_amount, new_amount, owner, amount_delta
  FROM crm.pipeline_changes('2025-03-01', '2025-04-01', 'pc');
SELECT * FROM crm.pipeline_waterfall('2025-03-01', '2025-04-01', 'pc');
-- start + changes = end, on every period between the crafted dates
SELECT count(*) AS periods,
	   count(*) FILTER (WHERE s + d = e) AS adding_up
  FROM (SELECT f, t,
			   (SELECT coalesce(sum(amount), 0) FROM crm.opportunities_as_of(f) WHERE pipeline = 'pc' AND status = 'open') AS s,
			   (SELECT coalesce(sum(amount_delta), 0) FROM crm.pipeline_changes(f, t, 'pc')) AS d,
			   (SELECT coalesce(sum(amount), 0) FROM crm.opportunities_as_of(t) WHERE pipeline = 'pc' AND status = 'open') AS e
		  FROM generate_series(timestamptz '2024-12-31', '2025-05-02', '9 days') f,
			   generate_series(timestamptz '2024-12-31', '2025-05-02', '13 days') t
		 WHERE f <= t) p;

-- The ends: from_at is excluded, to_at included (Mar 10 is 1's raise, Mar 5
-- is 3's creation).
SELECT opportunity_id, change FROM crm.pipeline_changes('2025-03-05', '2025-03-10', 'pc');
SELECT opportunity_id, change FROM crm.pipeline_changes('2025-03-10', '2025-03-12', 'pc');
SELECT count(*) AS empty_period FROM crm.pipeline_changes('2025-03-10', '2025-03-10', 'pc');

-- A deal created before its first history row's time is impossible by the
-- trigger but not by hand: a change dated before created_at is part of the
-- state at creation, and the waterfall still adds up.
UPDATE crm.opportunities SET created_at = '2025-03-22' WHERE id = 710001;
SELECT changed_at::date, opportunity_id, change, old_amount, new_amount, amount_delta
  FROM crm.pipeline_changes('2025-03-01', '2025-04-01', 'pc') WHERE opportunity_id = 710001;
UPDATE crm.opportunities SET created_at = '2025-01-10' WHERE id = 710001;

-- History rows without amounts (written by hand) stand for the current
-- amount.
INSERT INTO crm.opportunity_history (opportunity_id, changed_at, old_stage, new_stage, old_status, new_status)
VALUES (710005, '2025-03-21', 's1', 's2', 'open', 'open');
SELECT opportunity_id, change, old_amount, new_amount, amount_delta
  FROM crm.pipeline_changes('2025-03-19', '2025-03-22', 'pc') ORDER BY opportunity_id, change;
DELETE FROM crm.opportunity_history WHERE opportunity_id = 710005;

-- A stage that is not in the pipeline (renamed since): stage changed.
INSERT INTO crm.opportunity_history (opportunity_id, changed_at, old_stage, new_stage, old_status, new_status, old_amount, new_amount, old_owner, new_owner)
VALUES (710006, '2025-04-20', 'draft', 's1', 'open', 'open', 6000, 6000, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1');
SELECT opportunity_id, change, old_stage, new_stage FROM crm.pipeline_changes('2025-04-01', '2025-05-01', 'pc');
SELECT stage FROM crm.opportunities_as_of('2025-04-16') WHERE opportunity_id = 710006;
DELETE FROM crm.opportunity_history WHERE opportunity_id = 710006;

-- Close-date moves: pulled in and pushed out, on a pipeline of their own
-- (pcd: d1 -> d2 -> won), customer 710001.  Current state and history:
--   101 1200: created Jan 5 in d1, close now Jun 30; Feb 10 close May 31 ->
--             Apr 30; Mar 3 amount 1000 -> 1200 and close Apr 30 -> Jun 30 in
--             one change
--   102 2000: created Jan 5 in d1; Jan 25 d1 -> d2 (close Apr 15 kept);
--             Mar 20 won, close Apr 15 -> Mar 20 with the win
--   103 3000: created Feb 15 in d1; Mar 8 close May 1 -> May 15
--   104 4000: created Jan 1 in d1, close now Sep 30; Feb 20 d1 -> d2 in a
--             row without close dates (as written before version 1.1)
--   105  500: created Jan 1 in d1, close Apr 1; Feb 5 suspended; Feb 25
--             close Apr 1 -> Jul 1 while suspended; Mar 10 open again
INSERT INTO crm.pipeline_stages (pipeline, stage, position, is_final, conversion_rate, mean_days) VALUES
	('pcd', 'd1', 1, false, 0.5, 30), ('pcd', 'd2', 2, false, 0.5, 30), ('pcd', 'won', 3, true, NULL, NULL);
INSERT INTO crm.opportunities (id, customer_id, name, pipeline, stage, status, amount, owner, expected_close,
							   created_at, closed_at, closing_summary)
OVERRIDING SYSTEM VALUE VALUES
	(710101, 710001, 'd one',   'pcd', 'd1',  'open', 1200, 'regress_crm_pc_rep1', '2025-06-30', '2025-01-05', NULL, NULL),
	(710102, 710001, 'd two',   'pcd', 'won', 'won',  2000, 'regress_crm_pc_rep1', '2025-03-20', '2025-01-05', '2025-03-20', 'signed'),
	(710103, 710001, 'd three', 'pcd', 'd1',  'open', 3000, 'regress_crm_pc_rep1', '2025-05-15', '2025-02-15', NULL, NULL),
	(710104, 710001, 'd four',  'pcd', 'd2',  'open', 4000, 'regress_crm_pc_rep1', '2025-09-30', '2025-01-01', NULL, NULL),
	(710105, 710001, 'd five',  'pcd', 'd1',  'open',  500, 'regress_crm_pc_rep1', '2025-07-01', '2025-01-01', NULL, NULL);
INSERT INTO crm.opportunity_history (opportunity_id, changed_at, old_stage, new_stage, old_status, new_status,
									 old_amount, new_amount, old_owner, new_owner, old_expected_close, new_expected_close) VALUES
	(710101, '2025-02-10', 'd1', 'd1', 'open', 'open', 1000, 1000, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1', '2025-05-31', '2025-04-30'),
	(710101, '2025-03-03', 'd1', 'd1', 'open', 'open', 1000, 1200, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1', '2025-04-30', '2025-06-30'),
	(710102, '2025-01-25', 'd1', 'd2', 'open', 'open', 2000, 2000, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1', '2025-04-15', '2025-04-15'),
	(710102, '2025-03-20', 'd2', 'won', 'open', 'won', 2000, 2000, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1', '2025-04-15', '2025-03-20'),
	(710103, '2025-03-08', 'd1', 'd1', 'open', 'open', 3000, 3000, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1', '2025-05-01', '2025-05-15'),
	(710104, '2025-02-20', 'd1', 'd2', 'open', 'open', 4000, 4000, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1', NULL, NULL),
	(710105, '2025-02-05', 'd1', 'd1', 'open', 'suspended', 500, 500, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1', '2025-04-01', '2025-04-01'),
	(710105, '2025-02-25', 'd1', 'd1', 'suspended', 'suspended', 500, 500, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1', '2025-04-01', '2025-07-01'),
	(710105, '2025-03-10', 'd1', 'd1', 'suspended', 'open', 500, 500, 'regress_crm_pc_rep1', 'regress_crm_pc_rep1', '2025-07-01', '2025-07-01');
-- The close date as of Feb 12 (by hand): 101 Apr 30 (pulled in on Feb 10),
-- 102 Apr 15, 104 Sep 30 (its row has none: the current date stands), 105
-- Apr 1; 103 does not exist yet.  As of Mar 1: 101 Apr 30, 103 May 1 (the
-- old date of its first row), 105 Jul 1 (moved while suspended).
SELECT opportunity_id, status, amount, expected_close FROM crm.opportunities_as_of('2025-02-12') WHERE pipeline = 'pcd' ORDER BY opportunity_id;
SELECT opportunity_id, status, amount, expected_close FROM crm.opportunities_as_of('2025-03-01') WHERE pipeline = 'pcd' ORDER BY opportunity_id;
-- Feb 1 to Apr 1, by hand.  Open at Feb 1: 101 1000, 102 2000, 104 4000, 105
-- 500 = 7500 (4 deals).  Then:
--   Feb 5  105 suspended                   -500
--   Feb 10 101 pulled in May 31 -> Apr 30     0
--   Feb 15 103 new                        +3000
--   Feb 20 104 stage forward d1 -> d2         0 (no close dates: no move)
--   Feb 25 105 close moved while suspended: no row
--   Mar 3  101 amount up 1000 -> 1200      +200, pushed out Apr 30 -> Jun 30 0
--   Mar 8  103 pushed out May 1 -> May 15     0
--   Mar 10 105 reopened                    +500
--   Mar 20 102 won                        -2000, stage forward d2 -> won 0 (its
--          close date set to the day won is part of the win: no row)
-- Open at Apr 1: 101 1200, 103 3000, 104 4000, 105 500 = 8700 (4 deals) =
-- 7500 - 500 + 3000 + 200 + 500 - 2000.
SELECT changed_at::date, opportunity_id, change, old_status, new_status, old_amount, new_amount,
	   old_expected_close, new_expected_close, amount_delta
  FROM crm.pipeline_changes('2025-02-01', '2025-04-01', 'pcd');
-- Waterfall: pulled in 1 deal, pushed out 2 (101, 103), both 0.
SELECT * FROM crm.pipeline_waterfall('2025-02-01', '2025-04-01', 'pcd');
-- The trigger records a close-date change (alone, and with the amount).
BEGIN;
UPDATE crm.opportunities SET expected_close = '2025-05-10' WHERE id = 710103;
UPDATE crm.opportunities SET expected_close = '2025-06-10', amount = 3300 WHERE id = 710103;
SELECT old_amount, new_amount, old_expected_close, new_expected_close
  FROM crm.opportunity_history WHERE opportunity_id = 710103 AND changed_at > '2025-12-31' ORDER BY id;
SELECT change, old_expected_close, new_expected_close, amount_delta
  FROM crm.pipeline_changes('2025-12-31', now(), 'pcd') ORDER BY changed_at, change;
ROLLBACK;
-- (only archived deals are deleted)
UPDATE crm.opportunities SET status = 'terminated', closing_summary = 'test over' WHERE pipeline = 'pcd' AND status IN ('open', 'suspended');
UPDATE crm.opportunities SET status = 'archived' WHERE pipeline = 'pcd' AND status <> 'archived';
DELETE FROM crm.opportunities WHERE pipeline = 'pcd';
DELETE FROM crm.pipeline_stages WHERE pipeline = 'pcd';

-- Errors
SELECT try($$SELECT * FROM crm.opportunities_as_of('infinity')$$) AS as_of_infinite;
SELECT count(*) AS as_of_null FROM crm.opportunities_as_of(NULL);
SELECT try($$SELECT * FROM crm.pipeline_changes(NULL, '2025-04-01')$$) AS null_from;
SELECT try($$SELECT * FROM crm.pipeline_changes('-infinity', '2025-04-01')$$) AS infinite_from;
SELECT try($$SELECT * FROM crm.pipeline_changes('2025-04-01', '2025-03-01')$$) AS reversed;
SELECT try($$SELECT * FROM crm.pipeline_changes('2025-03-01', '2025-04-01', 'no such pipeline')$$) AS unknown_pipeline;
SELECT try($$SELECT * FROM crm.pipeline_waterfall('2025-04-01', '2025-03-01')$$) AS waterfall_reversed;

-- The forecast as of Mar 1 (rates s1 0.5, s2 0.5, s3 0.8, 30 days each =
-- 0.98563 months; win probability s1 0.2, s2 0.4, s3 0.8), by hand:
--   1 in s2 since Feb 1 (28 days = 0.91992 months): rest 0.06571 + s3 = 1.05134
--     -> month 2, 1000 * 0.4 = 400
--   2 in s3 since Feb 20 (9 days = 0.29569): rest 0.68994 -> month 1, 2000 * 0.8 = 1600
--   7 in s1 since Jan 1 (59 days, more than the stage): s2 + s3 = 1.97125
--     -> month 2, 7000 * 0.2 = 1400; owned by rep1 on Mar 1
--   4 is suspended: left out.  rep1: 1600, 1800, 0.
SELECT * FROM crm.forecast_as_of('pc', '2025-03-01');
-- Accuracy by month, March and April (each period's start excluded, end
-- included):
--   March: forecast month 1 at Mar 1 = 1600 (rep1); won in March: 2 (2000,
--     rep1): error -400, |error| / won = 0.2
--   April: at Apr 1, 1 is in s3 since Mar 20 (12 days = 0.39425 months):
--     month 1, 1500 * 0.8 = 1200 (rep1); 4, 5, 7, 8 land in months 2 and 3;
--     nothing won in April: error 1200, no percentage
SELECT * FROM crm.forecast_accuracy('pc', '2025-03-01', '2025-04-30');
-- By quarter, Q1: at Jan 1 only 4 (s2, rep2: 1.97125 months -> 4000 * 0.4
-- = 1600), 7 and 9 (s1, rep1: 2.95688 -> month 3, 1400 + 180 = 1580)
-- exist; won in Q1: 2 (rep1, 2000).  rep1 -420 (0.21), rep2 +1600, total
-- 3180 against 2000: +1180 (0.59)
SELECT * FROM crm.forecast_accuracy('pc', '2025-01-01', '2025-03-31', 'quarter');
SELECT try($$SELECT * FROM crm.forecast_as_of('pc', '2025-03-01', 0)$$) AS horizon_zero;
SELECT try($$SELECT * FROM crm.forecast_as_of('pc', 'infinity')$$) AS as_of_infinite;
SELECT try($$SELECT * FROM crm.forecast_as_of('PC', '2025-03-01')$$) AS unknown_pipeline;
SELECT try($$SELECT * FROM crm.forecast_accuracy('pc', '2025-01-01', '2025-03-31', 'week')$$) AS unknown_period;
SELECT try($$SELECT * FROM crm.forecast_accuracy('pc', '2025-03-31', '2025-01-01')$$) AS reversed;
SELECT try($$SELECT * FROM crm.forecast_accuracy('pc', '2025-01-01', 'infinity')$$) AS infinite_end;
SELECT count(*) AS null_pipeline FROM crm.forecast_accuracy(NULL, '2025-01-01', '2025-03-31');

-- Hygiene as of May 20 with 45 idle days (cutoff Apr 5), by hand, on the
-- open deals 1, 4, 5, 6, 7, 8 (1 expected to close May 15; 5 moved s1 -> s3
-- on Mar 21 and back on Mar 22; 8 with its own probability 0.9, 4 with 0.3):
--   1 past close date (5 days), no activity (last change Mar 20: 61 days)
--   5 no activity (Mar 22: 59 days), skipped stages (s1 -> s3, s2 skipped)
--   7 no activity (Mar 18: 63 days)
--   8 amount far from stage: s1 holds 4, 5, 6, 7, 8 (4400, 5000, 6000, 7000,
--     900), median 5000, 900 < 5000 / 3; probability far from stage: 0.9
--     against s1's 0.5 * 0.5 * 0.8 = 0.2
--   4 (Apr 10: 40 days, 0.3 against 0.2) and 6 (created Apr 15) are fine
UPDATE crm.opportunities SET expected_close = '2025-05-15' WHERE id = 710001;
UPDATE crm.opportunities SET expected_close = '2025-07-01' WHERE id = 710005;
UPDATE crm.opportunities SET win_probability = 0.9 WHERE id = 710008;
UPDATE crm.opportunities SET win_probability = 0.3 WHERE id = 710004;
-- (the close dates stand for those the deals had all along: the history
-- rows the trigger wrote for them now, after as_of, go)
DELETE FROM crm.opportunity_history WHERE opportunity_id IN (710001, 710005) AND changed_at > '2025-12-31';
INSERT INTO crm.opportunity_history (opportunity_id, changed_at, old_stage, new_stage, old_status, new_status) VALUES
	(710005, '2025-03-21', 's1', 's3', 'open', 'open'), (710005, '2025-03-22', 's3', 's1', 'open', 'open');
SELECT opportunity_id, owner, stage, amount, issue, detail
  FROM crm.pipeline_issues('2025-05-20', 45) WHERE pipeline = 'pc';
-- the thresholds: with 30 idle days 4 (40 days) and 6 (35 days) are idle
-- too; with amount_factor 6 the 900 is fine (above 5000 / 6); a gap of 0.05
-- flags 4's 0.3
SELECT opportunity_id, issue FROM crm.pipeline_issues('2025-05-20', 30, 6, 0.05) WHERE pipeline = 'pc';
SELECT count(*) > 0 AS view_reads FROM crm.pipeline_hygiene WHERE pipeline = 'pc';
SELECT try($$SELECT * FROM crm.pipeline_issues('infinity')$$) AS infinite_as_of;
SELECT try($$SELECT * FROM crm.pipeline_issues(now(), 0)$$) AS idle_zero;
SELECT try($$SELECT * FROM crm.pipeline_issues(now(), 30, 1)$$) AS factor_one;
SELECT try($$SELECT * FROM crm.pipeline_issues(now(), 30, 'NaN')$$) AS factor_nan;
SELECT try($$SELECT * FROM crm.pipeline_issues(now(), 30, 3, 1)$$) AS gap_one;

-- Row security: a rep's changes and waterfall are those of the deals it
-- sees.  rep2 sees 3, 4, 7 (its customer): open at start 7 = 7000 (4 was
-- suspended); changes 3 new +3000, 4 reopened +4000, 7 transferred 0,
-- 3 amount down -500 and lost -2500, 4 stage back 0; open at end 4 + 7 = 11000.
SELECT count(*) AS tables FROM crm.enable_row_security();
SET ROLE regress_crm_pc_rep2;
SELECT opportunity_id, change, amount_delta FROM crm.pipeline_changes('2025-03-01', '2025-04-01', 'pc');
SELECT step, change, deals, amount FROM crm.pipeline_waterfall('2025-03-01', '2025-04-01', 'pc')
 WHERE deals > 0 OR step IN (1, 17);
SELECT count(*) AS rep2_as_of FROM crm.opportunities_as_of('2025-04-01') WHERE pipeline = 'pc';
-- rep2's forecast on Apr 1: 7 (s1 since Jan 1: month 2, 1400) and 4 (s1
-- since Mar 28, 4 days = 0.13142: 0.85421 + 1.97125 = 2.82546 -> month 3,
-- 4000 * 0.2 = 800)
SELECT * FROM crm.forecast_as_of('pc', '2025-04-01');
SELECT opportunity_id, issue FROM crm.pipeline_issues('2025-05-20', 45) WHERE pipeline = 'pc';
SET ROLE regress_crm_pc_rep1;
SELECT count(*) AS rep1_as_of FROM crm.opportunities_as_of('2025-04-01') WHERE pipeline = 'pc';
SET ROLE regress_crm_pc_boss;
SELECT count(*) AS boss_as_of FROM crm.opportunities_as_of('2025-04-01') WHERE pipeline = 'pc';
SELECT amount FROM crm.pipeline_waterfall('2025-03-01', '2025-04-01', 'pc') WHERE step = 17;
RESET ROLE;
SELECT count(*) AS tables FROM crm.disable_row_security();

DELETE FROM crm.customers WHERE id IN (710001, 710002);
DELETE FROM crm.pipeline_stages WHERE pipeline = 'pc';
REVOKE crm_rep FROM regress_crm_pc_rep1, regress_crm_pc_rep2;
REVOKE crm_manager FROM regress_crm_pc_boss;
DROP ROLE regress_crm_pc_rep1, regress_crm_pc_rep2, regress_crm_pc_boss;
