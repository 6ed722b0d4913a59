-- Opportunities: the state machine (every move, allowed or not), the history
-- written by trigger, stage rules, split credit and quote versions.

INSERT INTO crm.customers (id, name) VALUES (1, 'Northwind Foods Ltd.');

-- one opportunity per (from, to) pair, inserted in its from-status (inserts may
-- carry any status); then each is moved to its to-status in turn
INSERT INTO crm.opportunities (id, customer_id, name, stage, status, owner, closing_summary)
SELECT 1000 + row_number() OVER (ORDER BY f, t), 1, format('%s to %s', f, t), 'bid', f, 'rep_01', 'summary'
  FROM unnest(enum_range(NULL::crm.opportunity_status)) f, unnest(enum_range(NULL::crm.opportunity_status)) t
 WHERE f <> t;
SELECT k.status AS from_status, t AS to_status,
	   try(format('UPDATE crm.opportunities SET status = %L WHERE id = %s', t, k.id)) AS result
  FROM crm.opportunities k, LATERAL split_part(k.name, ' to ', 2) AS t
 WHERE k.id > 1000
 ORDER BY k.id;

-- A deal's life: bid -> negotiation -> won, each change recorded.
INSERT INTO crm.opportunities (id, customer_id, name, stage, amount, owner, created_at)
VALUES (100, 1, 'ERP rollout', 'potential', 120000, 'rep_01', '2025-01-01');
SELECT status, stage, closed_at IS NULL AS not_closed FROM crm.opportunities WHERE id = 100;
UPDATE crm.opportunities SET stage = 'bid', cost = 300 WHERE id = 100;
UPDATE crm.opportunities SET amount = 110000 WHERE id = 100;
UPDATE crm.opportunities SET owner = 'rep_02' WHERE id = 100;            -- transfer
UPDATE crm.opportunities SET name = 'ERP rollout, phase 1' WHERE id = 100; -- not recorded
UPDATE crm.opportunities SET status = 'suspended', cost = 450 WHERE id = 100;
SELECT try($$UPDATE crm.opportunities SET stage = 'negotiation' WHERE id = 100$$) AS stage_while_suspended;
-- reactivation needs a manager's approval (sql/approvals.sql has the rules)
SELECT try($$UPDATE crm.opportunities SET status = 'open' WHERE id = 100$$) AS reactivate_unapproved;
INSERT INTO crm.opportunity_approvals (opportunity_id, move, note) VALUES (100, 'reactivation', 'budget approved again');
CREATE ROLE opportunities_manager IN ROLE crm_manager;
SET ROLE opportunities_manager;
UPDATE crm.opportunity_approvals SET decision = 'approved' WHERE opportunity_id = 100;
RESET ROLE;
UPDATE crm.opportunities SET status = 'open' WHERE id = 100;              -- reactivated
SELECT move, decision, decided_by, used_at IS NOT NULL AS used FROM crm.opportunity_approvals WHERE opportunity_id = 100;
UPDATE crm.opportunities SET stage = 'negotiation' WHERE id = 100;
SELECT try($$UPDATE crm.opportunities SET status = 'won' WHERE id = 100$$) AS won_without_summary;
SELECT try($$UPDATE crm.opportunities SET status = 'won', closing_summary = '  ' WHERE id = 100$$) AS won_blank_summary;
UPDATE crm.opportunities SET status = 'won', stage = 'contract', closing_summary = 'Signed 3-year deal' WHERE id = 100;
SELECT status, stage, closed_at IS NOT NULL AS closed FROM crm.opportunities WHERE id = 100;
SELECT try($$UPDATE crm.opportunities SET stage = 'bid' WHERE id = 100$$) AS stage_after_won;
SELECT old_stage, new_stage, old_status, new_status, old_amount, new_amount, old_owner, new_owner, cost,
	   changed_by = current_user AS by_me
  FROM crm.opportunity_history WHERE opportunity_id = 100 ORDER BY id;
UPDATE crm.opportunities SET status = 'archived' WHERE id = 100;
SELECT try($$UPDATE crm.opportunities SET status = 'open' WHERE id = 100$$) AS reopen_archived;

-- Lost deals name the competitor when known; both outcomes need a summary.
INSERT INTO crm.opportunities (id, customer_id, name, stage, owner) VALUES (101, 1, 'CRM licences', 'bid', 'rep_01');
UPDATE crm.opportunities SET status = 'lost', competitor = 'Globex', closing_summary = 'Lost on price' WHERE id = 101;
SELECT status, competitor, closing_summary FROM crm.opportunities WHERE id = 101;
SELECT try($$UPDATE crm.opportunities SET status = 'won' WHERE id = 101$$) AS lost_to_won;

