-- Approvals and the rules around them (seed 002: an opportunity moves
-- through user-defined stages and approval points; quotes with approval; a
-- suspended deal can be reactivated; closed deals are archived, then may be
-- purged; a campaign is submitted for approval).  Run as real roles: two
-- reps, two managers, an administrator.

SET client_min_messages = warning;
CREATE ROLE appr_rep1 IN ROLE crm_rep;
CREATE ROLE appr_rep2 IN ROLE crm_rep;
CREATE ROLE appr_manager1 IN ROLE crm_manager;
CREATE ROLE appr_manager2 IN ROLE crm_manager;
CREATE ROLE appr_admin IN ROLE crm_admin;
RESET client_min_messages;

INSERT INTO crm.customers (id, name, owner) VALUES (1, 'Contoso Ltd.', 'appr_rep1');
INSERT INTO crm.opportunities (id, customer_id, name, stage, amount, owner)
VALUES (1, 1, 'Data platform', 'bid', 80000, 'appr_rep1');

-- An approval point: entering negotiation needs the approval of a member of
-- crm_manager.  Only crm_admin configures the pipeline.
SET ROLE appr_manager1;
SELECT try($$UPDATE crm.pipeline_stages SET approval_role = 'crm_manager' WHERE pipeline = 'project' AND stage = 'negotiation'$$) AS manager_configures;
SET ROLE appr_admin;
UPDATE crm.pipeline_stages SET approval_role = 'crm_manager' WHERE pipeline = 'project' AND stage = 'negotiation';
RESET ROLE;
SELECT stage, approval_role FROM crm.pipeline_stages WHERE pipeline = 'project' ORDER BY position;

-- The rep cannot move without an approval, cannot ask for a move that needs
-- none, cannot write a decision and cannot approve.
SET ROLE appr_rep1;
SELECT try($$UPDATE crm.opportunities SET stage = 'negotiation' WHERE id = 1$$) AS unapproved_move;
SELECT try($$INSERT INTO crm.opportunity_approvals (opportunity_id, move) VALUES (1, 'bid')$$) AS needs_no_approval;
SELECT try($$INSERT INTO crm.opportunity_approvals (opportunity_id, move) VALUES (1, 'closing')$$) AS unknown_stage;
SELECT try($$INSERT INTO crm.opportunity_approvals (opportunity_id, move, decision) VALUES (1, 'negotiation', 'approved')$$) AS rep_writes_decision;
INSERT INTO crm.opportunity_approvals (opportunity_id, move, note) VALUES (1, 'negotiation', 'price agreed in principle');
SELECT try($$UPDATE crm.opportunity_approvals SET decision = 'approved' WHERE opportunity_id = 1$$) AS rep_approves;
RESET ROLE;

-- A manager approves once; the database stamps who and when.
SET ROLE appr_manager1;
UPDATE crm.opportunity_approvals SET decision = 'approved', note = 'keep the margin above 20 %' WHERE opportunity_id = 1;
SELECT try($$UPDATE crm.opportunity_approvals SET decision = 'rejected' WHERE opportunity_id = 1$$) AS decide_twice;
SELECT try($$UPDATE crm.opportunity_approvals SET move = 'contract' WHERE opportunity_id = 1$$) AS change_the_move;
RESET ROLE;
SELECT try($$UPDATE crm.opportunity_approvals SET move = 'contract' WHERE opportunity_id = 1$$) AS owner_changes_the_move;

-- The approved move is made once: back to bid and forward again needs a new
-- approval.
SET ROLE appr_rep1;
UPDATE crm.opportunities SET stage = 'negotiation' WHERE id = 1;
UPDATE crm.opportunities SET stage = 'bid' WHERE id = 1;
SELECT try($$UPDATE crm.opportunities SET stage = 'negotiation' WHERE id = 1$$) AS second_entry;
RESET ROLE;

