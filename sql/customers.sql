-- Constraints of customers, contacts, orders and costs to serve: each
-- accepted row and each rejected one with the message a user reads.

INSERT INTO crm.customers (id, name, kind, industry, region, owner, email, confidentiality, satisfaction, tags, attributes)
VALUES (1, 'Huaxin Trading Co., Ltd.', 'company', 'retail', 'East', 'rep_01', 'info@huaxin.example', 3, 8.5,
		'{industry:retail,vip}', '{"basic": {"legal_form": "limited company", "founded": 2001}}'),
	   (2, '王伟', 'person', NULL, 'North', NULL, NULL, 0, NULL, '{}', '{}');
SELECT id, name, kind, confidentiality, satisfaction, credit_status, tags, attributes #>> '{basic,founded}' AS founded
  FROM crm.customers ORDER BY id;

-- customers
SELECT try($$INSERT INTO crm.customers (name) VALUES ('   ')$$) AS blank_name;
SELECT try($$INSERT INTO crm.customers (name) VALUES (NULL)$$) AS null_name;
SELECT try($$INSERT INTO crm.customers (name, kind) VALUES ('X', 'robot')$$) AS bad_kind;
SELECT try($$INSERT INTO crm.customers (name, email) VALUES ('X', 'no-at-sign')$$) AS bad_email;
SELECT try($$INSERT INTO crm.customers (name, confidentiality) VALUES ('X', 4)$$) AS confidentiality_4;
SELECT try($$INSERT INTO crm.customers (name, confidentiality) VALUES ('X', -1)$$) AS confidentiality_neg;
SELECT try($$INSERT INTO crm.customers (name, satisfaction) VALUES ('X', 10.5)$$) AS satisfaction_high;
SELECT try($$INSERT INTO crm.customers (name, satisfaction) VALUES ('X', -0.1)$$) AS satisfaction_neg;
SELECT try($$INSERT INTO crm.customers (name, credit_status) VALUES ('X', 'excellent')$$) AS bad_credit;
SELECT try($$INSERT INTO crm.customers (name, tags) VALUES ('X', NULL)$$) AS null_tags;
SELECT try($$INSERT INTO crm.customers (name, attributes) VALUES ('X', '[1, 2]')$$) AS attributes_array;
SELECT try($$INSERT INTO crm.customers (id, name) VALUES (1, 'duplicate id')$$) AS duplicate_id;

-- updated_at follows changes
UPDATE crm.customers SET created_at = '2020-01-01', updated_at = '2020-01-01' WHERE id = 1;
UPDATE crm.customers SET satisfaction = 9 WHERE id = 1;
SELECT updated_at > created_at AS updated_at_moved FROM crm.customers WHERE id = 1;

-- contacts: a decision path inside one customer, no cycles
INSERT INTO crm.contacts (id, customer_id, name, title, decision_role, reports_to) VALUES
	(10, 1, 'Li Ming', 'CEO', 'decision maker', NULL),
	(11, 1, 'Zhang Wei', 'Purchasing Director', 'influencer', 10),
	(12, 1, 'Chen Jing', 'Buyer', 'user', 11),
	(20, 2, 'Wang Fang', NULL, NULL, NULL);
SELECT * FROM crm.decision_path(12);
SELECT count(*) AS unknown_contact FROM crm.decision_path(999);
SELECT try($$UPDATE crm.contacts SET reports_to = 12 WHERE id = 10$$) AS cycle;
SELECT try($$UPDATE crm.contacts SET reports_to = 10 WHERE id = 10$$) AS self;
SELECT try($$UPDATE crm.contacts SET reports_to = 20 WHERE id = 12$$) AS other_customer;
-- a cycle written around the trigger (by a superuser) does not make
-- decision_path loop: it stops where the path would repeat
ALTER TABLE crm.contacts DISABLE TRIGGER contacts_no_cycle;
UPDATE crm.contacts SET reports_to = 12 WHERE id = 10;
ALTER TABLE crm.contacts ENABLE TRIGGER contacts_no_cycle;
SELECT * FROM crm.decision_path(12);
UPDATE crm.contacts SET reports_to = NULL WHERE id = 10;
SELECT try($$INSERT INTO crm.contacts (customer_id, name) VALUES (999, 'Nobody')$$) AS unknown_customer;
SELECT try($$INSERT INTO crm.contacts (customer_id, name, decision_role) VALUES (1, 'X', 'boss')$$) AS bad_role;
SELECT try($$INSERT INTO crm.contacts (customer_id, name, email) VALUES (1, 'X', 'x.example')$$) AS bad_email;

-- orders: arrears are what is unpaid after the due date
INSERT INTO crm.orders (customer_id, ordered_at, amount, quantity, product, amount_paid, due_date) VALUES
	(1, '2025-10-01 10:00+00', 1000.00, 2, 'software', 1000.00, '2025-10-31'),
	(1, '2025-11-01 10:00+00', 800.00, 1, 'support', 300.00, '2025-12-01'),
	(1, '2025-12-20 10:00+00', 500.00, 1, 'training', 0, '2026-01-19'),
	(2, '2025-12-24 18:30+00', 59.90, 1, 'consumables', 59.90, NULL);
SELECT customer_id, sum(amount - amount_paid) FILTER (WHERE due_date < date '2025-12-31') AS arrears,
	   sum(amount - amount_paid) AS open_amount
  FROM crm.orders GROUP BY customer_id ORDER BY customer_id;
SELECT try($$INSERT INTO crm.orders (customer_id, ordered_at, amount) VALUES (1, now(), -1)$$) AS negative_amount;
SELECT try($$INSERT INTO crm.orders (customer_id, ordered_at, amount, quantity) VALUES (1, now(), 1, 0)$$) AS zero_quantity;
SELECT try($$INSERT INTO crm.orders (customer_id, ordered_at, amount, amount_paid) VALUES (1, now(), 10, 11)$$) AS overpaid;
SELECT try($$INSERT INTO crm.orders (customer_id, ordered_at, amount, amount_paid) VALUES (1, now(), 10, -1)$$) AS negative_paid;
SELECT try($$INSERT INTO crm.orders (customer_id, ordered_at, amount) VALUES (999, now(), 10)$$) AS unknown_customer;
SELECT try($$INSERT INTO crm.orders (customer_id, amount) VALUES (1, 10)$$) AS no_time;

-- costs to serve
INSERT INTO crm.service_costs (customer_id, incurred_on, kind, amount, note) VALUES
	(1, '2025-11-15', 'visit', 350.00, 'on-site visit'),
	(1, '2025-12-01', 'discount', 80.00, NULL);
SELECT kind, sum(amount) FROM crm.service_costs GROUP BY kind ORDER BY kind;
SELECT try($$INSERT INTO crm.service_costs (customer_id, incurred_on, kind, amount) VALUES (1, '2025-01-01', 'party', 1)$$) AS bad_kind;
SELECT try($$INSERT INTO crm.service_costs (customer_id, incurred_on, kind, amount) VALUES (1, '2025-01-01', 'visit', -5)$$) AS negative_cost;

-- deleting a customer takes its dependent rows with it
DELETE FROM crm.customers WHERE id = 2;
SELECT (SELECT count(*) FROM crm.contacts WHERE customer_id = 2) AS contacts_left,
	   (SELECT count(*) FROM crm.orders WHERE customer_id = 2) AS orders_left;

SET client_min_messages = warning;
TRUNCATE crm.customers CASCADE;