-- Stage and pipeline must exist; the other checks.
SELECT try($$INSERT INTO crm.opportunities (customer_id, name, stage, owner) VALUES (1, 'x', 'demo', 'rep_01')$$) AS unknown_stage;
SELECT try($$INSERT INTO crm.opportunities (customer_id, name, pipeline, stage, owner) VALUES (1, 'x', 'retail', 'bid', 'rep_01')$$) AS unknown_pipeline;
SELECT try($$INSERT INTO crm.opportunities (customer_id, name, stage, owner, amount) VALUES (1, 'x', 'bid', 'rep_01', -1)$$) AS negative_amount;
SELECT try($$INSERT INTO crm.opportunities (customer_id, name, stage, owner, win_probability) VALUES (1, 'x', 'bid', 'rep_01', 1.5)$$) AS probability_above_1;
SELECT try($$INSERT INTO crm.opportunities (customer_id, name, stage, owner, cost) VALUES (1, 'x', 'bid', 'rep_01', -1)$$) AS negative_cost;
SELECT try($$INSERT INTO crm.opportunities (customer_id, name, stage) VALUES (1, 'x', 'bid')$$) AS no_owner;
SELECT try($$INSERT INTO crm.opportunities (customer_id, name, stage, owner, campaign_id) VALUES (1, 'x', 'bid', 'rep_01', 999)$$) AS unknown_campaign;
SELECT try($$INSERT INTO crm.opportunities (customer_id, name, stage, owner, status, closed_at) VALUES (1, 'x', 'bid', 'rep_01', 'open', now())$$) AS open_with_closed_at;
-- a closed deal can be imported as it is; closed_at defaults to now; a
-- terminated deal needs its summary too
SELECT try($$INSERT INTO crm.opportunities (id, customer_id, name, stage, owner, status) VALUES (102, 1, 'old deal', 'bid', 'rep_01', 'terminated')$$) AS terminated_without_summary;
SELECT try($$INSERT INTO crm.opportunities (id, customer_id, name, stage, owner, status, closing_summary) VALUES (102, 1, 'old deal', 'bid', 'rep_01', 'terminated', 'Project cancelled by the customer')$$) AS import_terminated;
SELECT closed_at IS NOT NULL AS closed_at_set FROM crm.opportunities WHERE id = 102;

-- Split credit: the shares of one opportunity sum to 100 at commit.
BEGIN;
INSERT INTO crm.opportunity_owners VALUES (100, 'rep_01', 60), (100, 'rep_02', 40);
COMMIT;
SELECT owner, share FROM crm.opportunity_owners WHERE opportunity_id = 100 ORDER BY owner;
BEGIN;
UPDATE crm.opportunity_owners SET share = 50 WHERE opportunity_id = 100 AND owner = 'rep_01';
SELECT try('SET CONSTRAINTS ALL IMMEDIATE') AS shares_90;
ROLLBACK;
SELECT try($$INSERT INTO crm.opportunity_owners VALUES (101, 'rep_03', 0)$$) AS zero_share;
SELECT try($$INSERT INTO crm.opportunity_owners VALUES (101, 'rep_03', 101)$$) AS share_above_100;
-- at commit a wrong sum fails and nothing of the transaction stays
\set VERBOSITY terse
BEGIN;
INSERT INTO crm.opportunity_owners VALUES (101, 'rep_03', 70);
COMMIT;
\set VERBOSITY default
SELECT count(*) AS owners_of_101 FROM crm.opportunity_owners WHERE opportunity_id = 101;

-- Quotes are numbered per opportunity; a submitted quote is approved by a
-- manager, and the database records who and when.
INSERT INTO crm.quotes (opportunity_id, amount) VALUES (101, 50000);
INSERT INTO crm.quotes (opportunity_id, amount, discount_pct) VALUES (101, 47500, 5);
INSERT INTO crm.quotes (opportunity_id, amount) VALUES (100, 110000);
SELECT opportunity_id, version, amount, discount_pct, status FROM crm.quotes ORDER BY opportunity_id, version;
SELECT try($$UPDATE crm.quotes SET status = 'approved' WHERE opportunity_id = 101 AND version = 2$$) AS approve_draft;
UPDATE crm.quotes SET status = 'submitted' WHERE opportunity_id = 101 AND version = 2;
SET ROLE opportunities_manager;
SELECT try($$UPDATE crm.quotes SET status = 'approved', approved_by = 'someone_else' WHERE opportunity_id = 101 AND version = 2$$) AS approved;
RESET ROLE;
SELECT version, status, approved_by, approved_at IS NOT NULL AS approved_at_set FROM crm.quotes WHERE opportunity_id = 101 AND version = 2;
SELECT try($$INSERT INTO crm.quotes (opportunity_id, version, amount) VALUES (101, 1, 1)$$) AS duplicate_version;
SELECT try($$INSERT INTO crm.quotes (opportunity_id, amount, discount_pct) VALUES (101, 1, 120)$$) AS discount_above_100;

SET client_min_messages = warning;
TRUNCATE crm.customers CASCADE;
DROP ROLE opportunities_manager;
