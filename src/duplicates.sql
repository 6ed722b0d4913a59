/*
 * duplicates.sql: bulk duplicate detection and merging of customers (C in
 * duplicates.c).
 *
 * crm.find_duplicates never compares all pairs.  It computes three keys per
 * customer in one scan (normalized phone, lower-case e-mail, normalized
 * name) and
 *   - groups by each exact key: every member of a group is reported as a
 *     duplicate of the group's smallest id (score 1): same phone, same
 *     e-mail, or (companies only) same normalized name in the same region;
 *   - finds near-identical company names by the sorted-neighbourhood method:
 *     the distinct normalized names of a region are sorted, and each is
 *     compared (crm.name_similarity, Levenshtein) with the next 4, once in spelling order and
 *     once in the order of the reversed names (so a typo in the first letters
 *     is caught too): 8 comparisons per distinct name.
 * Sorting is O(n log n); the number of comparisons is linear.  Persons with
 * the same name are not reported on the name alone (people share names);
 * they are found by phone or e-mail.
 */

CREATE FUNCTION @extschema@.normalize_name(name text)
RETURNS text
AS 'MODULE_PATHNAME', 'crm_normalize_name'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normalize_name(text) IS
	'Duplicate-detection key of a company or person name: full-width to ASCII, lower case, punctuation to spaces, legal forms (Co., Ltd., Inc., LLC, GmbH, Group, 有限公司, 股份有限公司, 有限责任公司, 集团, ...) stripped from the end; see the README for the full list';

CREATE FUNCTION @extschema@.normalize_phone(phone text)
RETURNS text
AS 'MODULE_PATHNAME', 'crm_normalize_phone'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normalize_phone(text) IS
	'Duplicate-detection key of a phone number: its digits (full-width digits included, a leading 00 dropped); NULL when fewer than 6 digits remain';

CREATE FUNCTION @extschema@.name_similarity(a text, b text, normalize_first boolean DEFAULT true)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_name_similarity'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.name_similarity(text, text, boolean) IS
	'Levenshtein similarity 1 - edit distance / longer length, in [0, 1], of two names after crm.normalize_name (of the names as given when normalize_first is false), on characters; 1 = identical';

CREATE FUNCTION @extschema@.jaro_winkler(a text, b text)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_jaro_winkler_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.jaro_winkler(text, text) IS
	'Jaro-Winkler similarity in [0, 1] of two strings as given, on characters (prefix scale 0.1, up to 4 characters); not used by find_duplicates, which scores with name_similarity';

CREATE FUNCTION @extschema@.find_duplicates(threshold float8 DEFAULT 0.9)
RETURNS TABLE (customer_id bigint, duplicate_of bigint, score float8, reasons text[])
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ids		bigint[];
	kinds	@extschema@.customer_kind[];
	regions	text[];
	nnames	text[];
	nphones	text[];
	nemails	text[];
