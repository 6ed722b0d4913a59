-- Pipelines and quotas: user-defined stages with their checks, the shipped
-- default pipeline, and one target per period and dimension combination.

-- A pipeline of one's own.
INSERT INTO crm.pipeline_stages (pipeline, stage, position, conversion_rate, mean_days, visits_per_week) VALUES
	('retail', 'lead', 1, 0.3, 14, 0.5),
	('retail', 'demo', 2, 0.6, 7, 1);
INSERT INTO crm.pipeline_stages (pipeline, stage, position, is_final) VALUES ('retail', 'order', 3, true);
SELECT pipeline, stage, position, is_final, builtin FROM crm.pipeline_stages WHERE pipeline = 'retail' ORDER BY position;

SELECT try($$INSERT INTO crm.pipeline_stages (pipeline, stage, position, conversion_rate) VALUES ('retail', 'x', 9, 1.2)$$) AS rate_above_1;
SELECT try($$INSERT INTO crm.pipeline_stages (pipeline, stage, position, conversion_rate) VALUES ('retail', 'x', 9, -0.1)$$) AS rate_below_0;
SELECT try($$INSERT INTO crm.pipeline_stages (pipeline, stage, position, mean_days) VALUES ('retail', 'x', 9, 0)$$) AS zero_days;
SELECT try($$INSERT INTO crm.pipeline_stages (pipeline, stage, position, visits_per_week) VALUES ('retail', 'x', 9, -1)$$) AS negative_visits;
SELECT try($$INSERT INTO crm.pipeline_stages (pipeline, stage, position) VALUES ('retail', 'x', 0)$$) AS position_0;
SELECT try($$INSERT INTO crm.pipeline_stages (pipeline, stage, position) VALUES ('retail', 'x', 2)$$) AS position_taken;
SELECT try($$INSERT INTO crm.pipeline_stages (pipeline, stage, position) VALUES ('retail', 'demo', 9)$$) AS stage_taken;
SELECT try($$INSERT INTO crm.pipeline_stages (pipeline, stage, position, is_final) VALUES ('retail', 'x', 9, true)$$) AS second_final;
SELECT try($$INSERT INTO crm.pipeline_stages (pipeline, stage, position, is_final, conversion_rate) VALUES ('shop', 'x', 1, true, 0.5)$$) AS final_with_rate;
SELECT try($$INSERT INTO crm.pipeline_stages (pipeline, stage, position) VALUES ('', 'x', 1)$$) AS blank_pipeline;

-- A stage in use cannot go; a rename follows into the opportunities.
INSERT INTO crm.customers (id, name) VALUES (1, 'Lakeside Textiles Co., Ltd.');
INSERT INTO crm.opportunities (id, customer_id, name, pipeline, stage, owner) VALUES (1, 1, 'shop fitting', 'retail', 'demo', 'rep_01');
SELECT try($$DELETE FROM crm.pipeline_stages WHERE pipeline = 'retail' AND stage = 'demo'$$) AS delete_used_stage;
INSERT INTO crm.opportunities (id, customer_id, name, pipeline, stage, owner, status, closing_summary)
VALUES (2, 1, 'window displays', 'retail', 'demo', 'rep_01', 'won', 'signed');
UPDATE crm.pipeline_stages SET stage = 'product demo' WHERE pipeline = 'retail' AND stage = 'demo';
SELECT id, status, pipeline, stage FROM crm.opportunities ORDER BY id;
SELECT count(*) AS history_rows FROM crm.opportunity_history;

-- The shipped rows are marked builtin until changed: pg_dump leaves out only
-- untouched shipped rows, which CREATE EXTENSION writes again.
UPDATE crm.pipeline_stages SET conversion_rate = 0.55 WHERE pipeline = 'project' AND stage = 'potential';
SELECT stage, conversion_rate, builtin FROM crm.pipeline_stages WHERE pipeline = 'project' ORDER BY position;
-- a row inserted for an untouched shipped stage takes its place (as pg_restore does)
INSERT INTO crm.pipeline_stages (pipeline, stage, position, conversion_rate, mean_days, visits_per_week)
VALUES ('project', 'bid', 2, 0.75, 30.4375, 2);
SELECT stage, conversion_rate, builtin FROM crm.pipeline_stages WHERE pipeline = 'project' ORDER BY position;
-- but a user's row is never replaced
SELECT try($$INSERT INTO crm.pipeline_stages (pipeline, stage, position) VALUES ('project', 'potential', 1)$$) AS user_row_kept;
-- nor a shipped stage in use
INSERT INTO crm.opportunities (id, customer_id, name, stage, owner) VALUES (3, 1, 'press line', 'negotiation', 'rep_01');
SELECT try($$INSERT INTO crm.pipeline_stages (pipeline, stage, position) VALUES ('project', 'closing', 3)$$) AS shipped_stage_in_use;
-- and no row a user writes counts as shipped (it would be lost by pg_dump)
INSERT INTO crm.pipeline_stages (pipeline, stage, position, builtin) VALUES ('retail', 'follow-up', 4, true);
SELECT stage, builtin FROM crm.pipeline_stages WHERE pipeline = 'retail' AND stage = 'follow-up';

-- Quotas: one target per period and combination of dimensions (NULL = all).
INSERT INTO crm.quotas (period_start, period_end, region, target) VALUES ('2026-01-01', '2026-12-31', 'East', 1000000);
INSERT INTO crm.quotas (period_start, period_end, target) VALUES ('2026-01-01', '2026-12-31', 5000000);
INSERT INTO crm.quotas (period_start, period_end, owner, product, target) VALUES ('2026-01-01', '2026-03-31', 'rep_01', 'software', 90000);
SELECT period_start, period_end, owner, region, product, channel, target FROM crm.quotas ORDER BY id;
SELECT try($$INSERT INTO crm.quotas (period_start, period_end, target) VALUES ('2026-01-01', '2026-12-31', 1)$$) AS duplicate_total;
SELECT try($$INSERT INTO crm.quotas (period_start, period_end, target) VALUES ('2026-12-31', '2026-01-01', 1)$$) AS backwards_period;
SELECT try($$INSERT INTO crm.quotas (period_start, period_end, target) VALUES ('2027-01-01', '2027-12-31', -1)$$) AS negative_target;

SET client_min_messages = warning;
TRUNCATE crm.customers, crm.quotas CASCADE;
DELETE FROM crm.pipeline_stages WHERE pipeline = 'retail';
