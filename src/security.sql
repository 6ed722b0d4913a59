/*
 * security.sql: graded access to the CRM data with row-level security.
 *
 * The model (off until crm.enable_row_security() is called; the roles and
 * their privileges, roles.sql, apply whether it is on or not):
 *   - a sales rep is a role whose name is in customers.owner: it sees and
 *     edits the customers it owns and their dependent rows (contacts,
 *     orders, costs, campaign memberships, opportunities, quotes,
 *     contracts), and the opportunities it owns with their credit split and
 *     quotes, at whatever customer; it sees, never writes, their history,
 *     grades and audit rows;
 *   - a role that is a member of crm_clearance_N (N = 0..3) also sees, read
 *     only, every customer of confidentiality level <= N and its rows;
 *   - a member of crm_manager sees and edits everything; so does any role
 *     with BYPASSRLS, a superuser, and the tables' owner;
 *   - history, grades and audit rows are written only by the extension's
 *     triggers and functions, which run as the extension owner;
 *   - campaigns are readable by all and written by managers only;
 *   - a stored model (crm.models) is seen by the role that trained it and by
 *     managers, and by everyone once its trainer sets shared: its rules show
 *     values of the rows it was trained on.
 * Membership is inherited (pg_has_role ... 'MEMBER').
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
 * of the querying role.
 *
 * pg_dump does not keep policies of an extension's tables: the state is
 * kept as data (crm.row_security_state, changed by the extension owner
 * only), and restoring it switches row security on again.
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
-- visibility (USING), the editability of an inserted row and of an updated
-- row (WITH CHECK) as SQL expressions over the table's own columns.  The
-- kind of a table says who may write it:
--   customer           the customer's owner (and managers)
--   customer data      rows of a customer: whoever may edit the customer
--   opportunity        the deal's owner, or whoever may edit its customer
--   opportunity data   split credit, quotes and approval requests: whoever may
--                      edit the deal
--   history            written by the extension's own triggers and functions
--                      only (opportunity and contract history, contract
--                      versions, grades, grade history, audit rows): their
--                      write conditions are false, and those triggers and
--                      functions run as the extension owner
--   campaigns          read by all, written by managers
--   models             stored decision trees: see the comment below
CREATE FUNCTION @extschema@.row_security_policies()
RETURNS TABLE (table_name text, kind text, visible text, insertable text, updatable text)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH kinds (t, k) AS (VALUES
		('customers', 'customer'),
		('contacts', 'customer data'), ('orders', 'customer data'), ('service_costs', 'customer data'),
		('campaign_members', 'customer data'), ('contracts', 'customer data'),
		('opportunities', 'opportunity'),
		('opportunity_owners', 'opportunity data'), ('quotes', 'opportunity data'),
		('opportunity_approvals', 'opportunity data'),
		('opportunity_history', 'history'), ('contract_versions', 'history'), ('contract_history', 'history'),
		('customer_grades', 'history'), ('grade_history', 'history'), ('audit_log', 'history'),
		('campaigns', 'campaigns'),
		('models', 'models')
	), e AS (
		SELECT kinds.t, kinds.k,
			   pg_catalog.format('EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) %I.customer_id)', kinds.t) AS cust_visible,
			   pg_catalog.format('EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) %I.customer_id AND @extschema@.can_edit(c.owner))', kinds.t) AS cust_editable,
			   pg_catalog.format('EXISTS (SELECT FROM @extschema@.opportunities o WHERE o.customer_id OPERATOR(pg_catalog.=) %1$I.customer_id AND o.id OPERATOR(pg_catalog.=) %1$I.opportunity_id)', kinds.t) AS opp_visible,
			   pg_catalog.format('EXISTS (SELECT FROM @extschema@.opportunities o WHERE o.customer_id OPERATOR(pg_catalog.=) %1$I.customer_id AND o.id OPERATOR(pg_catalog.=) %1$I.opportunity_id AND (o.owner OPERATOR(pg_catalog.=) CURRENT_USER::text OR EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) o.customer_id AND @extschema@.can_edit(c.owner))))', kinds.t) AS opp_editable
		  FROM kinds
	)
	SELECT e.t, e.k, v.visible, v.insertable, coalesce(v.updatable, v.insertable)
	  FROM e, LATERAL (SELECT
		CASE e.k
			WHEN 'customer' THEN '(owner OPERATOR(pg_catalog.=) CURRENT_USER::text OR confidentiality OPERATOR(pg_catalog.<=) (SELECT @extschema@.clearance()) OR (SELECT @extschema@.is_manager()))'
			WHEN 'customer data' THEN e.cust_visible
			WHEN 'opportunity' THEN '(owner OPERATOR(pg_catalog.=) CURRENT_USER::text OR ' OPERATOR(pg_catalog.||) e.cust_visible OPERATOR(pg_catalog.||) ')'
			WHEN 'opportunity data' THEN e.opp_visible
			WHEN 'history' THEN CASE e.t
				WHEN 'opportunity_history' THEN e.opp_visible
				WHEN 'audit_log' THEN '((SELECT @extschema@.is_manager()) OR ' OPERATOR(pg_catalog.||) e.cust_visible OPERATOR(pg_catalog.||) ')'
				ELSE e.cust_visible END
			WHEN 'campaigns' THEN 'true'
			WHEN 'models' THEN '(shared OR trained_by OPERATOR(pg_catalog.=) CURRENT_USER::text OR (SELECT @extschema@.is_manager()))'
		END AS visible,
		CASE e.k
			WHEN 'customer' THEN '(owner OPERATOR(pg_catalog.=) CURRENT_USER::text OR (SELECT @extschema@.is_manager()))'
			WHEN 'customer data' THEN e.cust_editable
			-- a new deal: at a customer one may edit, or one's own deal at a customer one sees
			WHEN 'opportunity' THEN 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) opportunities.customer_id AND (@extschema@.can_edit(c.owner) OR opportunities.owner OPERATOR(pg_catalog.=) CURRENT_USER::text))'
			WHEN 'opportunity data' THEN e.opp_editable
			WHEN 'history' THEN 'false'
			WHEN 'campaigns' THEN '(SELECT @extschema@.is_manager())'
			WHEN 'models' THEN '(trained_by OPERATOR(pg_catalog.=) CURRENT_USER::text OR (SELECT @extschema@.is_manager()))'
		END AS insertable,
		-- a changed deal: one's own (at any customer: its customer cannot
		-- change, trigger opportunities_before), or at a customer one may edit
		CASE e.k
			WHEN 'opportunity' THEN '(opportunities.owner OPERATOR(pg_catalog.=) CURRENT_USER::text OR ' OPERATOR(pg_catalog.||) e.cust_editable OPERATOR(pg_catalog.||) ')'
		END AS updatable) v
	 ORDER BY e.t;
END;
COMMENT ON FUNCTION @extschema@.row_security_policies() IS
	'The tables crm.enable_row_security() protects, each with its kind (who may write it) and the SQL conditions for seeing a row (USING), inserting one and updating one (WITH CHECK)';

-- An UPDATE or DELETE of a row the role can see but not edit: a clear error
-- instead of PostgreSQL's silent "0 rows".  The triggers fire only while row
-- security is active for the role (WHEN row_security_active: not when it is
-- disabled, nor for a superuser, the owner, BYPASSRLS, or the cascaded
-- deletes of foreign keys, which run as the owner), so bulk changes pay a
-- function call per row, not a PL/pgSQL trigger.  Tables of kind history
-- need none: no role of the role model may write them, and their policies
-- refuse every write.
CREATE FUNCTION @extschema@.row_write_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	owner_name	text;
	cust		bigint;
	what		text;
BEGIN
	IF NOT row_security_active(TG_RELID) OR @extschema@.is_manager() THEN
		RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
	END IF;
	IF TG_TABLE_NAME = 'models' THEN
		IF OLD.trained_by IS DISTINCT FROM current_user THEN
			RAISE EXCEPTION 'permission denied to % model %: it was trained by %', lower(TG_OP), OLD.name, OLD.trained_by
				USING ERRCODE = 'insufficient_privilege',
					  HINT = 'Only the role that trained a model or a member of crm_manager can change it; train a model of your own under another name.';
		END IF;
		RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
	END IF;
	IF TG_TABLE_NAME = 'customers' THEN
		owner_name := OLD.owner;
		cust := OLD.id;
		what := format('customer %s', cust);
	ELSE
		cust := OLD.customer_id;
		what := format('a row of crm.%s', TG_TABLE_NAME);
		-- the owner of a deal may change it, its credit split and its
		-- quotes, whoever owns the customer
		IF TG_TABLE_NAME = 'opportunities' THEN
			IF OLD.owner = current_user THEN
				RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
			END IF;
			what := format('opportunity %s', OLD.id);
		ELSIF TG_TABLE_NAME IN ('opportunity_owners', 'quotes') THEN
			IF EXISTS (SELECT FROM @extschema@.opportunities o
						WHERE o.customer_id = cust AND o.id = OLD.opportunity_id AND o.owner = current_user) THEN
				RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
			END IF;
			what := format('a row of crm.%s of opportunity %s', TG_TABLE_NAME, OLD.opportunity_id);
		END IF;
		SELECT c.owner INTO owner_name FROM @extschema@.customers c WHERE c.id = cust;
	END IF;
	IF owner_name IS DISTINCT FROM current_user THEN
		RAISE EXCEPTION 'permission denied to % %: customer % is owned by %', lower(TG_OP), what,
			cust, coalesce(owner_name, 'nobody')
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the customer''s owner or a member of crm_manager can change its rows; a deal''s owner also its deal, credit split and quotes.';
	END IF;
	RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;
COMMENT ON FUNCTION @extschema@.row_write_check() IS
	'Trigger: under row-level security, an UPDATE or DELETE of a visible row one may not edit (of a customer one does not own, of a deal one does not own, of a model one did not train) fails with SQLSTATE 42501 naming the owner';

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY '{customers,contacts,orders,service_costs,campaign_members,opportunities,opportunity_owners,quotes,contracts,models}'::text[] LOOP
		EXECUTE pg_catalog.format('CREATE TRIGGER row_write_check BEFORE UPDATE OR DELETE ON @extschema@.%1$I
			FOR EACH ROW WHEN (pg_catalog.row_security_active(%2$L::pg_catalog.regclass))
			EXECUTE FUNCTION @extschema@.row_write_check()', t, '@extschema@.' OPERATOR(pg_catalog.||) t);
	END LOOP;
END;
$$;

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
	changed_by		text NOT NULL DEFAULT CURRENT_USER,
	CONSTRAINT row_security_state_changed_at_finite CHECK (pg_catalog.isfinite(changed_at))
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

-- Nobody but the extension owner changes the row, whatever privileges a DBA
-- granted: enable_row_security() and disable_row_security() do, and so does
-- pg_restore (run by the owner).
CREATE FUNCTION @extschema@.row_security_state_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@.require_extension_owner('change crm.row_security_state; use crm.enable_row_security() or crm.disable_row_security()');
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION @extschema@.row_security_state_guard() IS
	'Trigger: only the owner of the extension (or a superuser) may change crm.row_security_state';

CREATE TRIGGER row_security_state_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.row_security_state
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.row_security_state_guard();

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
	IF @extschema@.is_distributed() THEN
		RAISE EXCEPTION 'row-level security of crm cannot be switched on in a Citus cluster'
			USING ERRCODE = 'feature_not_supported',
				  DETAIL = 'A row of contacts, orders, opportunities, ... is visible when its customer is: the policies read crm.customers, and Citus 13.2 allows no subquery in the policy of a distributed table.',
				  HINT = 'The role model''s privileges (crm_reader, crm_rep, crm_manager, crm_admin) still apply; the README (Scale-out) says what that means.';
	END IF;
	FOR p IN SELECT * FROM @extschema@.row_security_policies() LOOP
		FOR r IN SELECT pol.polname::text FROM pg_policy pol
				  WHERE pol.polrelid = format('@extschema@.%I', p.table_name)::regclass
					AND pol.polname IN ('crm_read', 'crm_insert', 'crm_update', 'crm_delete') LOOP
			EXECUTE format('DROP POLICY %I ON @extschema@.%I', r, p.table_name);
		END LOOP;
		EXECUTE format('CREATE POLICY crm_read ON @extschema@.%I FOR SELECT USING (%s)', p.table_name, p.visible);
		EXECUTE format('CREATE POLICY crm_insert ON @extschema@.%I FOR INSERT WITH CHECK (%s)', p.table_name, p.insertable);
		EXECUTE format('CREATE POLICY crm_update ON @extschema@.%I FOR UPDATE USING (%s) WITH CHECK (%s)', p.table_name, p.visible, p.updatable);
		-- a visible row one may not delete fails in trigger row_write_check;
		-- history rows are deleted by no one
		EXECUTE format('CREATE POLICY crm_delete ON @extschema@.%I FOR DELETE USING (%s)', p.table_name,
					   CASE WHEN p.kind = 'history' THEN p.insertable ELSE p.visible END);
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
	'Turns on row-level security for the CRM tables (reps see and edit their own customers and dependants, crm_clearance_N members read customers up to level N, crm_manager members everything; history, grades and audit rows are written by the extension only; a stored model is seen by the role that trained it, managers, and everyone once shared); extension owner only. Returns each table and its visibility rule';

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
