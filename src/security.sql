/*
 * security.sql: graded access to the CRM data with row-level security.
 *
 * The model (off until crm.enable_row_security() is called):
 *   - a sales rep is a role whose name is in customers.owner: it sees and
 *     edits the customers it owns and their dependent rows (contacts,
 *     orders, costs, campaign memberships, opportunities, quotes,
 *     contracts, grades, audit rows), and the opportunities it owns;
 *   - a role that is a member of crm_clearance_N (N = 0..3) also sees, read
 *     only, every customer of confidentiality level <= N;
 *   - a member of crm_manager sees and edits everything; so does any role
 *     with BYPASSRLS, a superuser, and the tables' owner;
 *   - campaigns are readable by all and written by managers only.
 * The roles crm_manager and crm_clearance_0..3 are created (NOLOGIN) by
 * enable_row_security() when missing; the DBA grants them.  Membership is
 * inherited (pg_has_role ... 'MEMBER').
 *
 * Why not on by default: a database that already has users would see them
 * lose access to every customer they do not own, and owner must hold role
 * names before the model means anything; the DBA opts in.
 *
 * Writes: an UPDATE or DELETE of a row one can see but not edit fails with
 * SQLSTATE 42501 and a message naming the owner (trigger
 * crm.row_write_check); an INSERT or UPDATE that would create a row outside
 * one's own fails with PostgreSQL's "new row violates row-level security
 * policy" (42501).  Rows one cannot see are simply not there.
 *
 * Views of the extension are security_invoker, so they apply the policies
 * of the querying role; functions are SECURITY INVOKER except the audit
 * trigger, which only writes crm.audit_log.
 *
 * pg_dump does not keep policies of an extension's tables: the state is
 * kept as data (crm.row_security_state), and restoring it switches row
 * security on again.
 */

-- Whether the current role is a manager: member of crm_manager (directly or
-- through other roles).
CREATE FUNCTION @extschema@.is_manager()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN EXISTS (SELECT FROM pg_catalog.pg_roles r
				WHERE r.rolname OPERATOR(pg_catalog.=) 'crm_manager'
				  AND pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'MEMBER'));
COMMENT ON FUNCTION @extschema@.is_manager() IS
	'True when the current role is a member (directly or not) of crm_manager: it sees and edits all CRM rows under row-level security';

CREATE FUNCTION @extschema@.clearance()
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT pg_catalog.max(l.n)
		  FROM pg_catalog.generate_series(0, 3) AS l(n)
		  JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) ('crm_clearance_' OPERATOR(pg_catalog.||) l.n::text)
		 WHERE pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'MEMBER'));
COMMENT ON FUNCTION @extschema@.clearance() IS
	'The highest confidentiality level N for which the current role is a member of crm_clearance_N; NULL when none';

-- Whether the current role may edit customer rows of that owner.
CREATE FUNCTION @extschema@.can_edit(owner text)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN owner OPERATOR(pg_catalog.=) CURRENT_USER::text OR @extschema@.is_manager();
COMMENT ON FUNCTION @extschema@.can_edit(text) IS
	'True when the current role may edit a row owned by owner: it is the owner, or a manager';

