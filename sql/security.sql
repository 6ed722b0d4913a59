-- Row-level security: reps see and edit their own customers and the rows
-- that depend on them, cleared roles read customers up to their level,
-- managers see and edit all.  Every view and the functions reading the
-- tables return only visible rows; writes outside one's rows fail with
-- SQLSTATE 42501.

-- Only the extension owner may switch it on or off.
CREATE ROLE regress_crm_rep1;
CREATE ROLE regress_crm_rep2;
CREATE ROLE regress_crm_cleared;
CREATE ROLE regress_crm_boss;
-- the role model of the extension (sql/access.sql checks it table by table):
-- three reps, one of them also cleared to read level 2, and a manager
GRANT crm_rep TO regress_crm_rep1, regress_crm_rep2, regress_crm_cleared;

SET ROLE regress_crm_rep1;
SELECT try($$SELECT crm.enable_row_security()$$) AS rep_enables;
SELECT try($$SELECT crm.disable_row_security()$$) AS rep_disables;
RESET ROLE;

-- Four customers per rep at the four confidentiality levels, one unowned,
-- with contacts, orders, opportunities and contracts.
INSERT INTO crm.customers (name, region, owner, confidentiality, phone)
SELECT format('Sec %s L%s', o, l), 'North', o, l, format('+1 555 %s%s0000', length(o), l)
  FROM unnest(ARRAY['regress_crm_rep1', 'regress_crm_rep2']) o, generate_series(0, 3) l;
INSERT INTO crm.customers (name, region, confidentiality) VALUES ('Sec unowned L0', 'North', 0);
INSERT INTO crm.contacts (customer_id, name) SELECT id, 'Contact of ' || name FROM crm.customers WHERE name LIKE 'Sec %';
INSERT INTO crm.orders (customer_id, ordered_at, amount) SELECT id, '2025-06-01', 100 FROM crm.customers WHERE name LIKE 'Sec %';
INSERT INTO crm.opportunities (customer_id, name, stage, owner, amount)
SELECT id, 'Deal of ' || name, 'potential', coalesce(owner, 'regress_crm_rep1'), 1000 FROM crm.customers WHERE name LIKE 'Sec %';
INSERT INTO crm.contracts (customer_id, title, amount) SELECT id, 'Contract of ' || name, 500 FROM crm.customers WHERE name LIKE 'Sec %';

SELECT table_name FROM crm.enable_row_security() ORDER BY 1;
GRANT crm_clearance_2 TO regress_crm_cleared;
GRANT crm_manager TO regress_crm_boss;

-- What each role sees of the Sec customers and their dependants (rep1 also
-- owns the deal at the unowned customer: 5 opportunities).
CREATE FUNCTION pg_temp.visible() RETURNS TABLE (role name, customers bigint, contacts bigint, orders bigint,
	opportunities bigint, contracts bigint, audit_rows bigint)
LANGUAGE sql AS $$
	SELECT current_user,
		   (SELECT count(*) FROM crm.customers WHERE name LIKE 'Sec %'),
		   (SELECT count(*) FROM crm.contacts WHERE name LIKE 'Contact of Sec %'),
		   (SELECT count(*) FROM crm.orders o WHERE o.ordered_at = '2025-06-01' AND o.amount = 100),
		   (SELECT count(*) FROM crm.opportunities WHERE name LIKE 'Deal of Sec %'),
		   (SELECT count(*) FROM crm.contracts WHERE title LIKE 'Contract of Sec %'),
		   (SELECT count(*) FROM crm.audit_log a WHERE a.changed -> 'name' ->> 1 LIKE 'Sec %')
$$;
GRANT EXECUTE ON FUNCTION pg_temp.visible() TO PUBLIC;
SET ROLE regress_crm_rep1;
SELECT * FROM pg_temp.visible();
SET ROLE regress_crm_rep2;
SELECT * FROM pg_temp.visible();
SET ROLE regress_crm_cleared;
SELECT * FROM pg_temp.visible();
SET ROLE regress_crm_boss;
SELECT * FROM pg_temp.visible();
RESET ROLE;
SELECT * FROM pg_temp.visible();
SET ROLE regress_crm_rep1;
SELECT name FROM crm.customers WHERE name LIKE 'Sec %' ORDER BY name;
SET ROLE regress_crm_cleared;
SELECT name FROM crm.customers WHERE name LIKE 'Sec %' ORDER BY name;
RESET ROLE;

