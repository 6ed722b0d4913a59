-- The audit trail: every insert, update and delete of customers,
-- opportunities and contracts is logged in the same transaction, with the
-- changed columns, the role and the application; a rolled-back change
-- leaves nothing; the log is append-only.

SET application_name = 'regress_audit';
CREATE ROLE regress_crm_auditor;
GRANT USAGE ON SCHEMA crm TO regress_crm_auditor;
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.customers, crm.opportunities, crm.contracts TO regress_crm_auditor;
GRANT SELECT ON crm.audit_log, crm.pipeline_stages, crm.status_transitions TO regress_crm_auditor;
GRANT INSERT ON crm.opportunity_history, crm.contract_history, crm.contract_versions TO regress_crm_auditor;

-- a clean slate for this file: earlier files' rows are not counted
SELECT coalesce(max(id), 0) AS before_id, now() AS t0 FROM crm.audit_log \gset
CREATE TEMP VIEW audit AS
SELECT table_name, row_key = (SELECT max(id) FROM crm.customers) AS last_customer, operation, changed,
	   role, application_name, context, at > now() - interval '1 minute' AS recent
  FROM crm.audit_log WHERE id > :before_id ORDER BY id;

-- Insert, update, delete as an ordinary role.
SET ROLE regress_crm_auditor;
INSERT INTO crm.customers (name, region, phone, owner) VALUES ('Audit Test GmbH', 'North', '+49 30 1234567', 'rep_a');
UPDATE crm.customers SET region = 'South', phone = NULL WHERE name = 'Audit Test GmbH';
-- an update that changes nothing writes no audit row
UPDATE crm.customers SET region = 'South' WHERE name = 'Audit Test GmbH';
RESET ROLE;
SELECT table_name, last_customer, operation, changed - 'created_at' - 'id' AS changed, role, application_name, context, recent FROM audit;

-- A rolled-back change leaves no audit row.
SELECT count(*) AS audit_rows FROM audit;
BEGIN;
UPDATE crm.customers SET satisfaction = 9.5 WHERE name = 'Audit Test GmbH';
SELECT count(*) AS audit_rows_inside FROM audit;
ROLLBACK;
SELECT count(*) AS audit_rows_after_rollback FROM audit;

-- Opportunities and contracts of the customer are in its history; the
-- history also keeps the delete.
INSERT INTO crm.opportunities (customer_id, name, stage, owner, amount)
SELECT id, 'Audit deal', 'potential', 'rep_a', 1000 FROM crm.customers WHERE name = 'Audit Test GmbH';
UPDATE crm.opportunities SET amount = 1500, stage = 'bid' WHERE name = 'Audit deal';
INSERT INTO crm.contracts (customer_id, title, amount)
SELECT id, 'Audit contract', 1500 FROM crm.customers WHERE name = 'Audit Test GmbH';
UPDATE crm.contracts SET status = 'submitted' WHERE title = 'Audit contract';
SELECT table_name, operation, changed - 'created_at' - 'id' - 'customer_id' - 'closed_at' AS changed, role, at > now() - interval '1 minute' AS recent
  FROM crm.customer_history((SELECT id FROM crm.customers WHERE name = 'Audit Test GmbH'));
SELECT id AS audit_customer FROM crm.customers WHERE name = 'Audit Test GmbH' \gset
DELETE FROM crm.customers WHERE name = 'Audit Test GmbH';
SELECT table_name, operation, changed ? 'name' AS has_name, changed -> 'region' AS region
  FROM crm.customer_history(:audit_customer) WHERE operation = 'DELETE';

-- The report by period and by role.
SELECT role, table_name, operation, changes, customers, first_at > now() - interval '1 minute' AS recent
  FROM crm.audit_report(:'t0', now() + interval '1 minute')
 WHERE role IN ('regress_crm_auditor', current_user);
SELECT role, table_name, operation, changes
  FROM crm.audit_report(:'t0', now() + interval '1 minute', 'regress_crm_auditor');
SELECT count(*) AS nothing_last_year FROM crm.audit_report(now() - interval '1 year', now() - interval '11 months');

-- Bulk statements write one audit row per row changed.
INSERT INTO crm.customers (name, region) SELECT 'Bulk ' || i, 'East' FROM generate_series(1, 100) i;
UPDATE crm.customers SET channel = 'online' WHERE name LIKE 'Bulk %';
SELECT operation, count(*), count(DISTINCT row_key) AS keys, min(changed::text) FILTER (WHERE operation = 'UPDATE') AS update_changed
  FROM crm.audit_log WHERE id > :before_id AND table_name = 'customers' AND changed::text LIKE '%online%' OR (operation = 'INSERT' AND changed->'name'->>1 LIKE 'Bulk %' AND id > :before_id)
 GROUP BY operation ORDER BY operation;
