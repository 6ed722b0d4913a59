/*
 * distribute.sql: crm on a Citus cluster.
 *
 * crm.distribute(), called once on the coordinator of a Citus cluster where
 * Citus and crm are installed on every node (CREATE EXTENSION crm on the
 * coordinator after the workers were added creates it on them too), makes
 *   - the shared, small tables reference tables, copied to every node:
 *     status_transitions, pipeline_stages, campaigns, quotas, models,
 *     row_security_state, assessment_questions, assessments,
 *     forecast_adjustments;
 *   - every table of per-customer rows a distributed table: customers by id,
 *     all the others by customer_id, co-located with it.  One customer's
 *     rows (orders, opportunities and their history, contracts, grades,
 *     audit rows, ...) live in one shard group on one node, so the triggers
 *     that write history and audit rows write next to the row that changed,
 *     and per-customer work is pushed down whole.
 * It runs in one transaction: a failure leaves every table as it was.
 *
 * What Citus needs, and this does:
 *   - tables with triggers are distributed under
 *     citus.enable_unsafe_triggers; the triggers then fire on the shards.
 *     They are disabled while the existing rows are copied into the shards,
 *     so that the copy writes no audit rows, resets no builtin flag and runs
 *     no check that reads another table;
 *   - citus.enable_local_reference_table_foreign_keys is off while the
 *     tables change kind: Citus would otherwise rebuild the tables that
 *     refer to a new reference table (it cannot: they belong to the
 *     extension); all foreign keys hold again once every table is
 *     distributed;
 *   - one connection per node (multi_shard_modify_mode sequential), as
 *     foreign keys to reference tables require inside one transaction;
 *   - ids: the coordinator takes them from its sequences; rows inserted on a
 *     worker (history and audit rows written by the triggers on the shards)
 *     take them from the worker's sequences, which crm.separate_sequences()
 *     moves to a range of their own: node group g counts from g * 2^48.
 *
 * crm.undistribute() goes back: every row is copied to the coordinator, the
 * shards and Citus' metadata of the tables are dropped, and the rows go
 * back into the coordinator's own tables, which are plain tables again.
 * Citus' undistribute_table() cannot do it: it rebuilds a table under a new
 * name, and a table that belongs to an extension cannot be rebuilt.  The
 * steps Citus itself takes when a distributed table is dropped (its
 * sql_drop trigger) do work on a table that stays, and the table keeps its
 * keys, foreign keys, triggers, sequences and grants.
 *
 * DROP EXTENSION crm on a distributed crm would leave the shards on every
 * node (Citus does not drop the shards of a table that belongs to an
 * extension), so an event trigger refuses it with a hint to run
 * crm.undistribute() first (crm_drop_guard in distribute.c).
 */

