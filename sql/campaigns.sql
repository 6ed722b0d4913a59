-- Campaigns and their members: the state machine (every move) and the
-- constraints that make a finished campaign's figures complete.

-- one campaign per (from, to) pair, inserted in its from-status (inserts may
-- carry any status); then each is moved to its to-status in turn
INSERT INTO crm.campaigns (id, name, method, status, started_on, ended_on, actual_cost, approved_by)
SELECT 1000 + row_number() OVER (ORDER BY f, t), format('%s to %s', f, t), 'email', f, '2025-01-01', '2025-01-31', 100,
	   CASE WHEN f IN ('approved', 'active', 'completed') THEN 'marketing_director' END
  FROM unnest(enum_range(NULL::crm.campaign_status)) f, unnest(enum_range(NULL::crm.campaign_status)) t
 WHERE f <> t;
SELECT k.status AS from_status, t AS to_status,
	   try(format('UPDATE crm.campaigns SET status = %L WHERE id = %s', t, k.id)) AS result
  FROM crm.campaigns k, LATERAL split_part(k.name, ' to ', 2) AS t
 WHERE k.id > 1000
 ORDER BY k.id;

-- A campaign's life: planned, submitted, sent back, approved, run, closed.
INSERT INTO crm.campaigns (id, name, method, region, budget, planned_start, planned_end)
VALUES (1, 'Spring seminar', 'seminar', 'East', 20000, '2025-03-01', '2025-03-31');
UPDATE crm.campaigns SET status = 'submitted' WHERE id = 1;
UPDATE crm.campaigns SET status = 'planned' WHERE id = 1;        -- sent back for changes
UPDATE crm.campaigns SET status = 'submitted', budget = 18000 WHERE id = 1;
UPDATE crm.campaigns SET status = 'approved', approved_by = 'marketing_director' WHERE id = 1;
SELECT try($$UPDATE crm.campaigns SET status = 'active' WHERE id = 1$$) AS active_without_start;
UPDATE crm.campaigns SET status = 'active', started_on = '2025-03-02' WHERE id = 1;
SELECT try($$UPDATE crm.campaigns SET status = 'completed' WHERE id = 1$$) AS completed_without_figures;
SELECT try($$UPDATE crm.campaigns SET status = 'completed', ended_on = '2025-03-30' WHERE id = 1$$) AS completed_without_cost;
UPDATE crm.campaigns SET status = 'completed', ended_on = '2025-03-30', actual_cost = 17250.50 WHERE id = 1;
SELECT status, budget, actual_cost, started_on, ended_on FROM crm.campaigns WHERE id = 1;
SELECT try($$UPDATE crm.campaigns SET status = 'active' WHERE id = 1$$) AS reopen_completed;

-- Column checks.
SELECT try($$INSERT INTO crm.campaigns (name, method, budget) VALUES ('x', 'email', -1)$$) AS negative_budget;
SELECT try($$INSERT INTO crm.campaigns (name, method, actual_cost) VALUES ('x', 'email', -1)$$) AS negative_cost;
SELECT try($$INSERT INTO crm.campaigns (name, method, planned_start, planned_end) VALUES ('x', 'email', '2025-02-01', '2025-01-01')$$) AS planned_backwards;
SELECT try($$INSERT INTO crm.campaigns (name, method, started_on, ended_on) VALUES ('x', 'email', '2025-02-01', '2025-01-01')$$) AS ran_backwards;
SELECT try($$INSERT INTO crm.campaigns (name, method) VALUES ('', 'email')$$) AS blank_name;
SELECT try($$INSERT INTO crm.campaigns (name) VALUES ('x')$$) AS no_method;
SELECT try($$INSERT INTO crm.campaigns (name, method, status) VALUES ('x', 'email', 'closed')$$) AS unknown_status;

-- Members: who was invited, took part, responded.
INSERT INTO crm.customers (id, name) VALUES (1, 'Apex Machinery GmbH'), (2, 'Summit Retail Inc.');
INSERT INTO crm.campaign_members (campaign_id, customer_id, invited_at, attended, responded_at) VALUES
	(1, 1, '2025-03-02 09:00+00', true, '2025-03-05 10:00+00'),
	(1, 2, '2025-03-02 09:00+00', false, NULL);
SELECT count(*) AS invited, count(*) FILTER (WHERE attended) AS attended, count(responded_at) AS responded
  FROM crm.campaign_members WHERE campaign_id = 1;
SELECT try($$INSERT INTO crm.campaign_members (campaign_id, customer_id) VALUES (1, 1)$$) AS invited_twice;
SELECT try($$INSERT INTO crm.campaign_members (campaign_id, customer_id) VALUES (1, 3)$$) AS unknown_customer;
SELECT try($$UPDATE crm.campaign_members SET responded_at = '2025-03-01 00:00+00' WHERE customer_id = 2$$) AS responded_before_invited;
SELECT try($$INSERT INTO crm.campaign_members (campaign_id, customer_id) VALUES (99, 1)$$) AS unknown_campaign;

SET client_min_messages = warning;
TRUNCATE crm.customers, crm.campaigns CASCADE;
