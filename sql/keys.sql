-- Keys and the remaining column checks, each violated once so that every
-- constraint of the schema shows its name in the expected output.

INSERT INTO crm.customers (id, name) VALUES (1, 'Evergreen Pharma Ltd.');
INSERT INTO crm.campaigns (id, name, method) VALUES (1, 'Autumn mailing', 'email');
INSERT INTO crm.contacts (id, customer_id, name) VALUES (1, 1, 'Wang Fang');
INSERT INTO crm.orders (id, customer_id, ordered_at, amount) VALUES (1, 1, '2025-06-01 12:00+00', 100);
INSERT INTO crm.service_costs (id, customer_id, incurred_on, kind, amount) VALUES (1, 1, '2025-06-02', 'visit', 50);
INSERT INTO crm.opportunities (id, customer_id, name, stage, owner) VALUES (1, 1, 'Lab equipment', 'bid', 'rep_01');
INSERT INTO crm.quotes (id, opportunity_id, amount) VALUES (1, 1, 1000);
INSERT INTO crm.contracts (id, customer_id, title, amount) VALUES (1, 1, 'Supply 2026', 1000);
INSERT INTO crm.quotas (id, period_start, period_end, target) VALUES (1, '2026-01-01', '2026-12-31', 1);
UPDATE crm.opportunities SET amount = 10 WHERE id = 1;
UPDATE crm.contracts SET amount = 900 WHERE id = 1;
UPDATE crm.contracts SET status = 'submitted' WHERE id = 1;
BEGIN;
INSERT INTO crm.opportunity_owners VALUES (1, 'rep_01', 100);
COMMIT;

-- primary keys
SELECT try($$INSERT INTO crm.campaigns (id, name, method) VALUES (1, 'x', 'email')$$) AS campaigns_pkey;
SELECT try($$INSERT INTO crm.contacts (id, customer_id, name) VALUES (1, 1, 'x')$$) AS contacts_pkey;
SELECT try($$INSERT INTO crm.orders (id, customer_id, ordered_at, amount) VALUES (1, 1, now(), 1)$$) AS orders_pkey;
SELECT try($$INSERT INTO crm.service_costs (id, customer_id, incurred_on, kind, amount) VALUES (1, 1, now(), 'visit', 1)$$) AS service_costs_pkey;
SELECT try($$INSERT INTO crm.opportunities (id, customer_id, name, stage, owner) VALUES (1, 1, 'x', 'bid', 'rep_01')$$) AS opportunities_pkey;
SELECT try($$INSERT INTO crm.opportunity_owners VALUES (1, 'rep_01', 100)$$) AS opportunity_owners_pkey;
SELECT try($$INSERT INTO crm.opportunity_history (id, opportunity_id) SELECT id, opportunity_id FROM crm.opportunity_history LIMIT 1$$) AS opportunity_history_pkey;
SELECT try($$INSERT INTO crm.quotes (id, opportunity_id, amount) VALUES (1, 1, 1)$$) AS quotes_pkey;
SELECT try($$INSERT INTO crm.contracts (id, customer_id, title, amount) VALUES (1, 1, 'x', 1)$$) AS contracts_pkey;
SELECT try($$INSERT INTO crm.contract_versions (contract_id, version, amount, valid_from) VALUES (1, 1, 1, now())$$) AS contract_versions_pkey;
SELECT try($$INSERT INTO crm.contract_history (id, contract_id) SELECT id, contract_id FROM crm.contract_history LIMIT 1$$) AS contract_history_pkey;
SELECT try($$INSERT INTO crm.quotas (id, period_start, period_end, target) VALUES (1, '2027-01-01', '2027-12-31', 1)$$) AS quotas_pkey;
SELECT try($$INSERT INTO crm.status_transitions VALUES ('contract', 'draft', '{}')$$) AS status_transitions_pkey;

-- foreign keys
SELECT try($$INSERT INTO crm.service_costs (customer_id, incurred_on, kind, amount) VALUES (9, now(), 'visit', 1)$$) AS service_costs_customer;
SELECT try($$INSERT INTO crm.opportunities (customer_id, name, stage, owner) VALUES (9, 'x', 'bid', 'rep_01')$$) AS opportunities_customer;
SELECT try($$INSERT INTO crm.opportunity_owners VALUES (9, 'rep_01', 100)$$) AS opportunity_owners_opportunity;
SELECT try($$INSERT INTO crm.opportunity_history (opportunity_id) VALUES (9)$$) AS opportunity_history_opportunity;
SELECT try($$INSERT INTO crm.quotes (opportunity_id, amount) VALUES (9, 1)$$) AS quotes_opportunity;
SELECT try($$INSERT INTO crm.contracts (customer_id, title, amount) VALUES (9, 'x', 1)$$) AS contracts_customer;
SELECT try($$INSERT INTO crm.contracts (customer_id, title, amount, campaign_id) VALUES (1, 'x', 1, 9)$$) AS contracts_campaign;
SELECT try($$INSERT INTO crm.contract_versions (contract_id, version, amount, valid_from) VALUES (9, 1, 1, now())$$) AS contract_versions_contract;
SELECT try($$INSERT INTO crm.contract_history (contract_id) VALUES (9)$$) AS contract_history_contract;