-- Four eyes: a manager who asks cannot decide his own request; a rejection
-- is final and the move stays refused.
SET ROLE appr_manager1;
INSERT INTO crm.opportunity_approvals (opportunity_id, move) VALUES (1, 'negotiation');
SELECT try($$UPDATE crm.opportunity_approvals SET decision = 'approved' WHERE decision IS NULL$$) AS own_request;
RESET ROLE;
SET ROLE appr_manager2;
UPDATE crm.opportunity_approvals SET decision = 'rejected', note = 'wait for the budget' WHERE decision IS NULL;
RESET ROLE;
SET ROLE appr_rep1;
SELECT try($$UPDATE crm.opportunities SET stage = 'negotiation' WHERE id = 1$$) AS after_rejection;
RESET ROLE;

-- An approval point of another role: the contract stage is approved by
-- crm_admin, so a manager cannot decide it (crm_admin is a manager too).
SET ROLE appr_admin;
UPDATE crm.pipeline_stages SET approval_role = 'crm_admin' WHERE pipeline = 'project' AND stage = 'contract';
RESET ROLE;
SET ROLE appr_rep1;
INSERT INTO crm.opportunity_approvals (opportunity_id, move) VALUES (1, 'contract');
RESET ROLE;
SET ROLE appr_manager2;
SELECT try($$UPDATE crm.opportunity_approvals SET decision = 'approved' WHERE move = 'contract'$$) AS manager_decides_admin_point;
RESET ROLE;
SET ROLE appr_admin;
UPDATE crm.opportunity_approvals SET decision = 'approved' WHERE move = 'contract';
RESET ROLE;
-- the stage's own approval; skipping negotiation needs none of it
SET ROLE appr_rep1;
UPDATE crm.opportunities SET stage = 'contract', status = 'won', closing_summary = 'Signed after the pilot' WHERE id = 1;
RESET ROLE;

SELECT id, move, requested_by, decision, decided_by, decided_at IS NOT NULL AS decided_at_set,
	   used_at IS NOT NULL AS used, note
  FROM crm.opportunity_approvals ORDER BY id;

-- Reactivation of a suspended deal needs the approval of a manager.
INSERT INTO crm.opportunities (id, customer_id, name, stage, amount, owner)
VALUES (2, 1, 'Support renewal', 'bid', 12000, 'appr_rep1');
SET ROLE appr_rep1;
UPDATE crm.opportunities SET status = 'suspended' WHERE id = 2;
SELECT try($$UPDATE crm.opportunities SET status = 'open' WHERE id = 2$$) AS reactivate_unapproved;
INSERT INTO crm.opportunity_approvals (opportunity_id, move, note) VALUES (2, 'reactivation', 'customer signed the budget');
RESET ROLE;
SET ROLE appr_manager2;
UPDATE crm.opportunity_approvals SET decision = 'approved' WHERE opportunity_id = 2;
RESET ROLE;
SET ROLE appr_rep1;
UPDATE crm.opportunities SET status = 'open' WHERE id = 2;
RESET ROLE;
SELECT old_status, new_status FROM crm.opportunity_history WHERE opportunity_id = 2 ORDER BY id;

-- A terminated deal needs a closing summary, like a won or lost one.
SET ROLE appr_rep1;
SELECT try($$UPDATE crm.opportunities SET status = 'terminated' WHERE id = 2$$) AS terminated_without_summary;
UPDATE crm.opportunities SET status = 'terminated', closing_summary = 'The customer moved the service in-house' WHERE id = 2;
RESET ROLE;

-- Quotes: every move of the state machine; approval by a manager only.
INSERT INTO crm.quotes (customer_id, opportunity_id, version, amount, status)
SELECT 1, 1, row_number() OVER (ORDER BY f, t), 1000, f
  FROM unnest(enum_range(NULL::crm.quote_status)) f, unnest(enum_range(NULL::crm.quote_status)) t
 WHERE f <> t AND f <> 'approved';
INSERT INTO crm.quotes (customer_id, opportunity_id, version, amount, status, approved_by, approved_at)
SELECT 1, 1, 9 + row_number() OVER (ORDER BY t), 1000, 'approved', 'appr_manager1', '2025-01-01'
  FROM unnest(enum_range(NULL::crm.quote_status)) t WHERE t <> 'approved';