DELETE FROM crm.customers WHERE name LIKE 'Bulk %';

-- The log is append-only, for ordinary roles (no privilege) and for the
-- owner (trigger); TRUNCATE too.
SET ROLE regress_crm_auditor;
SELECT try($$UPDATE crm.audit_log SET role = 'nobody'$$) AS role_update;
SELECT try($$DELETE FROM crm.audit_log$$) AS role_delete;
SELECT try($$INSERT INTO crm.audit_log (table_name, operation, role) VALUES ('customers', 'DELETE', 'forged')$$) AS role_forge;
SELECT try($$SELECT crm.audit_purge(now() - interval '1 year')$$) AS role_purge;
RESET ROLE;
SELECT try($$UPDATE crm.audit_log SET role = 'nobody'$$) AS owner_update;
SELECT try($$DELETE FROM crm.audit_log$$) AS owner_delete;
SELECT try($$TRUNCATE crm.audit_log$$) AS owner_truncate;
SELECT try($$SELECT crm.audit_purge('2999-01-01 00:00+00')$$) AS purge_recent;
SELECT crm.audit_purge(now() - interval '1 year') AS purged_old;
-- SET crm.audit = off is honoured only for superusers
SET crm.audit = off;
SET ROLE regress_crm_auditor;
INSERT INTO crm.customers (name) VALUES ('Unaudited?');
RESET ROLE;
INSERT INTO crm.customers (name) VALUES ('Unaudited!');
RESET crm.audit;
SELECT changed->'name'->>1 AS name, role FROM crm.audit_log
 WHERE id > :before_id AND operation = 'INSERT' AND changed->'name'->>1 LIKE 'Unaudited%';
DELETE FROM crm.customers WHERE name LIKE 'Unaudited%';

-- TRUNCATE of an audited table is logged too (in a rolled-back transaction here).
BEGIN;
TRUNCATE crm.contracts CASCADE;
SELECT table_name, operation, row_key, role FROM crm.audit_log WHERE operation = 'TRUNCATE' AND id > :before_id;
ROLLBACK;

-- Every change to a customer's rows is logged (seed 004): a contact, an
-- order, a cost to serve, a campaign membership and a quote, inserted,
-- changed and deleted; a membership's key is its campaign.
BEGIN;
SELECT max(id) AS before_rows FROM crm.audit_log \gset
INSERT INTO crm.customers (id, name) VALUES (7701, 'Every row audited');
INSERT INTO crm.contacts (id, customer_id, name) VALUES (7702, 7701, 'A. Contact');
INSERT INTO crm.orders (id, customer_id, ordered_at, amount) VALUES (7703, 7701, '2025-03-01 12:00+00', 100);
INSERT INTO crm.service_costs (id, customer_id, incurred_on, kind, amount) VALUES (7704, 7701, '2025-03-02', 'visit', 20);
INSERT INTO crm.campaigns (id, name, method, budget) OVERRIDING SYSTEM VALUE VALUES (7705, 'Audited campaign', 'seminar', 1000);
INSERT INTO crm.campaign_members (campaign_id, customer_id) VALUES (7705, 7701);
INSERT INTO crm.opportunities (id, customer_id, name, stage, owner, amount) OVERRIDING SYSTEM VALUE VALUES (7706, 7701, 'Audited deal', 'potential', 'rep_a', 1000);
INSERT INTO crm.quotes (customer_id, opportunity_id, amount) VALUES (7701, 7706, 900);
UPDATE crm.orders SET amount = 120 WHERE id = 7703;
UPDATE crm.contacts SET name = 'B. Contact' WHERE id = 7702;
UPDATE crm.campaign_members SET attended = true WHERE campaign_id = 7705 AND customer_id = 7701;
DELETE FROM crm.service_costs WHERE id = 7704;
SELECT table_name, operation, row_key = CASE table_name WHEN 'campaign_members' THEN 7705 WHEN 'quotes' THEN row_key ELSE 7700 + CASE table_name
		WHEN 'customers' THEN 1 WHEN 'contacts' THEN 2 WHEN 'orders' THEN 3 WHEN 'service_costs' THEN 4 WHEN 'opportunities' THEN 6 END END AS right_key,
	   CASE WHEN operation = 'UPDATE' THEN changed END AS update_changed
  FROM crm.audit_log WHERE id > :before_rows AND customer_id = 7701 ORDER BY id;
ROLLBACK;

RESET application_name;
DROP VIEW audit;
REVOKE ALL ON crm.customers, crm.opportunities, crm.contracts, crm.audit_log, crm.pipeline_stages,
	crm.status_transitions, crm.opportunity_history, crm.contract_history, crm.contract_versions FROM regress_crm_auditor;
REVOKE ALL ON SCHEMA crm FROM regress_crm_auditor;
DROP ROLE regress_crm_auditor;
