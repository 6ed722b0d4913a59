/*
 * roles.sql: the role model crm ships (last in the script: it grants on the
 * objects every other file made).
 *
 * Group roles (NOLOGIN), each a member of the next, so a DBA grants one of
 * them to a person or an application and never a table:
 *
 *   crm_reader   reporting tools (Metabase, Grafana, Superset): reads the
 *                tables and views, writes nothing;
 *   crm_rep      a sales rep: also writes customers and their rows
 *                (contacts, orders, costs, campaign memberships,
 *                opportunities, credit splits, quotes, contracts), imports
 *                and tags customers, trains and stores models;
 *   crm_manager  also writes campaigns, refreshes grades, merges duplicate
 *                customers, moves customers between reps and adjusts the
 *                forecast roll-up (crm.adjust_forecast); under row
 *                security it sees and edits every customer;
 *   crm_admin    also writes the configuration: pipeline stages, status
 *                transitions, quotas (and allocates them).
 *
 * crm_clearance_0..3 add read access to customers up to that
 * confidentiality level under row security (security.sql).  No role may
 * write history, grades or audit rows (the extension's triggers and
 * functions do, as the extension owner), nor crm.row_security_state.  What
 * only the extension owner (the DBA who ran CREATE EXTENSION) may run:
 * enable_row_security, disable_row_security, audit_purge,
 * generate_demo_data, distribute, undistribute and separate_sequences.
 *
 * Roles belong to the cluster, not the database: CREATE EXTENSION makes the
 * missing ones (the installer is a superuser) and DROP EXTENSION leaves
 * them.  The grants are part of the extension (pg_init_privs), so pg_dump
 * does not repeat them and CREATE EXTENSION in the restored database makes
 * them again.  Calculation functions (value scores, segments, trees,
 * lifetime value, ...) keep PostgreSQL's default EXECUTE for PUBLIC: only
 * roles with USAGE on the schema reach them, and they read nothing.
 */
DO $$
DECLARE
	r		text;
	member	text;
BEGIN
	FOREACH r IN ARRAY '{crm_reader,crm_rep,crm_manager,crm_admin,crm_clearance_0,crm_clearance_1,crm_clearance_2,crm_clearance_3}'::text[] LOOP
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
	FOR r, member IN VALUES ('crm_reader', 'crm_rep'), ('crm_rep', 'crm_manager'), ('crm_manager', 'crm_admin') LOOP
		IF NOT pg_catalog.pg_has_role(member, r, 'MEMBER') THEN
			EXECUTE pg_catalog.format('GRANT %I TO %I', r, member);
		END IF;
	END LOOP;
END;
$$;

-- crm_reader: read everything (the views are security_invoker, so reading
-- one needs the right to read its tables; row security filters both)
GRANT USAGE ON SCHEMA @extschema@ TO crm_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA @extschema@ TO crm_reader;

-- crm_rep: a customer's rows and one's own models
GRANT USAGE ON ALL SEQUENCES IN SCHEMA @extschema@ TO crm_rep;
GRANT INSERT, UPDATE, DELETE ON
	@extschema@.customers, @extschema@.contacts, @extschema@.orders, @extschema@.service_costs,
	@extschema@.campaign_members, @extschema@.opportunities, @extschema@.opportunity_owners,
	@extschema@.quotes, @extschema@.contracts, @extschema@.models
	TO crm_rep;

-- crm_manager: campaigns; decisions on approval requests; self-assessments, of which the database sets
-- the time and the role; adjustments of the forecast (append-only: no
-- UPDATE or DELETE, the history of adjustments stays)
GRANT INSERT, UPDATE, DELETE ON @extschema@.campaigns TO crm_manager;
-- approvals of opportunities: a rep asks (the database stamps who and when),
-- a manager decides; nobody deletes a request (it goes with its deal)
GRANT INSERT (customer_id, opportunity_id, move, note) ON @extschema@.opportunity_approvals TO crm_rep;
GRANT UPDATE (decision, note) ON @extschema@.opportunity_approvals TO crm_manager;
GRANT INSERT (scores, note) ON @extschema@.assessments TO crm_manager;
GRANT INSERT ON @extschema@.forecast_adjustments TO crm_manager;

-- crm_admin: the configuration
GRANT INSERT, UPDATE, DELETE ON @extschema@.pipeline_stages, @extschema@.status_transitions, @extschema@.quotas
	TO crm_admin;
-- (an assessment is never changed; a mistaken one is deleted)
GRANT DELETE ON @extschema@.assessments TO crm_admin;

-- Functions that write: from PUBLIC to the role that may
REVOKE EXECUTE ON FUNCTION
	@extschema@.import_customers(regclass, boolean),
	@extschema@.tag_customers(bigint[], text),
	@extschema@.untag_customers(bigint[], text),
	@extschema@.tree_train_model(text, text, text, jsonb),
	@extschema@.refresh_grades(date),
	@extschema@.merge_customers(bigint, bigint),
	@extschema@.transfer_owner(text, text, bigint[]),
	@extschema@.allocate_quotas(integer, numeric, text, text, text, date, numeric),
	@extschema@.write_quotas(text, date[], interval, numeric[], text, text, date, text),
	@extschema@.forecast_quotas(date, integer, text, text, text, numeric),
	@extschema@.adjust_quotas(date, date, text, jsonb, boolean),
	@extschema@.adjust_forecast(text, date, text, text, text, @extschema@.forecast_category, numeric, text),
	@extschema@.generate_demo_data(integer, integer),
	@extschema@.distribute(),
	@extschema@.undistribute(),
	@extschema@.separate_sequences()
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	@extschema@.import_customers(regclass, boolean),
	@extschema@.tag_customers(bigint[], text),
	@extschema@.untag_customers(bigint[], text),
	@extschema@.tree_train_model(text, text, text, jsonb)
	TO crm_rep;
GRANT EXECUTE ON FUNCTION
	@extschema@.refresh_grades(date),
	@extschema@.merge_customers(bigint, bigint),
	@extschema@.transfer_owner(text, text, bigint[]),
	@extschema@.adjust_forecast(text, date, text, text, text, @extschema@.forecast_category, numeric, text)
	TO crm_manager;
GRANT EXECUTE ON FUNCTION
	@extschema@.allocate_quotas(integer, numeric, text, text, text, date, numeric),
	@extschema@.write_quotas(text, date[], interval, numeric[], text, text, date, text),
	@extschema@.forecast_quotas(date, integer, text, text, text, numeric),
	@extschema@.adjust_quotas(date, date, text, jsonb, boolean)
	TO crm_admin;