SET ROLE appr_manager1;
SELECT q.version, q.status AS from_status, t AS to_status,
	   try(format('UPDATE crm.quotes SET status = %L WHERE opportunity_id = 1 AND version = %s', t, q.version)) AS result
  FROM crm.quotes q,
	   LATERAL (SELECT (array_remove(enum_range(NULL::crm.quote_status), q.status))[(q.version - 1) % 3 + 1] AS t) x
 WHERE q.opportunity_id = 1
 ORDER BY q.version;
RESET ROLE;

INSERT INTO crm.quotes (opportunity_id, amount) VALUES (2, 12000);
SET ROLE appr_rep1;
UPDATE crm.quotes SET amount = 11500, discount_pct = 4 WHERE opportunity_id = 2;     -- a draft changes
UPDATE crm.quotes SET status = 'submitted' WHERE opportunity_id = 2;
SELECT try($$UPDATE crm.quotes SET amount = 11000 WHERE opportunity_id = 2$$) AS change_submitted;
SELECT try($$UPDATE crm.quotes SET status = 'approved' WHERE opportunity_id = 2$$) AS rep_approves_quote;
RESET ROLE;
SET ROLE appr_manager2;
UPDATE crm.quotes SET status = 'approved', approved_by = 'the_ceo', approved_at = '2020-01-01' WHERE opportunity_id = 2;
SELECT try($$UPDATE crm.quotes SET discount_pct = 10 WHERE opportunity_id = 2$$) AS change_approved;
SELECT try($$UPDATE crm.quotes SET approved_by = 'the_ceo' WHERE opportunity_id = 2$$) AS rewrite_approver;
RESET ROLE;
SELECT version, amount, discount_pct, status, approved_by, approved_at > '2020-01-01' AS stamped_now
  FROM crm.quotes WHERE opportunity_id = 2;

-- Campaigns: approved means someone approved.
INSERT INTO crm.campaigns (id, name, method, status) VALUES (1, 'Spring seminar', 'seminar', 'submitted');
SELECT try($$INSERT INTO crm.campaigns (id, name, method, status) VALUES (2, 'Imported', 'email', 'approved')$$) AS approved_without_approver;
SET ROLE appr_manager1;
UPDATE crm.campaigns SET status = 'approved' WHERE id = 1;
RESET ROLE;
SELECT status, approved_by FROM crm.campaigns WHERE id = 1;

-- Purge: only an archived deal is deleted by hand; its history goes into the
-- audit log.  Deleting a customer deletes all its deals.
SET ROLE appr_rep1;
SELECT try($$DELETE FROM crm.opportunities WHERE id = 2$$) AS delete_terminated;
UPDATE crm.opportunities SET status = 'archived' WHERE id = 2;
DELETE FROM crm.opportunities WHERE id = 2;
RESET ROLE;
SELECT count(*) AS history_rows_left FROM crm.opportunity_history WHERE opportunity_id = 2;
SELECT table_name, operation, changed -> 'old_status' ->> 0 AS old_status, changed -> 'new_status' ->> 0 AS new_status, role
  FROM crm.audit_log
 WHERE table_name = 'opportunity_history' AND role = 'appr_rep1' AND (changed -> 'opportunity_id' ->> 0)::bigint = 2
 ORDER BY (changed -> 'id' ->> 0)::bigint;
SELECT count(*) AS approvals_of_2 FROM crm.opportunity_approvals WHERE opportunity_id = 2;
INSERT INTO crm.opportunities (id, customer_id, name, stage, owner) VALUES (3, 1, 'Open deal', 'bid', 'appr_rep1');
SELECT try($$DELETE FROM crm.opportunities WHERE id = 3$$) AS delete_open;
DELETE FROM crm.customers WHERE id = 1;
SELECT count(*) AS deals_left FROM crm.opportunities;

-- back to the shipped pipeline
SET session_replication_role = replica;
UPDATE crm.pipeline_stages SET approval_role = NULL, builtin = true WHERE pipeline = 'project';
RESET session_replication_role;
SET client_min_messages = warning;
TRUNCATE crm.customers, crm.campaigns CASCADE;
DROP ROLE appr_rep1, appr_rep2, appr_manager1, appr_manager2, appr_admin;
