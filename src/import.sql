/*
 * import.sql: bulk import of customers, bulk tagging and bulk owner
 * transfer.
 *
 * Import in two steps, so that no server-side file access (superuser or
 * pg_read_server_files) is needed:
 *   SELECT crm.create_import_table('staging');           -- a TEMP table
 *   \copy staging (name, kind, region, phone, email) FROM 'file.csv' CSV HEADER
 *   SELECT * FROM crm.import_customers('staging') WHERE error IS NOT NULL;
 * import_customers checks and inserts each staging row in a subtransaction
 * of its own: a bad row (wrong enum label, bad e-mail, blank name, ...) is
 * reported with its line number and the exact error, the good rows are
 * inserted.  It is one statement: if it fails as a whole (or
 * all_or_nothing is true and any row is bad) nothing is imported.
 *
 * Names from the caller only ever reach SQL as regclass (quoted by its
 * output function), as %I identifiers checked against the catalog, or as
 * $n parameters.
 */

-- The customers columns an import may fill, in table order.
CREATE FUNCTION @extschema@.import_columns()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '{name,kind,industry,region,channel,phone,email,address,owner,confidentiality,satisfaction,credit_status,tags,attributes}'::text[];
COMMENT ON FUNCTION @extschema@.import_columns() IS
	'The columns of crm.customers that crm.import_customers fills from a staging table of the same column names';

CREATE FUNCTION @extschema@.create_import_table(table_name text)
RETURNS regclass
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cols text;
BEGIN
	IF btrim(table_name) = '' OR length(table_name) > 63 THEN
		RAISE EXCEPTION 'invalid staging table name "%"', table_name
			USING ERRCODE = 'invalid_name',
				  HINT = 'Pass a table name of 1 to 63 characters; it is created in pg_temp.';
	END IF;
	-- the name is taken as it is, one identifier; but a name that reads as
	-- a qualified one ('crm.customers', 'pg_temp."Staging"') would make a
	-- temp table literally named so, which no one means
	IF table_name ~ '^[[:space:]]*("[^"]*"|[[:alpha:]_][[:alnum:]_$]*)([[:space:]]*\.[[:space:]]*("[^"]*"|[[:alpha:]_][[:alnum:]_$]*))+[[:space:]]*$' THEN
		RAISE EXCEPTION 'staging table name "%" must not be schema-qualified', table_name
			USING ERRCODE = 'invalid_name',
				  HINT = 'The staging table is always a TEMP table (schema pg_temp): pass a plain name such as ''staging'', not schema.table.';
	END IF;
	SELECT string_agg(format('%I text', c), ', ' ORDER BY o) INTO cols
	  FROM unnest(@extschema@.import_columns()) WITH ORDINALITY AS u(c, o);
	EXECUTE format('CREATE TEMP TABLE %I (line bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, %s)', table_name, cols);
	RETURN format('pg_temp.%I', table_name)::regclass;
END;
$$;
COMMENT ON FUNCTION @extschema@.create_import_table(text) IS
	'Creates a TEMP staging table of that name for crm.import_customers: line (numbered in load order, 1 = first data line) and the importable columns as text; returns it. The name is one identifier taken as it is (case kept); a name that reads as schema-qualified (identifiers joined by dots, e.g. ''crm.customers'') is refused (42602)';