-- The tables under row-level security and the policy of each: the
-- visibility (USING) and the editability of a new row (WITH CHECK) as SQL
-- expressions over the table's own columns.
CREATE FUNCTION @extschema@.row_security_policies()
RETURNS TABLE (table_name text, visible text, editable text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT v.t, v.u, v.c FROM (VALUES
		('customers',
		 '(owner OPERATOR(pg_catalog.=) CURRENT_USER::text OR confidentiality OPERATOR(pg_catalog.<=) (SELECT @extschema@.clearance()) OR (SELECT @extschema@.is_manager()))',
		 '(owner OPERATOR(pg_catalog.=) CURRENT_USER::text OR (SELECT @extschema@.is_manager()))'),
		('contacts', 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id)',
		 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id AND @extschema@.can_edit(c.owner))'),
		('orders', 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id)',
		 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id AND @extschema@.can_edit(c.owner))'),
		('service_costs', 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id)',
		 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id AND @extschema@.can_edit(c.owner))'),
		('campaign_members', 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id)',
		 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id AND @extschema@.can_edit(c.owner))'),
		('customer_grades', 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id)',
		 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id AND @extschema@.can_edit(c.owner))'),
		('grade_history', 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id)',
		 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id AND @extschema@.can_edit(c.owner))'),
		('opportunities',
		 '(owner OPERATOR(pg_catalog.=) CURRENT_USER::text OR EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id))',
		 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id AND (@extschema@.can_edit(c.owner) OR opportunities.owner OPERATOR(pg_catalog.=) CURRENT_USER::text))'),
		('opportunity_owners', 'EXISTS (SELECT FROM @extschema@.opportunities o WHERE o.id OPERATOR(pg_catalog.=) opportunity_id)',
		 'EXISTS (SELECT FROM @extschema@.opportunities o WHERE o.id OPERATOR(pg_catalog.=) opportunity_id)'),
		('opportunity_history', 'EXISTS (SELECT FROM @extschema@.opportunities o WHERE o.id OPERATOR(pg_catalog.=) opportunity_id)',
		 'EXISTS (SELECT FROM @extschema@.opportunities o WHERE o.id OPERATOR(pg_catalog.=) opportunity_id)'),
		('quotes', 'EXISTS (SELECT FROM @extschema@.opportunities o WHERE o.id OPERATOR(pg_catalog.=) opportunity_id)',
		 'EXISTS (SELECT FROM @extschema@.opportunities o WHERE o.id OPERATOR(pg_catalog.=) opportunity_id)'),
		('contracts', 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id)',
		 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id AND @extschema@.can_edit(c.owner))'),
		('contract_versions', 'EXISTS (SELECT FROM @extschema@.contracts k WHERE k.id OPERATOR(pg_catalog.=) contract_id)',
		 'EXISTS (SELECT FROM @extschema@.contracts k WHERE k.id OPERATOR(pg_catalog.=) contract_id)'),
		('contract_history', 'EXISTS (SELECT FROM @extschema@.contracts k WHERE k.id OPERATOR(pg_catalog.=) contract_id)',
		 'EXISTS (SELECT FROM @extschema@.contracts k WHERE k.id OPERATOR(pg_catalog.=) contract_id)'),
		('campaigns', 'true', '(SELECT @extschema@.is_manager())'),
		('audit_log',
		 '((SELECT @extschema@.is_manager()) OR EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) customer_id))',
		 'false')
	) AS v(t, u, c);
END;
COMMENT ON FUNCTION @extschema@.row_security_policies() IS
	'The tables crm.enable_row_security() protects, with the SQL condition for seeing a row (USING) and for writing one (WITH CHECK)';

-- An UPDATE or DELETE of a row the role can see but not edit: a clear error
-- instead of PostgreSQL's silent "0 rows".  The triggers fire only while row
-- security is active for the role (WHEN row_security_active: not when it is
-- disabled, nor for a superuser, the owner, BYPASSRLS, or the cascaded
-- deletes of foreign keys, which run as the owner), so bulk changes pay a
-- function call per row, not a PL/pgSQL trigger.
CREATE FUNCTION @extschema@.row_write_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	owner_name	text;
	cust		bigint;
BEGIN
	IF NOT row_security_active(TG_RELID) OR @extschema@.is_manager() THEN
		RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
	END IF;
	IF TG_TABLE_NAME = 'customers' THEN
		owner_name := OLD.owner;
		cust := OLD.id;
	ELSE
		-- the owner of an opportunity may change it whoever owns the customer
		IF TG_TABLE_NAME = 'opportunities' THEN
			IF OLD.owner = current_user THEN
				RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
			END IF;
		END IF;
		cust := OLD.customer_id;
		SELECT c.owner INTO owner_name FROM @extschema@.customers c WHERE c.id = cust;
	END IF;
	IF owner_name IS DISTINCT FROM current_user THEN
		RAISE EXCEPTION 'permission denied to % %: customer % is owned by %', lower(TG_OP),
			CASE TG_TABLE_NAME WHEN 'customers' THEN 'customer ' || cust ELSE TG_TABLE_NAME || ' row ' || OLD.id END,
			cust, coalesce(owner_name, 'nobody')
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the owner of a customer or a member of crm_manager can change it and its dependent rows.';
	END IF;
	RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;
COMMENT ON FUNCTION @extschema@.row_write_check() IS
	'Trigger: under row-level security, an UPDATE or DELETE of a visible row of a customer one does not own (and is not manager of) fails with SQLSTATE 42501 naming the owner';

