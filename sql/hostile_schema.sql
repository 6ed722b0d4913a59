-- A hostile schema: a role that may create objects in public plants
-- functions, operators and aggregates named like the built-ins crm uses
-- (each says "captured" when called), in public and in pg_temp, and puts
-- public first on the search path.  Neither CREATE EXTENSION crm nor any
-- function of the extension may call them: the expected output has no
-- "captured" notice.

\set regress_db :DBNAME
CREATE DATABASE regress_crm_hostile;
\c regress_crm_hostile
CREATE ROLE regress_crm_hostile;
GRANT CREATE ON SCHEMA public TO regress_crm_hostile;
SET ROLE regress_crm_hostile;
CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE plpgsql AS
	$$BEGIN RAISE NOTICE 'captured: lower'; RETURN pg_catalog.lower($1); END$$;
CREATE FUNCTION public.btrim(text) RETURNS text LANGUAGE plpgsql AS
	$$BEGIN RAISE NOTICE 'captured: btrim'; RETURN pg_catalog.btrim($1); END$$;
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE plpgsql AS
	$$BEGIN RAISE NOTICE 'captured: now'; RETURN pg_catalog.now(); END$$;
CREATE FUNCTION public.to_jsonb(anyelement) RETURNS jsonb LANGUAGE plpgsql AS
	$$BEGIN RAISE NOTICE 'captured: to_jsonb'; RETURN pg_catalog.to_jsonb($1); END$$;
CREATE FUNCTION public.current_setting(text, boolean) RETURNS text LANGUAGE plpgsql AS
	$$BEGIN RAISE NOTICE 'captured: current_setting'; RETURN pg_catalog.current_setting($1, $2); END$$;
CREATE FUNCTION public.set_config(text, text, boolean) RETURNS text LANGUAGE plpgsql AS
	$$BEGIN RAISE NOTICE 'captured: set_config'; RETURN pg_catalog.set_config($1, $2, $3); END$$;
CREATE AGGREGATE public.max(bigint) (SFUNC = int8larger, STYPE = bigint);
CREATE FUNCTION public.eq_captured(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS
	$$BEGIN RAISE NOTICE 'captured: ='; RETURN $1 OPERATOR(pg_catalog.=) $2; END$$;
CREATE OPERATOR public.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.eq_captured);
CREATE FUNCTION public.texteq_captured(text, text) RETURNS boolean LANGUAGE plpgsql AS
	$$BEGIN RAISE NOTICE 'captured: text ='; RETURN $1 OPERATOR(pg_catalog.=) $2; END$$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.texteq_captured);
CREATE FUNCTION public.concat_captured(text, text) RETURNS text LANGUAGE plpgsql AS
	$$BEGIN RAISE NOTICE 'captured: ||'; RETURN $1 OPERATOR(pg_catalog.||) $2; END$$;
CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = public.concat_captured);
CREATE FUNCTION public.sum_captured(double precision, double precision) RETURNS double precision LANGUAGE plpgsql AS
	$$BEGIN RAISE NOTICE 'captured: sum'; RETURN coalesce($1, 0) OPERATOR(pg_catalog.+) $2; END$$;
CREATE AGGREGATE public.sum(double precision) (SFUNC = public.sum_captured, STYPE = double precision);
CREATE FUNCTION public.div_captured(double precision, bigint) RETURNS double precision LANGUAGE plpgsql AS
	$$BEGIN RAISE NOTICE 'captured: /'; RETURN $1 OPERATOR(pg_catalog./) $2; END$$;
CREATE OPERATOR public./ (LEFTARG = double precision, RIGHTARG = bigint, FUNCTION = public.div_captured);
CREATE FUNCTION pg_temp.lower(text) RETURNS text LANGUAGE plpgsql AS
	$$BEGIN RAISE NOTICE 'captured: pg_temp.lower'; RETURN pg_catalog.lower($1); END$$;
-- a table named like one of the extension's, in public and pg_temp
CREATE TABLE public.customers (id bigint, name text);
CREATE TEMP TABLE audit_log (id bigint);
RESET ROLE;