CREATE FUNCTION @extschema@.import_customers(staging regclass, all_or_nothing boolean DEFAULT false)
RETURNS TABLE (line bigint, customer_id bigint, error text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cols		text[];
	targets		text;
	exprs		text;
	ins			text;
	r			record;
	bad			bigint := 0;
	good		bigint := 0;
	msg			text;
	state		text;
BEGIN
	IF staging IS NULL THEN
		RAISE EXCEPTION 'staging table must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Create one with crm.create_import_table(''staging'') and fill it with \copy.';
	END IF;
	IF NOT EXISTS (SELECT FROM pg_attribute a
					WHERE a.attrelid = staging AND a.attname = 'line' AND NOT a.attisdropped) THEN
		RAISE EXCEPTION 'staging table % has no column "line"', staging
			USING ERRCODE = 'undefined_column',
				  HINT = 'The line number identifies bad rows in the report; crm.create_import_table makes a staging table with it.';
	END IF;
	SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO cols
	  FROM pg_attribute a
	 WHERE a.attrelid = staging AND a.attnum > 0 AND NOT a.attisdropped
	   AND a.attname::text = ANY (@extschema@.import_columns());
	IF cols IS NULL OR NOT 'name' = ANY (cols) THEN
		RAISE EXCEPTION 'staging table % has no column "name"', staging
			USING ERRCODE = 'undefined_column',
				  HINT = format('Columns imported (by name): %s.', array_to_string(@extschema@.import_columns(), ', '));
	END IF;
	-- the column list and the casts to the customers' column types
	-- (an empty field, NULL, takes the column's default)
	SELECT string_agg(format('%I', c), ', ' ORDER BY o),
		   string_agg(CASE WHEN d.adbin IS NULL
						   THEN format('CAST(s.%I AS %s)', c, format_type(a.atttypid, a.atttypmod))
						   ELSE format('coalesce(CAST(s.%I AS %s), %s)', c, format_type(a.atttypid, a.atttypmod),
									   pg_get_expr(d.adbin, d.adrelid)) END, ', ' ORDER BY o)
	  INTO targets, exprs
	  FROM unnest(cols) WITH ORDINALITY AS u(c, o)
	  JOIN pg_attribute a ON a.attrelid = '@extschema@.customers'::regclass AND a.attname = u.c
	  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum;
	ins := format('INSERT INTO @extschema@.customers (%s) SELECT %s FROM %s s WHERE s.line::bigint = $1 RETURNING id',
				  targets, exprs, staging);
	-- every row must be identified by its line: a NULL line would match no
	-- row (and the row be dropped unreported), a repeated one several (and
	-- the rows be inserted twice); the values compared are those the
	-- import uses, line::bigint ('1' and '01' are the same line)
	EXECUTE format('SELECT count(*) FILTER (WHERE s.line IS NULL) AS no_line,
						   (SELECT string_agg(d.l::text, '', '' ORDER BY d.l)
							  FROM (SELECT s2.line::bigint AS l FROM %s s2 WHERE s2.line IS NOT NULL
									 GROUP BY 1 HAVING count(*) > 1) d) AS repeated
					  FROM %s s', staging, staging)
	   INTO r;
	IF r.no_line > 0 OR r.repeated IS NOT NULL THEN
		RAISE EXCEPTION 'staging table % has % rows without a line number and repeated line numbers %; nothing was imported',
			staging, r.no_line, coalesce(r.repeated, '(none)')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Each row needs a line number of its own: load the rows into a table made by crm.create_import_table, whose line is an identity column.';
	END IF;
	PERFORM @extschema@.set_audit_context(format('import_customers(%s)', staging));
	FOR r IN EXECUTE format('SELECT s.line::bigint AS line FROM %s s ORDER BY s.line', staging) LOOP
		line := r.line;
		BEGIN
			-- STRICT: exactly one row per line, or the line is bad
			EXECUTE ins INTO STRICT customer_id USING r.line;
			error := NULL;
			good := good + 1;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
			customer_id := NULL;
			error := state || ': ' || msg;
			bad := bad + 1;
		END;
		RETURN NEXT;
	END LOOP;
	PERFORM @extschema@.set_audit_context('');
	IF all_or_nothing AND bad > 0 THEN
		RAISE EXCEPTION 'import from % failed: % of % rows are bad, nothing was imported', staging, bad, bad + good
			USING ERRCODE = 'data_exception',
				  HINT = 'Run with all_or_nothing => false to see each bad row with its line number and reason.';
	END IF;
	RAISE NOTICE 'import from %: % rows imported, % rows bad', staging, good, bad;
END;
$$;
COMMENT ON FUNCTION @extschema@.import_customers(regclass, boolean) IS
	'Imports the rows of a staging table (columns line and any of crm.import_columns(), as text) into crm.customers, each in its own subtransaction; an empty (NULL) field takes the column default; returns every line with the new customer_id or the error (SQLSTATE: message). With all_or_nothing, any bad row makes the whole import fail. A staging table with a NULL or repeated line (as bigint) is refused before anything is imported (22023)';

--------------------------------------------------------------------------
-- Bulk edits
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.tag_customers(ids bigint[], tag text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	IF tag IS NULL OR btrim(tag) = '' THEN
		RAISE EXCEPTION 'tag must not be NULL or blank'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Tags are free text such as ''industry:retail'' or ''vip''.';
	END IF;
	UPDATE @extschema@.customers c
	   SET tags = c.tags || tag
	 WHERE c.id = ANY (ids) AND NOT c.tags @> ARRAY[tag];
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END;
$$;
COMMENT ON FUNCTION @extschema@.tag_customers(bigint[], text) IS
	'Adds tag to every customer in ids that does not have it yet (one UPDATE); returns the number of customers tagged';

CREATE FUNCTION @extschema@.untag_customers(ids bigint[], tag text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	UPDATE @extschema@.customers c
	   SET tags = array_remove(c.tags, tag)
	 WHERE c.id = ANY (ids) AND c.tags @> ARRAY[tag];
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END;
$$;
COMMENT ON FUNCTION @extschema@.untag_customers(bigint[], text) IS
	'Removes tag from every customer in ids that has it (one UPDATE); returns the number of customers changed';

CREATE FUNCTION @extschema@.transfer_owner(from_owner text, to_owner text, customer_ids bigint[] DEFAULT NULL)
RETURNS TABLE (customers bigint, opportunities bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF from_owner IS NULL OR to_owner IS NULL OR btrim(to_owner) = '' THEN
		RAISE EXCEPTION 'from_owner and to_owner must be given'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Owners are role names, e.g. transfer_owner(''rep_01'', ''rep_02'').';
	END IF;
	IF from_owner = to_owner THEN
		RAISE EXCEPTION 'transfer_owner: from_owner and to_owner are the same, %', quote_literal(from_owner)
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Nothing would move: pass the rep who hands over and a different rep who takes over.';
	END IF;
	PERFORM @extschema@.set_audit_context(format('transfer_owner(%L, %L)', from_owner, to_owner));
	WITH moved AS (
		UPDATE @extschema@.customers c
		   SET owner = to_owner
		 WHERE c.owner = from_owner
		   AND (customer_ids IS NULL OR c.id = ANY (customer_ids))
		RETURNING c.id)
	SELECT count(*) INTO customers FROM moved;
	-- the open and suspended deals of those customers go with them
	UPDATE @extschema@.opportunities o
	   SET owner = to_owner
	 WHERE o.owner = from_owner
	   AND o.status IN ('open', 'suspended')
	   AND (customer_ids IS NULL OR o.customer_id = ANY (customer_ids));
	GET DIAGNOSTICS opportunities = ROW_COUNT;
	PERFORM @extschema@.set_audit_context('');
	RETURN NEXT;
END;
$$;
COMMENT ON FUNCTION @extschema@.transfer_owner(text, text, bigint[]) IS
	'Moves the customers of from_owner (all, or those in customer_ids) and their open and suspended opportunities to to_owner in two set-based UPDATEs; returns how many of each. from_owner = to_owner is refused (22023): nothing would move. Recorded in crm.audit_log (context transfer_owner) and crm.opportunity_history';
