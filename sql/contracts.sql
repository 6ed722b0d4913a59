-- Contracts: the state machine (every move), versions on a change of terms,
-- the status and progress history.

INSERT INTO crm.customers (id, name) VALUES (1, 'Redwood Energy Group');

-- one contract per (from, to) pair, inserted in its from-status (inserts may
-- carry any status); then each is moved to its to-status in turn
INSERT INTO crm.contracts (id, customer_id, title, amount, status, signed_on, percent_complete)
SELECT 1000 + row_number() OVER (ORDER BY f, t), 1, format('%s to %s', f, t), 100, f, '2025-01-01', 100
  FROM unnest(enum_range(NULL::crm.contract_status)) f, unnest(enum_range(NULL::crm.contract_status)) t
 WHERE f <> t;
SELECT k.status AS from_status, t AS to_status,
	   try(format('UPDATE crm.contracts SET status = %L WHERE id = %s', t, k.id)) AS result
  FROM crm.contracts k, LATERAL split_part(k.title, ' to ', 2) AS t
 WHERE k.id > 1000
 ORDER BY k.id;

-- A contract's life, with an amendment on the way.
INSERT INTO crm.contracts (id, customer_id, title, amount, starts_on, ends_on, terms, created_at)
VALUES (1, 1, 'Maintenance 2025', 24000, '2025-01-01', '2025-12-31', 'net 30', '2024-12-01');
UPDATE crm.contracts SET status = 'submitted' WHERE id = 1;
SELECT try($$UPDATE crm.contracts SET status = 'approved' WHERE id = 1$$) AS approved_unsigned;
UPDATE crm.contracts SET status = 'approved', signed_on = '2024-12-15' WHERE id = 1;
UPDATE crm.contracts SET status = 'executing', percent_complete = 10 WHERE id = 1;
UPDATE crm.contracts SET amount = 26000, terms = 'net 30, extra site' WHERE id = 1;     -- version 2
UPDATE crm.contracts SET percent_complete = 40 WHERE id = 1;                            -- progress only
UPDATE crm.contracts SET ends_on = '2026-03-31' WHERE id = 1;                            -- version 3
UPDATE crm.contracts SET status = 'interrupted' WHERE id = 1;
UPDATE crm.contracts SET status = 'executing' WHERE id = 1;
SELECT try($$UPDATE crm.contracts SET status = 'completed' WHERE id = 1$$) AS completed_at_40;
UPDATE crm.contracts SET status = 'completed', percent_complete = 100 WHERE id = 1;
SELECT try($$UPDATE crm.contracts SET amount = 1 WHERE id = 1$$) AS terms_after_completion;
UPDATE crm.contracts SET status = 'closed' WHERE id = 1;
SELECT status, version, amount, ends_on, terms, percent_complete FROM crm.contracts WHERE id = 1;
SELECT version, amount, starts_on, ends_on, terms, valid_from = '2024-12-01' AS from_creation,
	   replaced_by = current_user AS by_me
  FROM crm.contract_versions WHERE contract_id = 1 ORDER BY version;
-- each version starts when the one before it was replaced
SELECT bool_and(v.valid_from = p.replaced_at) AS versions_chain
  FROM crm.contract_versions v JOIN crm.contract_versions p
	ON p.contract_id = v.contract_id AND p.version = v.version - 1;
SELECT old_status, new_status, old_percent, new_percent
  FROM crm.contract_history WHERE contract_id = 1 ORDER BY id;

-- Column checks.
SELECT try($$INSERT INTO crm.contracts (customer_id, title, amount) VALUES (1, 'x', -1)$$) AS negative_amount;
SELECT try($$INSERT INTO crm.contracts (customer_id, title, amount, percent_complete) VALUES (1, 'x', 1, 101)$$) AS percent_above_100;
SELECT try($$INSERT INTO crm.contracts (customer_id, title, amount, starts_on, ends_on) VALUES (1, 'x', 1, '2025-02-01', '2025-01-01')$$) AS ends_before_start;
SELECT try($$INSERT INTO crm.contracts (customer_id, title, amount) VALUES (1, ' ', 1)$$) AS blank_title;
SELECT try($$INSERT INTO crm.contracts (customer_id, title, amount, opportunity_id) VALUES (1, 'x', 1, 999)$$) AS unknown_opportunity;
SELECT try($$INSERT INTO crm.contracts (customer_id, title, amount, status) VALUES (1, 'x', 1, 'executing')$$) AS executing_unsigned;

SET client_min_messages = warning;
TRUNCATE crm.customers CASCADE;