-- SET LOCAL setting = value, sent on to the workers under Citus: Citus
-- propagates a SET LOCAL (with citus.propagate_set_commands = local) only
-- from a transaction block or a function called from a query, which a call
-- of this function is.  For crm's own settings and the time zone.
CREATE FUNCTION @extschema@.set_local(setting text, value text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF setting IS NULL OR NOT (lower(setting) ~ '^crm\.[a-z_]+$' OR lower(setting) = 'timezone') THEN
		RAISE EXCEPTION 'crm.set_local() sets crm.* settings and TimeZone, not %', coalesce(setting, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use SET LOCAL for other settings.';
	END IF;
	IF EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
		PERFORM set_config('citus.propagate_set_commands', 'local', true);
	END IF;
	EXECUTE format('SET LOCAL %s = %L', lower(setting), value);
END;
$$;
COMMENT ON FUNCTION @extschema@.set_local(text, text) IS
	'SET LOCAL of a crm.* setting or TimeZone for the rest of the transaction, sent on to the Citus workers too (citus.propagate_set_commands = local); errors on any other setting (22023)';

-- The tables and how they are distributed, in the order crm.distribute()
-- takes them: reference tables first, then customers, then the tables
-- co-located with it, parents before children.
CREATE FUNCTION @extschema@.distribution()
RETURNS TABLE (table_name text, kind text, distribution_column text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT t.table_name, t.kind, t.distribution_column
	  FROM (VALUES
		(1, 'status_transitions', 'reference', NULL),
		(2, 'pipeline_stages', 'reference', NULL),
		(3, 'campaigns', 'reference', NULL),
		(4, 'quotas', 'reference', NULL),
		(5, 'models', 'reference', NULL),
		(6, 'row_security_state', 'reference', NULL),
		(7, 'assessment_questions', 'reference', NULL),
		(8, 'assessments', 'reference', NULL),
		(9, 'forecast_adjustments', 'reference', NULL),
		(10, 'customers', 'distributed', 'id'),
		(11, 'contacts', 'distributed', 'customer_id'),
		(12, 'orders', 'distributed', 'customer_id'),
		(13, 'service_costs', 'distributed', 'customer_id'),
		(14, 'campaign_members', 'distributed', 'customer_id'),
		(15, 'opportunities', 'distributed', 'customer_id'),
		(16, 'opportunity_owners', 'distributed', 'customer_id'),
		(17, 'opportunity_history', 'distributed', 'customer_id'),
		(18, 'quotes', 'distributed', 'customer_id'),
		(19, 'opportunity_approvals', 'distributed', 'customer_id'),
		(20, 'contracts', 'distributed', 'customer_id'),
		(21, 'contract_versions', 'distributed', 'customer_id'),
		(22, 'contract_history', 'distributed', 'customer_id'),
		(23, 'customer_grades', 'distributed', 'customer_id'),
		(24, 'grade_history', 'distributed', 'customer_id'),
		(25, 'audit_log', 'distributed', 'customer_id'))
		AS t(n, table_name, kind, distribution_column)
	 ORDER BY t.n;
END;
COMMENT ON FUNCTION @extschema@.distribution() IS
	'How crm.distribute() lays out the tables on Citus, in its order: reference tables (a copy on every node), then customers distributed by id and every table of per-customer rows distributed by customer_id, co-located with customers';

-- Put this node's sequences of crm in a range of their own (node group g:
-- from g * 2^48), so that rows inserted on different nodes never share an
-- id.  A no-op on the coordinator (group 0).  Run on every worker by
-- crm.distribute(); after adding a node, run it there again:
--   SELECT run_command_on_workers('SELECT crm.separate_sequences()');
CREATE FUNCTION @extschema@.separate_sequences()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	grp		bigint;
	seq		regclass;
	n		integer := 0;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
		RETURN 0;
	END IF;
	EXECUTE 'SELECT groupid FROM pg_catalog.pg_dist_local_group' INTO grp;
	IF grp IS NULL OR grp = 0 THEN
		RETURN 0;
	END IF;
	FOR seq IN
		SELECT d.objid::regclass
		  FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
		 WHERE d.classid = 'pg_class'::regclass AND c.relkind = 'S'
		   AND c.relnamespace = '@extschema@'::regnamespace
		   AND d.refclassid = 'pg_extension'::regclass
		   AND d.refobjid = (SELECT e.oid FROM pg_extension e WHERE e.extname = 'crm')
		 ORDER BY 1
	LOOP
		-- setval, not ALTER SEQUENCE: nothing for Citus to propagate
		IF coalesce(pg_sequence_last_value(seq), 0) < grp << 48 THEN
			PERFORM setval(seq, grp << 48, true);
			n := n + 1;
		END IF;
	END LOOP;
	RETURN n;
END;
$$;
COMMENT ON FUNCTION @extschema@.separate_sequences() IS
	'On a Citus worker: moves the sequences of crm to the node''s own range (node group g counts from g * 2^48) so that ids written on different nodes never collide; returns how many it moved; 0 on the coordinator or without Citus';

-- Whether crm's tables are distributed (by crm.distribute()).
CREATE FUNCTION @extschema@.is_distributed()
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
		RETURN false;	-- (and pg_dist_partition does not exist)
	END IF;
	RETURN EXISTS (SELECT FROM pg_dist_partition p WHERE p.logicalrelid = '@extschema@.customers'::regclass);
END;
$$;
COMMENT ON FUNCTION @extschema@.is_distributed() IS
	'True when the tables of crm are distributed on Citus (crm.distribute() has run)';

CREATE FUNCTION @extschema@.distribute()
RETURNS TABLE (table_name text, kind text, distribution_column text, shards bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- Citus' notices for each table (copying, the local data to truncate, which
-- distribute() does) would bury the result
SET client_min_messages = warning
AS $$
DECLARE
	t			record;
	here		text;
	bad			text;
	zone		text;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'citus') THEN
		RAISE EXCEPTION 'crm.distribute() needs Citus, which is not installed in this database'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Install Citus on every node (shared_preload_libraries = ''citus''), run CREATE EXTENSION citus, add the workers with citus_add_node(), then CREATE EXTENSION crm on the coordinator.';
	END IF;
	IF (SELECT groupid FROM pg_dist_local_group) <> 0 THEN
		RAISE EXCEPTION 'crm.distribute() runs on the coordinator, and this node is a worker'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Connect to the coordinator of the cluster and call it there.';
	END IF;
	IF @extschema@.is_distributed() THEN
		RAISE EXCEPTION 'the tables of crm are distributed already'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'See SELECT * FROM citus_tables; crm.distribute() runs once per database.';
	END IF;
	IF NOT pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = '@extschema@.customers'::regclass), 'USAGE') THEN
		RAISE EXCEPTION 'only the owner of the crm tables can distribute them'
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Call crm.distribute() as the role that ran CREATE EXTENSION crm, or as a superuser.';
	END IF;
	IF EXISTS (SELECT FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
				WHERE c.relnamespace = '@extschema@'::regnamespace) THEN
		RAISE EXCEPTION 'crm.distribute() cannot distribute tables under row-level security'
			USING ERRCODE = 'feature_not_supported',
				  DETAIL = 'The policies of crm read other tables, which Citus 13.2 does not allow in a policy.',
				  HINT = 'SELECT crm.disable_row_security() first; the README (Scale-out) says what that means.';
	END IF;
	-- the same crm on every worker
	here := (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'crm');
	SELECT string_agg(format('%s:%s (%s)', r.nodename, r.nodeport, coalesce(nullif(r.result, ''), 'no crm')), ', ')
	  INTO bad
	  FROM run_command_on_workers($q$SELECT extversion FROM pg_extension WHERE extname = 'crm'$q$) r
	 WHERE NOT r.success OR r.result IS DISTINCT FROM here;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'crm % is not installed on every worker: %', here, bad
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Install the crm files on every node; CREATE EXTENSION crm on the coordinator after citus_add_node() creates it on the workers.';
	END IF;

	-- Time zone: the workers convert timestamps to dates and text in the
	-- zone of their sessions, which Citus opens with the worker's defaults.
	-- This database gets the coordinator's default zone as its own setting
	-- (Citus sends ALTER DATABASE ... SET on to every node), so that a
	-- worker's postgresql.conf does not matter; and SET LOCAL of a session
	-- zone in a transaction reaches the workers (citus.propagate_set_commands).
	IF NOT pg_has_role(current_user, (SELECT d.datdba FROM pg_database d WHERE d.datname = current_database()), 'USAGE') THEN
		RAISE EXCEPTION 'crm.distribute() sets the time zone of this database, which only its owner can do'
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Call crm.distribute() as the owner of the database or as a superuser.';
	END IF;
	BEGIN
		SELECT r.result INTO zone FROM run_command_on_coordinator('SHOW TimeZone') r WHERE r.success;
	EXCEPTION WHEN OTHERS THEN
		zone := NULL;	-- the coordinator is not in the metadata
	END;
	EXECUTE format('ALTER DATABASE %I SET TimeZone = %L', current_database(), coalesce(zone, current_setting('TimeZone')));
	EXECUTE format('ALTER DATABASE %I SET citus.propagate_set_commands = %L', current_database(), 'local');

	PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
	PERFORM set_config('citus.enable_local_reference_table_foreign_keys', 'off', true);
	PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
	FOR t IN SELECT * FROM @extschema@.distribution() LOOP
		EXECUTE format('ALTER TABLE @extschema@.%I DISABLE TRIGGER USER', t.table_name);
	END LOOP;
	FOR t IN SELECT * FROM @extschema@.distribution() LOOP
		IF t.kind = 'reference' THEN
			PERFORM create_reference_table(format('@extschema@.%I', t.table_name)::regclass);
		ELSE
			PERFORM create_distributed_table(format('@extschema@.%I', t.table_name)::regclass, t.distribution_column,
											 colocate_with => CASE WHEN t.table_name = 'customers' THEN 'default'
																   ELSE '@extschema@.customers' END);
		END IF;
	END LOOP;
	FOR t IN SELECT * FROM @extschema@.distribution() LOOP
		-- the copies on the coordinator are now hidden; free their space
		PERFORM truncate_local_data_after_distributing_table(format('@extschema@.%I', t.table_name)::regclass);
	END LOOP;
	FOR t IN SELECT * FROM @extschema@.distribution() LOOP
		EXECUTE format('ALTER TABLE @extschema@.%I ENABLE TRIGGER USER', t.table_name);
	END LOOP;
	PERFORM run_command_on_workers('SELECT @extschema@.separate_sequences()');

	RETURN QUERY
	SELECT d.table_name, d.kind, d.distribution_column, count(s.shardid)
	  FROM @extschema@.distribution() WITH ORDINALITY AS d(table_name, kind, distribution_column, n)
	  LEFT JOIN pg_dist_shard s ON s.logicalrelid = format('@extschema@.%I', d.table_name)::regclass
	 GROUP BY d.n, d.table_name, d.kind, d.distribution_column
	 ORDER BY d.n;