CREATE TRIGGER row_write_check BEFORE UPDATE OR DELETE ON @extschema@.customers
	FOR EACH ROW WHEN (pg_catalog.row_security_active('@extschema@.customers'::pg_catalog.regclass))
	EXECUTE FUNCTION @extschema@.row_write_check();
CREATE TRIGGER row_write_check BEFORE UPDATE OR DELETE ON @extschema@.contacts
	FOR EACH ROW WHEN (pg_catalog.row_security_active('@extschema@.contacts'::pg_catalog.regclass))
	EXECUTE FUNCTION @extschema@.row_write_check();
CREATE TRIGGER row_write_check BEFORE UPDATE OR DELETE ON @extschema@.orders
	FOR EACH ROW WHEN (pg_catalog.row_security_active('@extschema@.orders'::pg_catalog.regclass))
	EXECUTE FUNCTION @extschema@.row_write_check();
CREATE TRIGGER row_write_check BEFORE UPDATE OR DELETE ON @extschema@.opportunities
	FOR EACH ROW WHEN (pg_catalog.row_security_active('@extschema@.opportunities'::pg_catalog.regclass))
	EXECUTE FUNCTION @extschema@.row_write_check();
CREATE TRIGGER row_write_check BEFORE UPDATE OR DELETE ON @extschema@.contracts
	FOR EACH ROW WHEN (pg_catalog.row_security_active('@extschema@.contracts'::pg_catalog.regclass))
	EXECUTE FUNCTION @extschema@.row_write_check();

-- The extension owner (or a superuser) only.
CREATE FUNCTION @extschema@.require_extension_owner(what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension e JOIN pg_roles r ON r.rolname = current_user
					WHERE e.extname = 'crm' AND (e.extowner = r.oid OR r.rolsuper)) THEN
		RAISE EXCEPTION 'only the owner of the extension crm can %', what
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Ask the database administrator who installed crm.';
	END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.require_extension_owner(text) IS
	'Returns when the current role owns the extension crm or is a superuser; raises SQLSTATE 42501 saying it cannot do what otherwise';

