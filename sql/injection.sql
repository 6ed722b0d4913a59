-- SQL injection: table, column, tag and owner names containing ", ; and --
-- reach SQL only as quoted identifiers, regclass or parameters.  Every call
-- either works on the odd name as a name or fails with a clear error; no
-- statement hidden in a name ever runs.

SELECT count(*) AS crm_tables_before FROM pg_class WHERE relnamespace = 'crm'::regnamespace AND relkind = 'r' \gset

-- A staging table whose name is an attack: it is created under exactly
-- that name, and imported from by that name.
SELECT crm.create_import_table('x"; DROP TABLE crm.customers; --') AS staging;
SELECT relname FROM pg_class WHERE relname LIKE 'x"%';
INSERT INTO pg_temp."x""; DROP TABLE crm.customers; --" (name) VALUES ('Injection Co.');
SELECT line, customer_id IS NOT NULL AS imported, error
  FROM crm.import_customers(format('pg_temp.%I', 'x"; DROP TABLE crm.customers; --')::regclass);
-- the same text as a table name that does not exist: a clear error
SELECT try($$SELECT * FROM crm.import_customers('x; DROP TABLE crm.customers; --')$$) AS text_as_regclass;
SELECT try($$SELECT * FROM crm.import_customers('customers"; DROP TABLE crm.orders; --')$$) AS quoted_attack;
SELECT try($$SELECT crm.create_import_table('a''); DROP TABLE crm.customers; --')$$) AS quote_in_name;
SELECT relname FROM pg_class WHERE relname LIKE 'a'');%';
SELECT try($$SELECT crm.create_import_table(repeat('x', 64))$$) AS name_too_long;

-- A staging table with attack column names: the columns are not crm
-- columns and are ignored; the name column is quoted.
CREATE TEMP TABLE evil (line bigint, name text, "name""; DROP TABLE crm.customers; --" text, "region) SELECT 1; --" text);
INSERT INTO evil VALUES (1, 'Injection Two', 'x', 'y');
SELECT line, customer_id IS NOT NULL AS imported, error FROM crm.import_customers('evil');
SELECT name, region FROM crm.customers WHERE name LIKE 'Injection %' ORDER BY name;

-- Values with quotes and comment markers are values.
SELECT crm.tag_customers(ARRAY(SELECT id FROM crm.customers WHERE name LIKE 'Injection %'), $$'); DROP TABLE crm.customers; --$$) AS tagged;
SELECT crm.tag_customers(ARRAY(SELECT id FROM crm.customers WHERE name LIKE 'Injection %'), 'a"b;c--d') AS tagged;
SELECT name, tags FROM crm.customers WHERE name LIKE 'Injection %' ORDER BY name;
UPDATE crm.customers SET owner = $$o'wner"; --$$ WHERE name LIKE 'Injection %';
SELECT * FROM crm.transfer_owner($$o'wner"; --$$, $$new'; DROP TABLE crm.customers; --$$);
SELECT DISTINCT owner FROM crm.customers WHERE name LIKE 'Injection %';
SELECT context FROM crm.audit_log WHERE context LIKE 'transfer_owner(''o''''wner%' LIMIT 1;
SELECT count(*) AS found FROM crm.find_duplicates(0.9) d JOIN crm.customers c ON c.id = d.customer_id WHERE c.name LIKE 'Injection %';
SELECT crm.normalize_name($$Robert'); DROP TABLE students; -- Ltd.$$) AS normalized;

-- Everything is still there.
SELECT count(*) = :crm_tables_before AS same_tables FROM pg_class WHERE relnamespace = 'crm'::regnamespace AND relkind = 'r';
SELECT to_regclass('crm.customers') IS NOT NULL AS customers_exists, to_regclass('crm.orders') IS NOT NULL AS orders_exists;

DELETE FROM crm.customers WHERE name LIKE 'Injection %';
DROP TABLE evil, pg_temp."x""; DROP TABLE crm.customers; --", pg_temp."a); DROP TABLE crm.customers; --";