END;
$$;
COMMENT ON FUNCTION @extschema@.distribute() IS
	'On the coordinator of a Citus cluster with crm on every node: makes the shared tables reference tables and distributes every table of per-customer rows by customer (see crm.distribution()), triggers, history and audit working on the shards; one transaction; returns each table with its kind and number of shards. Errors: no Citus or called on a worker (0A000), already distributed or crm missing on a worker (55000), not the tables'' owner (42501), row-level security on (0A000)';

-- Back from Citus: the rows of every distributed and reference table of crm
-- in plain tables on the coordinator, no shard or metadata left on any node.
CREATE FUNCTION @extschema@.undistribute()
RETURNS TABLE (table_name text, kind text, row_count bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- Citus' notices for each table (copying, the local data to truncate, which
-- distribute() does) would bury the result
SET client_min_messages = warning
AS $$
DECLARE
	t			record;
	rel			regclass;
	tg			name;
	n			bigint;
	counts		jsonb := '{}';
BEGIN
	IF NOT @extschema@.is_distributed() THEN
		RAISE EXCEPTION 'the tables of crm are not distributed'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'crm.undistribute() undoes crm.distribute(); crm.is_distributed() tells whether it ran.';
	END IF;
	IF (SELECT groupid FROM pg_dist_local_group) <> 0 THEN
		RAISE EXCEPTION 'crm.undistribute() runs on the coordinator, and this node is a worker'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Connect to the coordinator of the cluster and call it there.';
	END IF;
	IF NOT pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = '@extschema@.customers'::regclass), 'USAGE') THEN
		RAISE EXCEPTION 'only the owner of the crm tables can undistribute them'
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Call crm.undistribute() as the role that ran CREATE EXTENSION crm, or as a superuser.';
	END IF;
	-- every table of crm.distribution() must be a Citus table: a half-done
	-- layout is not one this function knows how to undo
	IF EXISTS (SELECT FROM @extschema@.distribution() d
				WHERE NOT EXISTS (SELECT FROM pg_dist_partition p
								   WHERE p.logicalrelid = format('@extschema@.%I', d.table_name)::regclass)) THEN
		RAISE EXCEPTION 'some tables of crm are not Citus tables'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'crm.undistribute() undoes what crm.distribute() did, and the layout differs from crm.distribution().',
				  HINT = 'See SELECT * FROM citus_tables WHERE table_name::text LIKE ''crm.%''.';
	END IF;

	PERFORM set_config('citus.enable_ddl_propagation', 'on', true);
	PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
	-- 1. every row to the coordinator (one transaction: on any error, the
	--    shards stay as they were)
	FOR t IN SELECT * FROM @extschema@.distribution() LOOP
		EXECUTE format('DROP TABLE IF EXISTS pg_temp.%I', 'crm_undistribute_' || t.table_name);
		EXECUTE format('CREATE TEMP TABLE %I AS SELECT * FROM @extschema@.%I',
					   'crm_undistribute_' || t.table_name, t.table_name);
		GET DIAGNOSTICS n = ROW_COUNT;
		counts := counts || jsonb_build_object(t.table_name, n);
	END LOOP;
	-- 2. what Citus' sql_drop trigger does for a dropped table, for a table
	--    that stays: its metadata off the workers (their own copy of the
	--    table stays, as it belongs to the extension), its shards dropped,
	--    its metadata off the coordinator; then the TRUNCATE trigger Citus
	--    put on the coordinator's table.  Children first.
	FOR t IN SELECT d.table_name FROM @extschema@.distribution() WITH ORDINALITY AS d(table_name, kind, distribution_column, n)
			  ORDER BY d.n DESC LOOP
		rel := format('@extschema@.%I', t.table_name)::regclass;
		PERFORM master_remove_distributed_table_metadata_from_workers(rel, '@extschema@', t.table_name);
		PERFORM citus_drop_all_shards(rel, '@extschema@', t.table_name, false);
		PERFORM master_remove_partition_metadata(rel, '@extschema@', t.table_name);
		FOR tg IN SELECT g.tgname FROM pg_trigger g
				   WHERE g.tgrelid = rel AND g.tgisinternal AND g.tgfoid = 'citus_truncate_trigger'::regproc LOOP
			EXECUTE format('DROP TRIGGER %I ON %s', tg, rel);
		END LOOP;
	END LOOP;
	-- 3. the rows back into the coordinator's tables (emptied by
	--    crm.distribute()), parents first; user triggers off as in
	--    crm.distribute(): no audit rows, no checks of moves already made
	FOR t IN SELECT * FROM @extschema@.distribution() LOOP
		EXECUTE format('ALTER TABLE @extschema@.%I DISABLE TRIGGER USER', t.table_name);
		EXECUTE format('INSERT INTO @extschema@.%I SELECT * FROM pg_temp.%I',
					   t.table_name, 'crm_undistribute_' || t.table_name);
		EXECUTE format('ALTER TABLE @extschema@.%I ENABLE TRIGGER USER', t.table_name);
		EXECUTE format('DROP TABLE pg_temp.%I', 'crm_undistribute_' || t.table_name);
	END LOOP;

	RETURN QUERY
	SELECT d.table_name, CASE WHEN d.kind = 'reference' THEN 'reference' ELSE 'distributed' END || ' -> local',
		   (counts ->> d.table_name)::bigint
	  FROM @extschema@.distribution() WITH ORDINALITY AS d(table_name, kind, distribution_column, n)
	 ORDER BY d.n;
END;
$$;
COMMENT ON FUNCTION @extschema@.undistribute() IS
	'On the coordinator, after crm.distribute(): brings every row of crm back into plain tables on the coordinator (keys, foreign keys, triggers and sequences as before) and drops the shards and Citus metadata of the tables on every node; one transaction; returns each table with its former kind and its rows. crm.distribute() can run again afterwards. Errors: not distributed (55000), on a worker (0A000), not the tables'' owner (42501)';

-- Refuses DROP EXTENSION crm while the tables are distributed: Citus would
-- leave their shards on every node.
CREATE FUNCTION @extschema@.drop_guard()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'crm_drop_guard'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.drop_guard() IS
	'Event trigger (crm_drop_guard, ddl_command_start of DROP EXTENSION): refuses DROP EXTENSION crm while crm.is_distributed() (55000), hinting at crm.undistribute()';
CREATE EVENT TRIGGER crm_drop_guard ON ddl_command_start
	WHEN TAG IN ('DROP EXTENSION')
	EXECUTE FUNCTION @extschema@.drop_guard();
