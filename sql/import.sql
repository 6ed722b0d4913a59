-- Bulk import through a staging table, with a report of the bad rows by
-- line number and reason; bulk tagging and bulk owner transfer.

SELECT crm.create_import_table('staging');
\copy staging (name, kind, region, phone, email, owner, confidentiality, satisfaction, credit_status, tags) FROM 'test/data/import_customers.csv' CSV HEADER
SELECT line, name, kind FROM staging ORDER BY line;

-- every line with its new customer or the reason it was refused
SELECT line, customer_id IS NOT NULL AS imported, error FROM crm.import_customers('staging') ORDER BY line;
SELECT name, kind, region, owner, confidentiality, satisfaction, credit_status, tags
  FROM crm.customers WHERE name LIKE 'Import %' ORDER BY name;
SELECT count(*) AS audit_rows, min(context) AS context FROM crm.audit_log WHERE context LIKE 'import_customers%';

-- all_or_nothing: one bad row and nothing is imported
DELETE FROM crm.customers WHERE name LIKE 'Import %';
SELECT try($$SELECT * FROM crm.import_customers('staging', all_or_nothing => true)$$) AS all_or_nothing;
SELECT count(*) AS imported FROM crm.customers WHERE name LIKE 'Import %';
-- an import that fails as a whole leaves nothing behind either
SELECT try($$SELECT * FROM crm.import_customers('staging') WHERE 1 / (line - line) = 0$$) AS failing_import;
SELECT count(*) AS imported FROM crm.customers WHERE name LIKE 'Import %';

-- staging tables that cannot be imported
SELECT try($$SELECT * FROM crm.import_customers('no_such_table')$$) AS missing_table;
CREATE TEMP TABLE no_line (name text);
SELECT try($$SELECT * FROM crm.import_customers('no_line')$$) AS no_line_column;
CREATE TEMP TABLE no_name (line bigint, region text);
SELECT try($$SELECT * FROM crm.import_customers('no_name')$$) AS no_name_column;
SELECT try($$SELECT * FROM crm.import_customers(NULL)$$) AS null_table;
SELECT try($$SELECT crm.create_import_table('')$$) AS blank_name;
SELECT try($$SELECT crm.create_import_table('staging')$$) AS exists_already;
-- a staging table of one's own, with only some columns and other types
CREATE TEMP TABLE mine (line int, name text, confidentiality int, tags text[], extra text);
INSERT INTO mine VALUES (1, 'Import Own', 3, '{own}', 'ignored'), (2, 'Import Own 2', 4, NULL, NULL);
SELECT line, customer_id IS NOT NULL AS imported, error FROM crm.import_customers('mine') ORDER BY line;

-- Bulk tagging and owner transfer, set-based.
SELECT count(*) FILTER (WHERE error IS NULL) AS reimported FROM crm.import_customers('staging');
SELECT crm.tag_customers(ARRAY(SELECT id FROM crm.customers WHERE name LIKE 'Import %'), 'campaign:2026') AS tagged;
SELECT crm.tag_customers(ARRAY(SELECT id FROM crm.customers WHERE name LIKE 'Import %'), 'campaign:2026') AS tagged_again;
SELECT crm.untag_customers(ARRAY(SELECT id FROM crm.customers WHERE name LIKE 'Import %'), 'import') AS untagged;
SELECT name, tags FROM crm.customers WHERE name LIKE 'Import %' ORDER BY name;
SELECT try($$SELECT crm.tag_customers('{1}', ' ')$$) AS blank_tag;
INSERT INTO crm.opportunities (customer_id, name, stage, owner)
SELECT id, 'Import deal ' || name, 'potential', owner FROM crm.customers WHERE name LIKE 'Import %' AND owner IS NOT NULL;
UPDATE crm.opportunities SET status = 'suspended' WHERE name = 'Import deal Import Beta GmbH';
SELECT * FROM crm.transfer_owner('rep_01', 'rep_09');
SELECT * FROM crm.transfer_owner('rep_02', 'rep_09', ARRAY(SELECT id FROM crm.customers WHERE name = 'Import Beta GmbH'));
SELECT * FROM crm.transfer_owner('rep_03', 'rep_09', '{}');
SELECT try($$SELECT * FROM crm.transfer_owner('rep_03', NULL)$$) AS null_owner;
SELECT name, owner FROM crm.customers WHERE name LIKE 'Import %' AND owner IS NOT NULL ORDER BY name;
SELECT name, owner, status FROM crm.opportunities WHERE name LIKE 'Import deal %' ORDER BY name;
SELECT old_owner, new_owner FROM crm.opportunity_history h JOIN crm.opportunities o ON o.id = h.opportunity_id
 WHERE o.name LIKE 'Import deal %' AND h.old_owner <> h.new_owner ORDER BY 1;
SELECT table_name, operation, changed -> 'owner' AS owner, context FROM crm.audit_log
 WHERE context LIKE 'transfer_owner%' ORDER BY id;

DELETE FROM crm.customers WHERE name LIKE 'Import %';
DROP TABLE staging, no_line, no_name, mine;