-- No view of the extension shows a customer the role cannot see: every
-- view is counted as the superuser and as rep1 (aggregating views count
-- fewer customers, or none), and in every view with a customer column
-- (customer_id, or id in customer_360) the rows of a customer hidden from
-- rep1 are counted.
SELECT id AS hidden_from_rep1 FROM crm.customers WHERE name = 'Sec regress_crm_rep2 L0' \gset
CREATE FUNCTION pg_temp.leaks(hidden bigint) RETURNS TABLE (view_name text, all_rows bigint, rows_of_hidden bigint)
LANGUAGE plpgsql AS $$
DECLARE
	v record;
BEGIN
	FOR v IN SELECT c.relname::text AS name,
					(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid
						AND (a.attname = 'customer_id' OR (c.relname = 'customer_360' AND a.attname = 'id'))) AS col
			   FROM pg_class c
			  WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'v'
			  ORDER BY 1 LOOP
		view_name := v.name;
		EXECUTE format('SELECT count(*) FROM crm.%I', v.name) INTO all_rows;
		rows_of_hidden := NULL;
		IF v.col IS NOT NULL THEN
			EXECUTE format('SELECT count(*) FROM crm.%I WHERE %I = $1', v.name, v.col) INTO rows_of_hidden USING hidden;
		END IF;
		RETURN NEXT;
	END LOOP;
END;
$$;
GRANT EXECUTE ON FUNCTION pg_temp.leaks(bigint) TO PUBLIC;
CREATE TEMP TABLE superuser_view AS SELECT * FROM pg_temp.leaks(:hidden_from_rep1);
GRANT SELECT ON superuser_view TO PUBLIC;
SET ROLE regress_crm_rep1;
SELECT s.view_name, s.all_rows AS superuser_rows, r.all_rows AS rep1_rows,
	   s.rows_of_hidden AS superuser_hidden_rows, r.rows_of_hidden AS rep1_hidden_rows
  FROM superuser_view s JOIN pg_temp.leaks(:hidden_from_rep1) r USING (view_name)
 ORDER BY 1;
-- functions and aggregates: history, duplicates, purchase statistics
SELECT count(*) AS history_rows FROM crm.customer_history(:hidden_from_rep1);
SELECT count(*) AS duplicates_with_hidden FROM crm.find_duplicates(0.5) WHERE :hidden_from_rep1 IN (customer_id, duplicate_of);
SELECT count(*) AS customers_in_purchase_stats
  FROM (SELECT o.customer_id, crm.purchase_stats(o.ordered_at::date, o.amount) FROM crm.orders o GROUP BY 1) s
 WHERE s.customer_id = :hidden_from_rep1;
SELECT count(*) AS own_in_purchase_stats
  FROM (SELECT o.customer_id, crm.purchase_stats(o.ordered_at::date, o.amount) FROM crm.orders o GROUP BY 1) s;