-- Whether row security is on, as data: pg_dump does not keep the policies
-- of an extension's tables, so a restore would silently drop them.  This
-- one-row table is dumped; when pg_restore reloads its row with enabled =
-- true, its trigger switches row security on again in the restored
-- database (the restoring role must own the extension, as it must to
-- restore it at all).
CREATE TABLE @extschema@.row_security_state (
	id				integer PRIMARY KEY DEFAULT 1 CHECK (id OPERATOR(pg_catalog.=) 1),
	enabled			boolean NOT NULL,
	changed_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	changed_by		text NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE @extschema@.row_security_state IS
	'One row: whether crm.enable_row_security() is in effect; dumped, and a restored row with enabled = true turns row security on again';
COMMENT ON COLUMN @extschema@.row_security_state.id IS 'Always 1 (one row)';
COMMENT ON COLUMN @extschema@.row_security_state.enabled IS 'True after enable_row_security(), false after disable_row_security()';
COMMENT ON COLUMN @extschema@.row_security_state.changed_at IS 'When it was last switched';
COMMENT ON COLUMN @extschema@.row_security_state.changed_by IS 'Role that switched it';

CREATE FUNCTION @extschema@.row_security_restore()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NEW.enabled AND pg_trigger_depth() = 1
	   AND NOT (SELECT c.relrowsecurity FROM pg_class c WHERE c.oid = '@extschema@.customers'::regclass) THEN
		PERFORM count(*) FROM @extschema@.enable_row_security();
		RAISE NOTICE 'crm: row-level security switched on again (restored crm.row_security_state)';
	END IF;
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION @extschema@.row_security_restore() IS
	'Trigger: a row of crm.row_security_state inserted with enabled = true (pg_restore) switches row-level security on when it is off';

CREATE TRIGGER row_security_restore AFTER INSERT ON @extschema@.row_security_state
	FOR EACH ROW EXECUTE FUNCTION @extschema@.row_security_restore();

SELECT pg_catalog.pg_extension_config_dump('@extschema@.row_security_state', '');

CREATE FUNCTION @extschema@.enable_row_security()
RETURNS TABLE (table_name text, policy text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p	record;
	v	record;
	r	text;
BEGIN
	PERFORM @extschema@.require_extension_owner('enable row-level security');
	FOREACH r IN ARRAY '{crm_manager,crm_clearance_0,crm_clearance_1,crm_clearance_2,crm_clearance_3}'::text[] LOOP
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I NOLOGIN', r);
			RAISE NOTICE 'created role %', r;
		END IF;
	END LOOP;
	FOR p IN SELECT * FROM @extschema@.row_security_policies() LOOP
		FOR r IN SELECT pol.polname::text FROM pg_policy pol
				  WHERE pol.polrelid = format('@extschema@.%I', p.table_name)::regclass
					AND pol.polname IN ('crm_read', 'crm_insert', 'crm_update', 'crm_delete') LOOP
			EXECUTE format('DROP POLICY %I ON @extschema@.%I', r, p.table_name);
		END LOOP;
		EXECUTE format('CREATE POLICY crm_read ON @extschema@.%I FOR SELECT USING (%s)', p.table_name, p.visible);
		EXECUTE format('CREATE POLICY crm_insert ON @extschema@.%I FOR INSERT WITH CHECK (%s)', p.table_name, p.editable);
		EXECUTE format('CREATE POLICY crm_update ON @extschema@.%I FOR UPDATE USING (%s) WITH CHECK (%s)', p.table_name, p.visible, p.editable);
		EXECUTE format('CREATE POLICY crm_delete ON @extschema@.%I FOR DELETE USING (%s)', p.table_name, p.visible);
		EXECUTE format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', p.table_name);
		table_name := p.table_name;
		policy := p.visible;
		RETURN NEXT;
	END LOOP;
	INSERT INTO @extschema@.row_security_state AS st (id, enabled) VALUES (1, true)
	ON CONFLICT (id) DO UPDATE SET enabled = true, changed_at = now(), changed_by = current_user
		WHERE NOT st.enabled;
	-- views apply the querying role's policies, not their owner's
	FOR v IN SELECT c.oid::regclass AS rel FROM pg_class c
			  WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'v' LOOP
		EXECUTE format('ALTER VIEW %s SET (security_invoker = true)', v.rel);
	END LOOP;
END;
$$;
REVOKE EXECUTE ON FUNCTION @extschema@.enable_row_security() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.enable_row_security() IS
	'Turns on row-level security for the CRM tables (reps see and edit their own customers and dependants, crm_clearance_N members read customers up to level N, crm_manager members everything); creates the roles crm_manager and crm_clearance_0..3 when missing; extension owner only. Returns each table and its visibility rule';

CREATE FUNCTION @extschema@.disable_row_security()
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p	record;
	r	text;
BEGIN
	PERFORM @extschema@.require_extension_owner('disable row-level security');
	FOR p IN SELECT * FROM @extschema@.row_security_policies() LOOP
		EXECUTE format('ALTER TABLE @extschema@.%I DISABLE ROW LEVEL SECURITY', p.table_name);
		FOR r IN SELECT pol.polname::text FROM pg_policy pol
				  WHERE pol.polrelid = format('@extschema@.%I', p.table_name)::regclass
					AND pol.polname IN ('crm_read', 'crm_insert', 'crm_update', 'crm_delete') LOOP
			EXECUTE format('DROP POLICY %I ON @extschema@.%I', r, p.table_name);
		END LOOP;
		RETURN NEXT p.table_name;
	END LOOP;
	INSERT INTO @extschema@.row_security_state AS st (id, enabled) VALUES (1, false)
	ON CONFLICT (id) DO UPDATE SET enabled = false, changed_at = now(), changed_by = current_user
		WHERE st.enabled;
END;
$$;
REVOKE EXECUTE ON FUNCTION @extschema@.disable_row_security() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.disable_row_security() IS
	'Turns row-level security of the CRM tables off again and drops the policies (the roles stay); extension owner only. Returns the tables';

-- Views of the extension always run with the querying role's rights (and
-- so its row-level security), whether or not row security is enabled.
DO $$
DECLARE
	v regclass;
BEGIN
	FOR v IN SELECT c.oid::regclass FROM pg_catalog.pg_class c
			  WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
				AND c.relkind OPERATOR(pg_catalog.=) 'v' LOOP
		EXECUTE pg_catalog.format('ALTER VIEW %s SET (security_invoker = true)', v);
	END LOOP;
END;
$$;