-- column checks not met elsewhere
SELECT try($$INSERT INTO crm.contacts (id, customer_id, name, reports_to) VALUES (2, 1, 'x', 2)$$) AS reports_to_self;
SELECT try($$INSERT INTO crm.contacts (customer_id, name) VALUES (1, '')$$) AS contact_blank_name;
SELECT try($$INSERT INTO crm.opportunities (customer_id, name, stage, owner) VALUES (1, ' ', 'bid', 'rep_01')$$) AS opportunity_blank_name;
SELECT try($$INSERT INTO crm.pipeline_stages (pipeline, stage, position) VALUES ('shop', '', 1)$$) AS blank_stage;
SELECT try($$INSERT INTO crm.quotes (opportunity_id, amount) VALUES (1, -1)$$) AS negative_quote;
SELECT try($$INSERT INTO crm.quotes (opportunity_id, version, amount) VALUES (1, 0, 1)$$) AS quote_version_0;
SELECT try($$INSERT INTO crm.contracts (customer_id, title, amount, version) VALUES (1, 'x', 1, 0)$$) AS contract_version_0;
SELECT try($$INSERT INTO crm.contract_versions (contract_id, version, amount, valid_from) VALUES (1, 0, 1, now())$$) AS contract_versions_version_0;

-- deleting a parent: dependants go with a customer, opportunity or
-- contract; a campaign's opportunities and contracts only lose the link
INSERT INTO crm.opportunities (id, customer_id, campaign_id, name, stage, owner) VALUES (2, 1, 1, 'From the mailing', 'bid', 'rep_01');
UPDATE crm.contracts SET campaign_id = 1 WHERE id = 1;
DELETE FROM crm.campaigns WHERE id = 1;
SELECT (SELECT campaign_id FROM crm.opportunities WHERE id = 2) AS opportunity_campaign,
	   (SELECT campaign_id FROM crm.contracts WHERE id = 1) AS contract_campaign;
-- the rows of an opportunity or a contract belong to its customer (the
-- keys include customer_id, as Citus needs); left out, it is filled in
INSERT INTO crm.customers (id, name) VALUES (2, 'Northwind Trading');
SELECT try($$INSERT INTO crm.contracts (customer_id, title, amount, opportunity_id) VALUES (2, 'x', 1, 2)$$) AS contract_of_other_customers_opportunity;
SELECT try($$INSERT INTO crm.quotes (customer_id, opportunity_id, amount) VALUES (2, 2, 1)$$) AS quote_of_other_customers_opportunity;
INSERT INTO crm.quotes (opportunity_id, amount) VALUES (2, 500) RETURNING customer_id AS quote_customer_filled_in;
-- a contract outlives the opportunity it closed
INSERT INTO crm.contracts (id, customer_id, opportunity_id, title, amount) VALUES (2, 1, 2, 'Mailing deal', 500);
-- (only archived deals are deleted)
UPDATE crm.opportunities SET status = 'terminated', closing_summary = 'test over' WHERE id IN (1, 2) AND status = 'open';
UPDATE crm.opportunities SET status = 'archived' WHERE id IN (1, 2);
DELETE FROM crm.opportunities WHERE id = 2;
SELECT opportunity_id AS detached_contract_opportunity, customer_id FROM crm.contracts WHERE id = 2;
DELETE FROM crm.opportunities WHERE id = 1;
SELECT (SELECT count(*) FROM crm.quotes) AS quotes, (SELECT count(*) FROM crm.opportunity_owners) AS owners,
	   (SELECT count(*) FROM crm.opportunity_history WHERE opportunity_id = 1) AS history,
	   (SELECT opportunity_id FROM crm.contracts WHERE id = 1) AS contract_opportunity;
DELETE FROM crm.contracts WHERE id = 1;
SELECT (SELECT count(*) FROM crm.contract_versions) AS versions, (SELECT count(*) FROM crm.contract_history) AS history;

SET client_min_messages = warning;
TRUNCATE crm.customers, crm.campaigns, crm.quotas CASCADE;
