-- Contract views (src/contracts.sql): progress, execution status, version
-- and status history by customer and by contract, contracts by state.

-- execution status at a given day
SELECT s, p, crm.contract_execution_status(s, p, '2025-01-01', '2025-12-31', d) AS execution_status
  FROM (VALUES ('draft'::crm.contract_status, 0, '2025-06-01'::date), ('submitted', 0, '2025-06-01'),
			   ('approved', 0, '2025-06-01'), ('interrupted', 30, '2025-06-01'),
			   ('executing', 50, '2025-07-01'),   -- 182 of 365 days = 49.9 % expected: on schedule
			   ('executing', 40, '2025-07-01'),   -- 40 >= 49.9 - 10: on schedule
			   ('executing', 39, '2025-07-01'),   -- more than 10 points behind
			   ('executing', 0, '2024-12-01'),    -- not begun yet: 0 % expected
			   ('executing', 90, '2026-01-01'),   -- past its end
			   ('completed', 100, '2025-06-01'), ('closed', 100, '2026-06-01')) AS v(s, p, d);
SELECT crm.contract_execution_status('executing', 10, NULL, NULL, '2025-06-01') AS without_dates;

BEGIN;
DELETE FROM crm.contracts;
INSERT INTO crm.customers (id, name) OVERRIDING SYSTEM VALUE VALUES (750001, 'Contract Test A'), (750002, 'Contract Test B');
INSERT INTO crm.contracts (id, customer_id, title, amount, starts_on, ends_on, terms, status, signed_on, percent_complete)
OVERRIDING SYSTEM VALUE VALUES
	(750001, 750001, 'Old maintenance', 12000, '2020-01-01', '2020-12-31', 'net 30', 'approved', '2019-12-15', 0),
	(750002, 750001, 'Rollout', 50000, NULL, NULL, 'net 60', 'executing', '2025-01-10', 20),
	(750003, 750002, 'Draft offer', 8000, NULL, NULL, NULL, 'draft', NULL, 0),
	(750004, 750002, 'Done', 3000, NULL, NULL, NULL, 'completed', '2024-05-01', 100);
-- the old contract runs late and is amended twice
UPDATE crm.contracts SET status = 'executing', percent_complete = 30 WHERE id = 750001;
UPDATE crm.contracts SET amount = 13000 WHERE id = 750001;                 -- version 2
UPDATE crm.contracts SET terms = 'net 45', percent_complete = 60 WHERE id = 750001;   -- version 3
SELECT contract_id, customer_id, customer, title, status, execution_status, amount, percent_complete,
	   amount_delivered, version, status_changed_at IS NOT NULL AS status_changed, history_entries
  FROM crm.contract_overview ORDER BY contract_id;
-- by customer
SELECT contract_id, title, execution_status FROM crm.contract_overview WHERE customer_id = 750002 ORDER BY contract_id;
-- version history of one contract: 1 and 2 archived, 3 current
SELECT contract_id, customer_id, version, amount, terms, is_current, valid_until IS NULL AS open_ended,
	   valid_from <= coalesce(valid_until, 'infinity') AS ordered
  FROM crm.contract_version_history WHERE contract_id = 750001 ORDER BY version;
SELECT customer_id, count(*) AS versions, count(*) FILTER (WHERE is_current) AS current
  FROM crm.contract_version_history GROUP BY customer_id ORDER BY customer_id;
-- status history by contract
SELECT contract_id, old_status, new_status, old_percent, new_percent
  FROM crm.contract_status_history WHERE contract_id = 750001 ORDER BY changed_at, old_percent;
-- contracts by state with amounts
SELECT * FROM crm.contracts_by_status ORDER BY status;
ROLLBACK;
