-- The role model as a matrix, built from the catalog: every table of the
-- schema crm, for each group role of the model (crm_reader with
-- crm_clearance_1, two crm_rep members, crm_manager, crm_admin), whether it
-- reads, inserts, updates and deletes a row of rep1's customer (A) and of
-- rep2's customer (B), under row-level security.  A table added without its
-- privileges and policies shows up here as a new line and fails the test.
-- Then every view as each role, and which roles may run the functions that
-- PUBLIC may not.
-- Outcomes: a row count, or the SQLSTATE of the refusal (42501: no privilege,
-- a policy's WITH CHECK, or trigger row_write_check naming the owner).

CREATE ROLE regress_am_reader LOGIN IN ROLE crm_reader, crm_clearance_1;
CREATE ROLE regress_am_rep1 LOGIN IN ROLE crm_rep;
CREATE ROLE regress_am_rep2 LOGIN IN ROLE crm_rep;
CREATE ROLE regress_am_manager LOGIN IN ROLE crm_manager;
CREATE ROLE regress_am_admin LOGIN IN ROLE crm_admin;

-- The role model itself: who is a member of whom.
SELECT r.rolname AS role, array_agg(g.rolname ORDER BY g.rolname) AS member_of, r.rolcanlogin
  FROM pg_roles r
  LEFT JOIN pg_auth_members m ON m.member = r.oid
  LEFT JOIN pg_roles g ON g.oid = m.roleid
 WHERE r.rolname LIKE 'crm\_%'
 GROUP BY r.rolname, r.rolcanlogin ORDER BY 1;

-- Rows in every table for customer A (rep1, confidentiality 0: the reader
-- sees it) and customer B (rep2, confidentiality 3: the reader does not).
INSERT INTO crm.customers (name, region, owner, confidentiality) VALUES
	('Matrix A', 'North', 'regress_am_rep1', 0), ('Matrix B', 'North', 'regress_am_rep2', 3);
SELECT id AS cust_a FROM crm.customers WHERE name = 'Matrix A' \gset
SELECT id AS cust_b FROM crm.customers WHERE name = 'Matrix B' \gset
INSERT INTO crm.campaigns (name, method, budget) VALUES ('Matrix campaign', 'seminar', 1000);
INSERT INTO crm.quotas (period_start, period_end, owner, target) VALUES
	('2025-01-01', '2025-12-31', 'regress_am_rep1', 50000), ('2025-01-01', '2025-12-31', 'regress_am_rep2', 50000);
INSERT INTO crm.forecast_adjustments (pipeline, period, period_start, level, name, category, from_amount, amount) VALUES
	('project', 'month', '2025-03-01', 'rep', 'regress_am_rep1', 'commit', 1000, 900),
	('project', 'month', '2025-03-01', 'rep', 'regress_am_rep2', 'commit', 1000, 800);
INSERT INTO crm.contacts (customer_id, name) SELECT id, 'Contact ' || name FROM crm.customers WHERE name LIKE 'Matrix _';
INSERT INTO crm.orders (customer_id, ordered_at, amount) SELECT id, '2025-03-01', 100 FROM crm.customers WHERE name LIKE 'Matrix _';
INSERT INTO crm.service_costs (customer_id, incurred_on, kind, amount) SELECT id, '2025-03-02', 'support', 10 FROM crm.customers WHERE name LIKE 'Matrix _';
INSERT INTO crm.campaign_members (campaign_id, customer_id)
SELECT k.id, c.id FROM crm.campaigns k, crm.customers c WHERE k.name = 'Matrix campaign' AND c.name LIKE 'Matrix _';
INSERT INTO crm.opportunities (customer_id, name, stage, owner, amount)
SELECT id, 'Deal ' || name, 'potential', owner, 1000 FROM crm.customers WHERE name LIKE 'Matrix _';
INSERT INTO crm.opportunity_owners (customer_id, opportunity_id, owner, share)
SELECT customer_id, id, owner, 100 FROM crm.opportunities WHERE name LIKE 'Deal Matrix _';
INSERT INTO crm.quotes (customer_id, opportunity_id, amount) SELECT customer_id, id, 900 FROM crm.opportunities WHERE name LIKE 'Deal Matrix _';
UPDATE crm.opportunities SET stage = 'bid' WHERE name LIKE 'Deal Matrix _';
-- (an approval already decided, as a restore writes it; archived deals, the
-- only ones that may be deleted)
INSERT INTO crm.opportunity_approvals (customer_id, opportunity_id, move, decision, decided_by, decided_at)
SELECT customer_id, id, 'reactivation', 'approved', 'regress_am_manager', '2025-03-01' FROM crm.opportunities WHERE name LIKE 'Deal Matrix _';
UPDATE crm.opportunities SET status = 'terminated', closing_summary = 'matrix done' WHERE name LIKE 'Deal Matrix _';
UPDATE crm.opportunities SET status = 'archived' WHERE name LIKE 'Deal Matrix _';
INSERT INTO crm.contracts (customer_id, title, amount) SELECT id, 'Contract ' || name, 500 FROM crm.customers WHERE name LIKE 'Matrix _';
UPDATE crm.contracts SET amount = 600 WHERE title LIKE 'Contract Matrix _';
UPDATE crm.contracts SET status = 'submitted' WHERE title LIKE 'Contract Matrix _';
SELECT count(*) > 0 AS graded FROM crm.refresh_grades('2025-12-31');
SELECT crm.enable_row_security() IS NOT NULL AS enabled LIMIT 1;
CREATE TEMP TABLE matrix_training AS SELECT 1 AS x, 'a' AS label UNION ALL SELECT 2, 'b';
GRANT SELECT ON matrix_training TO PUBLIC;
SET ROLE regress_am_rep1;
SELECT name, trained_by, shared FROM crm.tree_train_model('matrix_rep1', 'pg_temp.matrix_training', 'label', '{"min_samples_leaf": 1}');
SET ROLE regress_am_rep2;
SELECT name, trained_by, shared FROM crm.tree_train_model('matrix_rep2', 'pg_temp.matrix_training', 'label', '{"min_samples_leaf": 1}');
RESET ROLE;

-- Row A and row B of a table: by customer, by the model's trainer, or else
-- its first and last row by primary key.
CREATE FUNCTION pg_temp.target(tab regclass, which text, cust_a bigint, cust_b bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	pk text;
	cond text;
	r jsonb;
BEGIN
	SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY array_position(i.indkey, a.attnum))
	  INTO pk
	  FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
	 WHERE i.indrelid = tab AND i.indisprimary;
	IF tab = 'crm.customers'::regclass THEN
		cond := format('id = %s', CASE which WHEN 'A' THEN cust_a ELSE cust_b END);
	ELSIF tab = 'crm.models'::regclass THEN
		cond := format('trained_by = %L', CASE which WHEN 'A' THEN 'regress_am_rep1' ELSE 'regress_am_rep2' END);
	ELSIF EXISTS (SELECT FROM pg_attribute WHERE attrelid = tab AND attname = 'customer_id') THEN
		cond := format('customer_id = %s', CASE which WHEN 'A' THEN cust_a ELSE cust_b END);
	ELSE
		cond := 'true';
	END IF;
	-- one row: the first (A) or last (B) of those by primary key
	EXECUTE format('SELECT to_jsonb(t) FROM %s t WHERE %s ORDER BY (%s) %s LIMIT 1', tab, cond, pk,
				   CASE which WHEN 'A' THEN 'ASC' ELSE 'DESC' END) INTO r;
	IF r IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN format('(%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, %L))', pk, pk, tab, r);
END;
$$;

-- One operation on one row as one role, always rolled back: the row count
-- or the SQLSTATE.  For an insert, the row is first deleted as superuser
-- (triggers and cascades off) and then inserted again by the role.
CREATE FUNCTION pg_temp.attempt(role name, tab regclass, op text, target text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	result text;
	saved jsonb;
BEGIN
	IF target IS NULL THEN
		RETURN '-';
	END IF;
	BEGIN
		IF op = 'insert' THEN
			EXECUTE format('SELECT to_jsonb(t) FROM %s t WHERE %s', tab, target) INTO saved;
			SET LOCAL session_replication_role = replica;
			EXECUTE format('DELETE FROM %s WHERE %s', tab, target);
			SET LOCAL session_replication_role = origin;
		END IF;
		EXECUTE format('SET LOCAL ROLE %I', role);
		CASE op
			WHEN 'select' THEN EXECUTE format('SELECT count(*) FROM %s WHERE %s', tab, target) INTO n;
			WHEN 'insert' THEN EXECUTE format('INSERT INTO %s SELECT * FROM jsonb_populate_record(NULL::%s, $1)', tab, tab) USING saved;
			WHEN 'update' THEN EXECUTE format('UPDATE %s SET %s = %2$s WHERE %s', tab,
				(SELECT quote_ident(a.attname) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
				  WHERE i.indrelid = tab AND i.indisprimary), target);
			WHEN 'delete' THEN EXECUTE format('DELETE FROM %s WHERE %s', tab, target);
		END CASE;
		IF op <> 'select' THEN
			GET DIAGNOSTICS n = ROW_COUNT;
		END IF;
		result := n::text;
		RAISE EXCEPTION USING ERRCODE = 'P0999';
	EXCEPTION
		WHEN SQLSTATE 'P0999' THEN NULL;
		WHEN OTHERS THEN result := SQLSTATE;
	END;
	RETURN result;
END;
$$;

CREATE TEMP TABLE targets AS
SELECT c.oid::regclass AS tab, pg_temp.target(c.oid, 'A', :cust_a, :cust_b) AS a, pg_temp.target(c.oid, 'B', :cust_a, :cust_b) AS b
  FROM pg_class c WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r';

-- The matrix: select/insert/update/delete of row A and row B.
SELECT replace(t.tab::text, 'crm.', '') AS "table", replace(r.role, 'regress_am_', '') AS role,
	   pg_temp.attempt(r.role, t.tab, 'select', t.a) || ' ' || pg_temp.attempt(r.role, t.tab, 'select', t.b) AS "select A B",
	   pg_temp.attempt(r.role, t.tab, 'insert', t.a) || ' ' || pg_temp.attempt(r.role, t.tab, 'insert', t.b) AS "insert A B",
	   pg_temp.attempt(r.role, t.tab, 'update', t.a) || ' ' || pg_temp.attempt(r.role, t.tab, 'update', t.b) AS "update A B",
	   pg_temp.attempt(r.role, t.tab, 'delete', t.a) || ' ' || pg_temp.attempt(r.role, t.tab, 'delete', t.b) AS "delete A B"
  FROM targets t,
	   unnest('{regress_am_reader,regress_am_rep1,regress_am_rep2,regress_am_manager,regress_am_admin}'::name[]) WITH ORDINALITY r(role, n)
 ORDER BY 1, r.n;

-- Every table with customer rows is under row security with all four policies.
SELECT c.relname AS table_without_full_row_security
  FROM pg_class c
 WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r'
   AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'customer_id')
   AND (NOT c.relrowsecurity OR (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) <> 4);

-- Every view, as each role: readable (ok) or refused (the SQLSTATE), by
-- the matrix's own attempt, on all rows.
CREATE FUNCTION pg_temp.view_read(role name, v regclass) RETURNS text
LANGUAGE sql AS $$ SELECT regexp_replace(pg_temp.attempt(role, v, 'select', 'true'), '^[0-9]+$', 'ok') $$;
SELECT replace(c.oid::regclass::text, 'crm.', '') AS view,
	   pg_temp.view_read('regress_am_reader', c.oid) AS reader, pg_temp.view_read('regress_am_rep1', c.oid) AS rep,
	   pg_temp.view_read('regress_am_manager', c.oid) AS manager, pg_temp.view_read('regress_am_admin', c.oid) AS admin
  FROM pg_class c WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'v'
 ORDER BY 1;

-- The functions PUBLIC may not run, and who may.
SELECT p.oid::regprocedure AS function,
	   has_function_privilege('regress_am_reader', p.oid, 'EXECUTE') AS reader,
	   has_function_privilege('regress_am_rep1', p.oid, 'EXECUTE') AS rep,
	   has_function_privilege('regress_am_manager', p.oid, 'EXECUTE') AS manager,
	   has_function_privilege('regress_am_admin', p.oid, 'EXECUTE') AS admin
  FROM pg_proc p
 WHERE p.pronamespace = 'crm'::regnamespace AND NOT has_function_privilege('public', p.oid, 'EXECUTE')
 ORDER BY p.oid::regprocedure::text;

-- Sequences: reps and above may draw ids, the reader may not.
SELECT c.relname AS sequence, has_sequence_privilege('regress_am_reader', c.oid, 'USAGE') AS reader,
	   has_sequence_privilege('regress_am_rep1', c.oid, 'USAGE') AS rep
  FROM pg_class c WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'S' ORDER BY 1;

-- The probe of issue 13, as the roles the README prescribes.
CREATE ROLE regress_am_cleared_rep LOGIN IN ROLE crm_rep, crm_clearance_3;
INSERT INTO crm.opportunities (customer_id, name, stage, owner, amount)
VALUES (:cust_b, 'Deal of rep1 at B', 'potential', 'regress_am_rep1', 700);
SELECT id AS opp_b FROM crm.opportunities WHERE customer_id = :cust_b AND owner = 'regress_am_rep2' \gset
SET ROLE regress_am_cleared_rep;
-- 1. a rep cleared to read every customer deletes and forges nothing of another rep's
SELECT count(*) AS costs_of_b_visible FROM crm.service_costs WHERE customer_id = :cust_b;
SELECT try(format('DELETE FROM crm.service_costs WHERE customer_id = %s', :cust_b)) AS delete_costs_of_b;
SELECT try(format('DELETE FROM crm.quotes WHERE opportunity_id = %s', :opp_b)) AS delete_quotes_of_b;
SELECT try(format('DELETE FROM crm.opportunity_history WHERE opportunity_id = %s', :opp_b)) AS delete_history_of_b;
SELECT try(format($$INSERT INTO crm.opportunity_owners (opportunity_id, owner, share) VALUES (%s, 'regress_am_cleared_rep', 100)$$, :opp_b)) AS forge_split;
SELECT try(format($$UPDATE crm.contracts SET amount = 1 WHERE customer_id = %s$$, :cust_b)) AS change_contract_of_b;
-- 2. the rules are the administrator's
SELECT try($$UPDATE crm.status_transitions SET allowed = '{open,archived}' WHERE object = 'opportunity' AND from_status = 'won'$$) AS rewrite_state_machine;
SELECT try($$DELETE FROM crm.quotas$$) AS delete_quotas;
SELECT try($$UPDATE crm.pipeline_stages SET conversion_rate = 1$$) AS edit_pipeline;
SELECT try($$UPDATE crm.row_security_state SET enabled = false$$) AS switch_off_row_security;
-- 4. grades are the extension's
SELECT try($$SELECT crm.refresh_grades('2025-12-31')$$) AS rep_refreshes_grades;
SELECT try($$UPDATE crm.customer_grades SET pareto_class = 'A'$$) AS rep_edits_grades;
RESET ROLE;
-- even a role a DBA granted everything cannot switch row security off
CREATE ROLE regress_am_granted_all LOGIN;
GRANT USAGE ON SCHEMA crm TO regress_am_granted_all;
GRANT ALL ON ALL TABLES IN SCHEMA crm TO regress_am_granted_all;
SET ROLE regress_am_granted_all;
SELECT try($$UPDATE crm.row_security_state SET enabled = false$$) AS switch_off_with_all_privileges;
SELECT try($$DELETE FROM crm.row_security_state$$) AS delete_state_with_all_privileges;
SELECT try($$INSERT INTO crm.opportunity_history (customer_id, opportunity_id, changed_at, new_stage, new_status) VALUES (1, 1, now(), 'bid', 'open')$$) AS forge_history_with_all_privileges;
RESET ROLE;
REVOKE ALL ON ALL TABLES IN SCHEMA crm FROM regress_am_granted_all;
REVOKE USAGE ON SCHEMA crm FROM regress_am_granted_all;
SELECT enabled FROM crm.row_security_state;

-- 3. a model shows only to its trainer and managers until it is shared
SET ROLE regress_am_manager;
SELECT name, trained_by, rows_used FROM crm.tree_train_model('leak',
	$$SELECT name, owner = 'regress_am_rep2' AS is_rep2 FROM crm.customers WHERE name LIKE 'Matrix _'$$, 'is_rep2', '{"min_samples_leaf": 1}');
SET ROLE regress_am_rep1;
SELECT count(*) AS leak_rules_seen_by_rep1 FROM crm.models m, crm.tree_rules(m.model) WHERE m.name = 'leak';
WITH u AS (UPDATE crm.models SET shared = true WHERE name = 'leak' RETURNING 1) SELECT count(*) AS leak_shared_by_rep1 FROM u;
WITH d AS (DELETE FROM crm.models WHERE name = 'leak' RETURNING 1) SELECT count(*) AS leak_deleted_by_rep1 FROM d;
SET ROLE regress_am_manager;
UPDATE crm.models SET shared = true WHERE name = 'leak';
SET ROLE regress_am_rep1;
SELECT name, trained_by, shared FROM crm.models WHERE name = 'leak';
SELECT try($$UPDATE crm.models SET shared = false WHERE name = 'leak'$$) AS rep1_changes_shared_leak;
SELECT try($$SELECT crm.tree_train_model('leak', 'pg_temp.matrix_training', 'label')$$) AS rep1_overwrites_leak;
RESET ROLE;

-- A rep edits its own deal at a customer it cannot see, but cannot move it.
SET ROLE regress_am_rep1;
SELECT count(*) AS customer_b_visible FROM crm.customers WHERE id = :cust_b;
UPDATE crm.opportunities SET amount = 750 WHERE name = 'Deal of rep1 at B' RETURNING name, amount;
SELECT try(format($$UPDATE crm.opportunities SET customer_id = %s WHERE name = 'Deal of rep1 at B'$$, :cust_a)) AS move_own_deal;
SELECT try(format($$UPDATE crm.opportunities SET owner = 'regress_am_rep2' WHERE name = 'Deal of rep1 at B'$$)) AS give_away_deal_at_b;
INSERT INTO crm.quotes (customer_id, opportunity_id, amount)
SELECT customer_id, id, 740 FROM crm.opportunities WHERE name = 'Deal of rep1 at B' RETURNING version, amount;
RESET ROLE;

-- Managers merge and move customers; reps may not.
SET ROLE regress_am_rep1;
SELECT try(format('SELECT crm.merge_customers(%s, %s)', :cust_a, :cust_b)) AS rep_merges;
SELECT try($$SELECT crm.transfer_owner('regress_am_rep2', 'regress_am_rep1')$$) AS rep_takes_customers;
SET ROLE regress_am_manager;
SELECT * FROM crm.refresh_grades('2025-12-31') WHERE customers >= 2;
SELECT table_name, rows_moved FROM crm.merge_customers(:cust_a, :cust_b) WHERE rows_moved > 0 ORDER BY 1;
RESET ROLE;
SELECT role, context, count(*) FROM crm.audit_log
 WHERE customer_id IN (:cust_a, :cust_b) AND context LIKE 'merge_customers%' GROUP BY 1, 2;

-- Clean up: the rows of this file go, row security goes off.
SELECT count(*) AS tables FROM crm.disable_row_security();
DELETE FROM crm.customers WHERE name LIKE 'Matrix _';
DELETE FROM crm.models WHERE name IN ('matrix_rep1', 'matrix_rep2', 'leak');
DELETE FROM crm.campaigns WHERE name = 'Matrix campaign';
DELETE FROM crm.quotas WHERE owner LIKE 'regress_am_%';
DELETE FROM crm.forecast_adjustments WHERE name LIKE 'regress_am_%';
DROP ROLE regress_am_reader, regress_am_rep1, regress_am_rep2, regress_am_manager, regress_am_admin,
	regress_am_cleared_rep, regress_am_granted_all;
