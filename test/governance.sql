/*
 * test/governance.sql: pgTAP checks of data governance (issue 7): the audit
 * trail, access levels, duplicate detection, import and the hardening
 * rules the catalog must keep (pinned search_path, pre-parsed SQL bodies,
 * SECURITY DEFINER only where needed, privileges).
 *
 * Run with: pg_prove -d DBNAME test/governance.sql, in a database where
 * CREATE EXTENSION pgtap and CREATE EXTENSION crm have been run.  Everything
 * runs in one transaction that is rolled back.
 */
BEGIN;

SELECT plan(52);

--------------------------------------------------------------------------
-- Hardening rules of the catalog
--------------------------------------------------------------------------

SELECT is_empty(
	$$SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
	   WHERE p.pronamespace = 'crm'::regnamespace AND l.lanname = 'plpgsql'
		 AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
		 AND p.oid NOT IN ('crm.lift_table(text,integer)'::regprocedure, 'crm.gain_curve(text,integer)'::regprocedure,
						   'crm.tree_train_model(text,text,text,jsonb)'::regprocedure)$$,
	'every PL/pgSQL function of crm runs with SET search_path = pg_catalog, pg_temp, but the three that run the caller''s own query (its names resolve as the caller''s; their own references are schema-qualified)'
);
SELECT is_empty(
	$$SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
	   WHERE p.pronamespace = 'crm'::regnamespace AND l.lanname = 'sql' AND p.prosqlbody IS NULL
		 AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)$$,
	'every SQL function of crm has a pre-parsed body (BEGIN ATOMIC or RETURN) or a pinned search_path'
);
SELECT results_eq(
	$$SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p
	   WHERE p.pronamespace = 'crm'::regnamespace AND p.prosecdef ORDER BY 1$$,
	$$VALUES ('crm.audit_changes()'), ('crm.contracts_before()'), ('crm.contracts_history()'),
			 ('crm.merge_customers(bigint,bigint)'), ('crm.opportunities_history()'), ('crm.refresh_grades(date)'),
			 ('crm.use_approval(bigint,bigint,text)')$$,
	'SECURITY DEFINER: only the functions that write history, grades, audit rows and the use of an approval, which no role of the model may write'
);
SELECT is_empty(
	$$SELECT c.relname::text FROM pg_catalog.pg_class c
	   WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'v'
		 AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)$$,
	'every view of crm is security_invoker (applies the querying role''s row security)'
);
SELECT ok(NOT has_function_privilege('public', 'crm.enable_row_security()', 'EXECUTE'),
	'PUBLIC cannot execute enable_row_security');
SELECT ok(NOT has_function_privilege('public', 'crm.disable_row_security()', 'EXECUTE'),
	'PUBLIC cannot execute disable_row_security');
SELECT ok(NOT has_function_privilege('public', 'crm.audit_purge(timestamptz)', 'EXECUTE'),
	'PUBLIC cannot execute audit_purge');
SELECT is_empty(
	$$SELECT a.privilege_type FROM information_schema.role_table_grants a
	   WHERE a.table_schema = 'crm' AND a.table_name = 'audit_log' AND a.grantee = 'PUBLIC'$$,
	'PUBLIC has no privilege on crm.audit_log'
);
SELECT is((SELECT 'crm.audit_log'::regclass = ANY (e.extconfig) FROM pg_catalog.pg_extension e WHERE e.extname = 'crm'),
	true, 'crm.audit_log is dumped by pg_dump');
SELECT is((SELECT count(*) FROM pg_catalog.pg_class WHERE relnamespace = 'crm'::regnamespace AND relrowsecurity),
	0::bigint, 'row-level security is off after CREATE EXTENSION (opt-in)');

--------------------------------------------------------------------------
-- Name normalization and similarity
--------------------------------------------------------------------------

