/*
 * distribute.sql: crm on a Citus cluster.
 *
 * crm.distribute(), called once on the coordinator of a Citus cluster where
 * Citus and crm are installed on every node (CREATE EXTENSION crm on the
 * coordinator after the workers were added creates it on them too), makes
 *   - the shared, small tables reference tables, copied to every node:
 *     status_transitions, pipeline_stages, campaigns, quotas, models,
 *     row_security_state;
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
 */

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
		(7, 'customers', 'distributed', 'id'),
		(8, 'contacts', 'distributed', 'customer_id'),
		(9, 'orders', 'distributed', 'customer_id'),
		(10, 'service_costs', 'distributed', 'customer_id'),
		(11, 'campaign_members', 'distributed', 'customer_id'),
		(12, 'opportunities', 'distributed', 'customer_id'),
		(13, 'opportunity_owners', 'distributed', 'customer_id'),
		(14, 'opportunity_history', 'distributed', 'customer_id'),
		(15, 'quotes', 'distributed', 'customer_id'),
		(16, 'contracts', 'distributed', 'customer_id'),
		(17, 'contract_versions', 'distributed', 'customer_id'),
		(18, 'contract_history', 'distributed', 'customer_id'),
		(19, 'customer_grades', 'distributed', 'customer_id'),
		(20, 'grade_history', 'distributed', 'customer_id'),
		(21, 'audit_log', 'distributed', 'customer_id'))
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
AS $$
DECLARE
	t			record;
	here		text;
	bad			text;
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