-- the planted objects do capture an unqualified call with public first
SET search_path = public, pg_catalog;
SELECT lower('X') AS planted_lower_works;
SELECT 1::bigint = 1::bigint AS planted_eq_works;

-- CREATE EXTENSION with that search path
CREATE EXTENSION crm;
-- the extension's own schema is not writable for the hostile role
SET ROLE regress_crm_hostile;
CREATE FUNCTION crm.lower(text) RETURNS text LANGUAGE sql AS 'SELECT $1';
RESET ROLE;

-- the extension's functions and triggers, with that search path; the
-- statements of this test itself use only literals and qualified operators
SELECT sum(row_count) AS demo_rows FROM crm.generate_demo_data(200, 3);
INSERT INTO crm.customers (id, name, region, phone, email) VALUES (1001, 'Hostile Test Co., Ltd.', 'North', '+86 10 0000 0001', 'a@b.c');
INSERT INTO crm.customers (id, name, region, phone) VALUES (1002, 'HOSTILE TEST LIMITED', 'North', '+86 10 0000 0001');
UPDATE crm.customers SET region = 'South' WHERE id OPERATOR(pg_catalog.=) 1001;
UPDATE crm.customers SET region = 'South' WHERE id OPERATOR(pg_catalog.=) 1002;
SELECT crm.normalize_name('Hostile Test Co., Ltd.') AS normalized, crm.normalize_phone('+86 10 0000 0001') AS phone;
SELECT count(*) AS duplicates FROM crm.find_duplicates(0.95);
SELECT count(*) AS history FROM crm.customer_history(1001);
SELECT count(*) AS report_rows FROM crm.audit_report(pg_catalog.now() OPERATOR(pg_catalog.-) interval '1 hour', pg_catalog.now() OPERATOR(pg_catalog.+) interval '1 hour');
SELECT crm.tag_customers(ARRAY[1001, 1002]::bigint[], 'hostile') AS tagged;
SELECT * FROM crm.transfer_owner('rep_01', 'rep_99');
SELECT count(*) AS merged_tables FROM crm.merge_customers(1001, 1002);
SELECT crm.create_import_table('hostile_staging') AS staging;
INSERT INTO hostile_staging (name, kind) VALUES ('Hostile import', 'company'), ('Bad', 'robot');
SELECT line, error IS NULL AS ok FROM crm.import_customers('hostile_staging') ORDER BY line;
SELECT count(*) AS graded FROM crm.refresh_grades('2025-12-31');
SELECT count(*) AS rls_tables FROM crm.enable_row_security();
SELECT count(*) AS visible_customers FROM crm.customers;
SELECT count(*) AS rls_off FROM crm.disable_row_security();
SELECT count(*) AS funnel_rows FROM crm.funnel;
SELECT count(*) AS customers_360 FROM crm.customer_360;
SELECT count(*) AS segment_cells FROM crm.segment_matrix;
-- decision trees: training runs the caller's query with the caller's search
-- path (public first here), the extension's own parts never see public
SELECT (crm.tree_train_model('hostile', 'SELECT region, kind OPERATOR(pg_catalog.=) ''company'' AS company FROM crm.customers',
							 'company', '{"min_samples_split": 2, "min_samples_leaf": 1}')).rows_used AS trained_rows;
SELECT count(*) AS lift_rows
  FROM crm.lift_table('SELECT crm.tree_score(m.model, c), c.kind OPERATOR(pg_catalog.=) ''company'' FROM crm.customers c, crm.models m WHERE m.name OPERATOR(pg_catalog.=) ''hostile''', 5);
SELECT count(*) AS rules FROM crm.tree_rules((SELECT model FROM crm.models WHERE name OPERATOR(pg_catalog.=) 'hostile'));
SELECT crm.audit_purge(pg_catalog.now() OPERATOR(pg_catalog.-) interval '1 year') AS purged;
-- public.customers was never used in place of crm.customers
SELECT count(*) AS public_customers FROM public.customers;

RESET search_path;
\c :regress_db
DROP DATABASE regress_crm_hostile;
DROP ROLE regress_crm_hostile;