-- Writes: a rep edits its own rows; other rows are invisible (nothing
-- happens) or, when visible through a clearance, refused with 42501.
UPDATE crm.customers SET satisfaction = 8 WHERE name LIKE 'Sec %';
SELECT try($$INSERT INTO crm.customers (name, owner) VALUES ('Sec stolen', 'regress_crm_rep2')$$) AS insert_for_other;
SELECT try($$UPDATE crm.customers SET owner = 'regress_crm_rep2' WHERE name = 'Sec regress_crm_rep1 L0'$$) AS give_away;
SELECT try(format($$INSERT INTO crm.contacts (customer_id, name) VALUES (%s, 'Spy')$$, :hidden_from_rep1)) AS contact_at_other;
SELECT try(format($$INSERT INTO crm.orders (customer_id, ordered_at, amount) VALUES (%s, now(), 1)$$, :hidden_from_rep1)) AS order_at_other;
SELECT try(format($$UPDATE crm.opportunities SET customer_id = %s WHERE name = 'Deal of Sec regress_crm_rep1 L0'$$, :hidden_from_rep1)) AS move_deal_to_other;
-- the owner of a deal at a customer it cannot see sees the deal and changes
-- it (but cannot move it to another customer, above)
SELECT try($$UPDATE crm.opportunities SET amount = 2000 WHERE name = 'Deal of Sec unowned L0'$$) AS own_deal_elsewhere;
DELETE FROM crm.customers WHERE name = 'Sec regress_crm_rep2 L0';
-- (ids shown as N)
SET ROLE regress_crm_cleared;
SELECT regexp_replace(try($$UPDATE crm.customers SET satisfaction = 1 WHERE name = 'Sec regress_crm_rep2 L0'$$), '(customer|row) [0-9]+', '\1 N', 'g') AS cleared_update;
SELECT regexp_replace(try($$DELETE FROM crm.customers WHERE name = 'Sec regress_crm_rep1 L1'$$), '(customer|row) [0-9]+', '\1 N', 'g') AS cleared_delete;
SELECT regexp_replace(try($$UPDATE crm.customers SET owner = 'regress_crm_cleared' WHERE name = 'Sec regress_crm_rep1 L1'$$), '(customer|row) [0-9]+', '\1 N', 'g') AS cleared_takes_over;
SELECT regexp_replace(try($$UPDATE crm.contacts SET title = 'x' WHERE name = 'Contact of Sec regress_crm_rep1 L1'$$), '(customer|row) [0-9]+', '\1 N', 'g') AS cleared_contact_update;
SELECT try($$INSERT INTO crm.campaigns (name, method) VALUES ('Sec campaign', 'email')$$) AS cleared_campaign;
SET ROLE regress_crm_boss;
UPDATE crm.customers SET satisfaction = 5 WHERE name LIKE 'Sec %';
SELECT try($$INSERT INTO crm.campaigns (name, method) VALUES ('Sec campaign', 'email')$$) AS boss_campaign;
SELECT crm.transfer_owner('regress_crm_rep2', 'regress_crm_rep1', ARRAY(SELECT id FROM crm.customers WHERE name = 'Sec regress_crm_rep2 L3'));
RESET ROLE;
SELECT name, owner, satisfaction FROM crm.customers WHERE name LIKE 'Sec %' ORDER BY name;
SELECT count(*) AS campaigns FROM crm.campaigns WHERE name = 'Sec campaign';

-- Views run with the querying role's rights.
SELECT count(*) AS views, count(*) FILTER (WHERE 'security_invoker=true' = ANY (reloptions)) AS invoker_views
  FROM pg_class WHERE relnamespace = 'crm'::regnamespace AND relkind = 'v';

-- Off again: every role sees every row its grants allow.
SELECT count(*) AS tables FROM crm.disable_row_security();
SET ROLE regress_crm_rep1;
SELECT count(*) AS rep1_customers FROM crm.customers WHERE name LIKE 'Sec %';
RESET ROLE;
SELECT count(*) AS policies_left FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = 'crm'::regnamespace;
SELECT count(*) AS rls_tables_left FROM pg_class WHERE relnamespace = 'crm'::regnamespace AND relrowsecurity;

DELETE FROM crm.customers WHERE name LIKE 'Sec %';
DELETE FROM crm.campaigns WHERE name = 'Sec campaign';
REVOKE ALL ON ALL TABLES IN SCHEMA crm FROM regress_crm_rep1, regress_crm_rep2, regress_crm_cleared, regress_crm_boss;
REVOKE ALL ON SCHEMA crm FROM regress_crm_rep1, regress_crm_rep2, regress_crm_cleared, regress_crm_boss;
DROP ROLE regress_crm_rep1, regress_crm_rep2, regress_crm_cleared, regress_crm_boss;