BEGIN
	IF threshold IS NULL OR threshold <= 0 OR threshold > 1 OR threshold = 'NaN'::float8 THEN
		RAISE EXCEPTION 'threshold must be in (0, 1], got %', coalesce(threshold::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Scores are similarities of normalized names (1 - edit distance / length); 0.9 finds typos, 1 only exact matches.';
	END IF;
	-- The keys of every customer, in one read of crm.customers (on Citus
	-- computed on the shards); every later step compares across customers
	-- and reads them several times, from memory here rather than from the
	-- table (on Citus each step would otherwise read them back through an
	-- intermediate result: 3.5x slower)
	SELECT array_agg(c.id), array_agg(c.kind), array_agg(coalesce(c.region, '')),
		   array_agg(@extschema@.normalize_name(c.name)), array_agg(@extschema@.normalize_phone(c.phone)),
		   array_agg(lower(btrim(c.email)))
	  INTO ids, kinds, regions, nnames, nphones, nemails
	  FROM @extschema@.customers c;
	RETURN QUERY
	WITH k AS MATERIALIZED (
		SELECT * FROM unnest(ids, kinds, regions, nnames, nphones, nemails) AS u(id, kind, region, nname, nphone, nemail)),
	names AS MATERIALIZED (
		SELECT k.region, k.nname, min(k.id) AS id
		  FROM k
		 WHERE k.kind = 'company' AND k.nname <> ''
		 GROUP BY k.region, k.nname),
	pairs AS (
		SELECT k.id, min(k.id) OVER (PARTITION BY k.nphone) AS dup, 1.0::float8 AS score, 'same phone' AS reason
		  FROM k WHERE k.nphone IS NOT NULL
		UNION ALL
		SELECT k.id, min(k.id) OVER (PARTITION BY k.nemail), 1.0, 'same email'
		  FROM k WHERE k.nemail IS NOT NULL AND k.nemail <> ''
		UNION ALL
		SELECT k.id, min(k.id) OVER (PARTITION BY k.region, k.nname), 1.0, 'same name in region'
		  FROM k WHERE k.kind = 'company' AND k.nname <> ''
		UNION ALL
		SELECT greatest(w.id, w.next_id), least(w.id, w.next_id),
			   @extschema@.name_similarity(w.nname, w.next_name, false), 'similar name in region'
		  FROM (SELECT n.id, n.nname, v.next_id, v.next_name
				  FROM (SELECT n.id, n.nname,
							   lead(n.id, 1) OVER w AS i1, lead(n.nname, 1) OVER w AS n1,
							   lead(n.id, 2) OVER w AS i2, lead(n.nname, 2) OVER w AS n2,
							   lead(n.id, 3) OVER w AS i3, lead(n.nname, 3) OVER w AS n3,
							   lead(n.id, 4) OVER w AS i4, lead(n.nname, 4) OVER w AS n4
						  FROM names n
						WINDOW w AS (PARTITION BY n.region ORDER BY n.nname COLLATE "C")) n
				 CROSS JOIN LATERAL (VALUES (n.i1, n.n1), (n.i2, n.n2), (n.i3, n.n3), (n.i4, n.n4)) v(next_id, next_name)
				UNION
				SELECT n.id, n.nname, v.next_id, v.next_name
				  FROM (SELECT n.id, n.nname,
							   lead(n.id, 1) OVER w AS i1, lead(n.nname, 1) OVER w AS n1,
							   lead(n.id, 2) OVER w AS i2, lead(n.nname, 2) OVER w AS n2,
							   lead(n.id, 3) OVER w AS i3, lead(n.nname, 3) OVER w AS n3,
							   lead(n.id, 4) OVER w AS i4, lead(n.nname, 4) OVER w AS n4
						  FROM names n
						WINDOW w AS (PARTITION BY n.region ORDER BY reverse(n.nname) COLLATE "C")) n
				 CROSS JOIN LATERAL (VALUES (n.i1, n.n1), (n.i2, n.n2), (n.i3, n.n3), (n.i4, n.n4)) v(next_id, next_name)
			   ) w
		 WHERE w.next_id IS NOT NULL)
	SELECT p.id, p.dup, max(p.score), array_agg(DISTINCT p.reason ORDER BY p.reason)
	  FROM pairs p
	 WHERE p.id <> p.dup AND p.score >= threshold
	 GROUP BY p.id, p.dup
	 ORDER BY p.dup, p.id;
END;
$$;
COMMENT ON FUNCTION @extschema@.find_duplicates(float8) IS
	'Likely duplicate customers: each row says customer_id is probably the same as duplicate_of (the smaller id), with a score in [threshold, 1] and the reasons (same phone, same email, same name in region, similar name in region). Blocking keys and sorted neighbourhood: no all-pairs comparison. Memory: the normalized keys of every customer (about 100 bytes a customer: 100 MB at 1,000,000)';

-- SECURITY DEFINER: it copies history, grade history and contract versions,
-- which only the extension writes; EXECUTE is granted to crm_manager only
-- (roles.sql), whose members see and edit every customer anyway.
CREATE FUNCTION @extschema@.merge_customers(keep bigint, drop bigint)
RETURNS TABLE (table_name text, rows_moved bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k		@extschema@.customers;
	d		@extschema@.customers;
	n		bigint;
	tab		text;
	cols	text;
	vals	text;
	tables	text[] := '{contacts,orders,service_costs,campaign_members,opportunities,opportunity_owners,opportunity_history,quotes,opportunity_approvals,contracts,contract_versions,contract_history,grade_history}';
BEGIN
	IF keep IS NULL OR drop IS NULL THEN
		RAISE EXCEPTION 'keep and drop must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the id of the customer to keep and of its duplicate to merge into it.';
	END IF;
	IF keep = drop THEN
		RAISE EXCEPTION 'cannot merge customer % into itself', keep
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'keep and drop must be two different customers.';
	END IF;
	-- lock both, the lower id first so that two merges cannot deadlock (one
	-- customer per statement: a single shard under Citus)
	PERFORM FROM @extschema@.customers c WHERE c.id = least(keep, drop) FOR UPDATE;
	PERFORM FROM @extschema@.customers c WHERE c.id = greatest(keep, drop) FOR UPDATE;
	SELECT * INTO k FROM @extschema@.customers c WHERE c.id = keep;
	SELECT * INTO d FROM @extschema@.customers c WHERE c.id = drop;
	IF k.id IS NULL OR d.id IS NULL THEN
		RAISE EXCEPTION 'customer % does not exist', CASE WHEN k.id IS NULL THEN keep ELSE drop END
			USING ERRCODE = 'no_data_found',
				  HINT = 'Both customers must exist: find them with crm.find_duplicates().';
	END IF;
	PERFORM @extschema@.set_audit_context(format('merge_customers(keep => %s, drop => %s)', keep, drop));

	-- Every table of per-customer rows but the customer's own grades and
	-- audit trail, parents before children: the rows are copied to keep with
	-- their ids (customer_id is part of every key, and under Citus it cannot
	-- change in place: it says which shard holds the row), and deleting drop
	-- below removes the originals through the foreign keys' ON DELETE CASCADE.
	IF EXISTS (SELECT FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
				WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r'
				  AND a.attname = 'customer_id' AND NOT a.attisdropped
				  AND c.relname <> ALL (tables || '{customer_grades,audit_log}'::text[])) THEN
		RAISE EXCEPTION 'merge_customers does not know every table of customer rows'
			USING ERRCODE = 'internal_error',
				  HINT = 'Add the new table to the list in merge_customers (duplicates.sql).';
	END IF;
	FOREACH tab IN ARRAY tables LOOP
		SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
			   string_agg(CASE WHEN a.attname = 'customer_id' THEN '$1' ELSE 'r.' || quote_ident(a.attname) END, ', ' ORDER BY a.attnum)
		  INTO cols, vals
		  FROM pg_attribute a
		 WHERE a.attrelid = format('@extschema@.%I', tab)::regclass AND a.attnum > 0 AND NOT a.attisdropped;
		EXECUTE format('INSERT INTO @extschema@.%I AS t (%s) SELECT %s FROM @extschema@.%I r WHERE r.customer_id = $2%s',
					   tab, cols, vals, tab,
					   CASE WHEN tab = 'campaign_members' THEN ' ON CONFLICT (campaign_id, customer_id) DO NOTHING' ELSE '' END)
			USING keep, drop;
		GET DIAGNOSTICS n = ROW_COUNT;
		table_name := tab;
		rows_moved := n;
		RETURN NEXT;
	END LOOP;

	-- The kept customer gets the union of tags, the dropped one's attributes
	-- where it has none of its own, and its contact data where missing; its
	-- attribute merged_from lists the ids merged into it (so its own audit
	-- history shows the merge).
	UPDATE @extschema@.customers c
	   SET tags = ARRAY(SELECT DISTINCT t FROM unnest(k.tags || d.tags) t ORDER BY t),
		   attributes = d.attributes || k.attributes
						|| jsonb_build_object('merged_from', coalesce(k.attributes -> 'merged_from', '[]') || to_jsonb(drop)),
		   industry = coalesce(k.industry, d.industry),
		   region = coalesce(k.region, d.region),
		   channel = coalesce(k.channel, d.channel),
		   phone = coalesce(k.phone, d.phone),
		   email = coalesce(k.email, d.email),
		   address = coalesce(k.address, d.address),
		   owner = coalesce(k.owner, d.owner),
		   confidentiality = greatest(k.confidentiality, d.confidentiality),
		   created_at = least(k.created_at, d.created_at)
	 WHERE c.id = keep;
	-- its grade is out of date: crm.refresh_grades computes it again
	DELETE FROM @extschema@.customer_grades g WHERE g.customer_id = keep;
	DELETE FROM @extschema@.customers c WHERE c.id = drop;
	PERFORM @extschema@.set_audit_context('');
	table_name := 'customers';
	rows_moved := 1;
	RETURN NEXT;
END;
$$;
COMMENT ON FUNCTION @extschema@.merge_customers(bigint, bigint) IS
	'Merges customer drop into keep: moves every dependent row (contacts, orders, costs, campaign memberships, opportunities, contracts, grade history, ...), fills keep''s missing fields from drop, appends drop to keep''s attributes.merged_from, deletes drop; returns the rows moved per table. The audit log records each change with context merge_customers(keep => .., drop => ..)';