SELECT is(crm.normalize_name('Acme Trading Co., Ltd.'), 'acme trading', 'English legal forms are stripped');
SELECT is(crm.normalize_name('ＡＣＭＥ　ＴＲＡＤＩＮＧ　ＬＴＤ．'), 'acme trading', 'full width and ideographic space are folded');
SELECT is(crm.normalize_name('上海华信贸易股份有限公司'), '上海华信贸易', '股份有限公司 is stripped');
SELECT is(crm.normalize_name('上海华信贸易集团有限公司'), '上海华信贸易', '集团有限公司 is stripped');
SELECT is(crm.normalize_name('Müller GmbH & Co. KG'), 'müller', 'German legal forms and Latin-1 case');
SELECT is(crm.normalize_name('有限公司'), '有限公司', 'a name that is only a legal form stays');
SELECT is(crm.normalize_name(''), '', 'empty name');
SELECT is(crm.normalize_phone('+86 (10) 1234-5678'), crm.normalize_phone('0086 10 12345678'), '+ and 00 prefixes give the same phone key');
SELECT is(crm.normalize_phone('123'), NULL, 'a phone with fewer than 6 digits has no key');
SELECT is(round(crm.jaro_winkler('MARTHA', 'MARHTA')::numeric, 4), 0.9611, 'Jaro-Winkler of MARTHA / MARHTA is 0.9611');
SELECT is(round(crm.jaro_winkler('DWAYNE', 'DUANE')::numeric, 4), 0.8400, 'Jaro-Winkler of DWAYNE / DUANE is 0.84');
SELECT is(crm.name_similarity('kitten', 'sitting', false), 1 - 3 / 7.0::float8, 'Levenshtein similarity of kitten / sitting is 1 - 3/7');
SELECT is(crm.name_similarity('南京新世纪贸易', '北京新世纪贸易'), 1 - 1 / 7.0::float8, 'similarity counts characters, not bytes');
SELECT is(crm.name_similarity('Acme Ltd', 'ACME LIMITED'), 1::float8, 'equal after normalization: similarity 1');
SELECT is(crm.name_similarity('abc', 'xyz', false), 0::float8, 'nothing in common: similarity 0');

--------------------------------------------------------------------------
-- Duplicates
--------------------------------------------------------------------------

INSERT INTO crm.customers (id, name, region, phone, email) VALUES
	(900001, 'Tap Lakeside Foods Co., Ltd.', 'East', '+86 21 5555 0001', 'tap1@example.com'),
	(900002, 'TAP LAKESIDE FOODS LIMITED', 'East', NULL, NULL),
	(900003, 'Tap Lakside Foods', 'East', NULL, NULL),
	(900004, 'Tap Other', 'West', '0086 21 5555 0001', NULL),
	(900005, 'Tap Lakeside Foods', 'West', NULL, 'TAP1@example.com');
SELECT set_eq(
	$$SELECT customer_id, duplicate_of, reasons FROM crm.find_duplicates(0.9) WHERE customer_id >= 900000$$,
	$$VALUES (900002::bigint, 900001::bigint, '{"same name in region"}'::text[]),
			 (900003, 900001, '{"similar name in region"}'),
			 (900004, 900001, '{"same phone"}'),
			 (900005, 900001, '{"same email"}')$$,
	'find_duplicates: same name in region, similar name (to the first of a same-name group), phone and e-mail; another region is not a name duplicate'
);
SELECT ok((SELECT bool_and(score BETWEEN 0.9 AND 1) FROM crm.find_duplicates(0.9) WHERE customer_id >= 900000),
	'scores lie between the threshold and 1');
SELECT throws_ok($$SELECT * FROM crm.find_duplicates(2)$$, '22023', NULL, 'a threshold above 1 is refused');
SELECT results_eq(
	$$SELECT count(*) FROM crm.merge_customers(900001, 900002) WHERE table_name = 'customers'$$,
	$$VALUES (1::bigint)$$, 'merge_customers reports the merged customer');
SELECT is((SELECT count(*) FROM crm.customers WHERE id = 900002), 0::bigint, 'the dropped customer is gone');

--------------------------------------------------------------------------
-- Audit trail
--------------------------------------------------------------------------

SELECT is((SELECT count(*) FROM crm.audit_log WHERE row_key = 900002 AND operation = 'DELETE'
			 AND context = 'merge_customers(keep => 900001, drop => 900002)'), 1::bigint,
	'the merge is recorded in the audit log with its context');
UPDATE crm.customers SET satisfaction = 7.5, industry = 'food' WHERE id = 900001;
SELECT is((SELECT changed FROM crm.audit_log WHERE row_key = 900001 AND operation = 'UPDATE' ORDER BY id DESC LIMIT 1),
	'{"industry": [null, "food"], "satisfaction": [null, 7.5]}'::jsonb,
	'an UPDATE records exactly the changed columns with old and new values');
SELECT is((SELECT role FROM crm.audit_log WHERE row_key = 900001 ORDER BY id DESC LIMIT 1), current_user::text,
	'the audit row names the role');
SELECT is((SELECT txid FROM crm.audit_log WHERE row_key = 900001 ORDER BY id DESC LIMIT 1), txid_current(),
	'the audit row is written in the same transaction');
SAVEPOINT before_rollback;
UPDATE crm.customers SET satisfaction = 1 WHERE id = 900001;
ROLLBACK TO SAVEPOINT before_rollback;
SELECT is((SELECT count(*) FROM crm.audit_log WHERE row_key = 900001 AND changed -> 'satisfaction' ->> 1 = '1.0'),
	0::bigint, 'a rolled-back change leaves no audit row');
SELECT throws_ok($$UPDATE crm.audit_log SET role = 'x'$$, '42501', NULL, 'audit rows cannot be updated, even by the owner');
SELECT throws_ok($$DELETE FROM crm.audit_log$$, '42501', NULL, 'audit rows cannot be deleted, even by the owner');
SELECT throws_ok($$TRUNCATE crm.audit_log$$, '42501', NULL, 'the audit log cannot be truncated');
SELECT is((SELECT count(*) FROM crm.customer_history(900001) WHERE operation = 'INSERT'), 1::bigint,
	'customer_history has the customer''s INSERT');
SELECT ok((SELECT sum(changes) FROM crm.audit_report(now(), now() + interval '1 second', current_user)) >= 3,
	'audit_report counts this transaction''s changes for the role');

--------------------------------------------------------------------------
-- Row-level security
--------------------------------------------------------------------------

CREATE ROLE tap_crm_rep;
CREATE ROLE tap_crm_other;
GRANT USAGE ON SCHEMA crm TO tap_crm_rep;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA crm TO tap_crm_rep;
UPDATE crm.customers SET owner = 'tap_crm_rep' WHERE id = 900001;
UPDATE crm.customers SET owner = 'tap_crm_other' WHERE id IN (900003, 900004, 900005);
SELECT is((SELECT count(*) FROM crm.enable_row_security()), 18::bigint, 'enable_row_security protects 18 tables');
SELECT policies_are('crm', 'customers', ARRAY['crm_read', 'crm_insert', 'crm_update', 'crm_delete'],
	'customers has the four policies');
SET LOCAL ROLE tap_crm_rep;
SELECT results_eq($$SELECT id FROM crm.customers WHERE id >= 900000 ORDER BY id$$, $$VALUES (900001::bigint)$$,
	'a rep sees only its own customer');
SELECT is((SELECT count(*) FROM crm.find_duplicates(0.5) WHERE customer_id >= 900000), 0::bigint,
	'find_duplicates shows a rep no pairs with customers it cannot see');
SELECT throws_ok($$INSERT INTO crm.customers (name, owner) VALUES ('Tap stolen', 'tap_crm_other')$$, '42501', NULL,
	'a rep cannot create a customer for another rep');
SELECT is((SELECT count(*) FROM crm.customer_history(900003)), 0::bigint,
	'customer_history of an invisible customer is empty');
RESET ROLE;
SELECT is((SELECT enabled FROM crm.row_security_state), true, 'row_security_state records that row security is on');
SELECT is((SELECT count(*) FROM crm.disable_row_security()), 18::bigint, 'disable_row_security unprotects them');
SELECT is((SELECT enabled FROM crm.row_security_state), false, 'row_security_state records that row security is off');
-- a restored state row (pg_restore) switches row security on again
DELETE FROM crm.row_security_state;
INSERT INTO crm.row_security_state (enabled) VALUES (true);
SELECT is((SELECT count(*) FROM pg_catalog.pg_class WHERE relnamespace = 'crm'::regnamespace AND relrowsecurity),
	18::bigint, 'inserting the state row with enabled = true (as pg_restore does) enables row security');
SELECT is((SELECT count(*) FROM crm.disable_row_security()), 18::bigint, 'and it can be disabled again');
SELECT is((SELECT count(*) FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
			WHERE c.relnamespace = 'crm'::regnamespace), 0::bigint, 'no policy is left');

SELECT * FROM finish();
ROLLBACK;
