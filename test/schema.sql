/*
 * test/schema.sql: pgTAP checks of the objects CREATE EXTENSION crm makes.
 *
 * Run with: pg_prove -d DBNAME test/schema.sql, in a database where
 * CREATE EXTENSION pgtap and CREATE EXTENSION crm have been run.
 *
 * The checks pin down the catalog: tables and their exact columns, keys,
 * defaults, enum labels, functions, triggers, indexes, what pg_dump keeps
 * (pg_extension_config_dump), the shipped reference data and the comments.
 * Everything runs in one transaction that is rolled back.
 */
BEGIN;

SELECT plan(263);

--------------------------------------------------------------------------
-- Schema and tables
--------------------------------------------------------------------------

SELECT has_schema('crm');

-- The complete list, so that a table added without tests shows up here.
SELECT tables_are('crm', ARRAY[
	'customers', 'contacts', 'orders', 'service_costs', 'campaigns',
	'campaign_members', 'pipeline_stages', 'opportunities', 'opportunity_owners',
	'opportunity_history', 'quotes', 'contracts', 'contract_versions',
	'contract_history', 'quotas', 'status_transitions', 'customer_grades', 'grade_history',
	'models', 'audit_log', 'row_security_state', 'assessment_questions', 'assessments', 'forecast_adjustments',
	'opportunity_approvals'
]);

SELECT has_table('crm', 'customers', 'crm.customers should exist');
SELECT has_table('crm', 'contacts', 'crm.contacts should exist');
SELECT has_table('crm', 'orders', 'crm.orders should exist');
SELECT has_table('crm', 'service_costs', 'crm.service_costs should exist');
SELECT has_table('crm', 'campaigns', 'crm.campaigns should exist');
SELECT has_table('crm', 'campaign_members', 'crm.campaign_members should exist');
SELECT has_table('crm', 'pipeline_stages', 'crm.pipeline_stages should exist');
SELECT has_table('crm', 'opportunities', 'crm.opportunities should exist');
SELECT has_table('crm', 'opportunity_owners', 'crm.opportunity_owners should exist');
SELECT has_table('crm', 'opportunity_history', 'crm.opportunity_history should exist');
SELECT has_table('crm', 'quotes', 'crm.quotes should exist');
SELECT has_table('crm', 'contracts', 'crm.contracts should exist');
SELECT has_table('crm', 'contract_versions', 'crm.contract_versions should exist');
SELECT has_table('crm', 'contract_history', 'crm.contract_history should exist');
SELECT has_table('crm', 'quotas', 'crm.quotas should exist');
SELECT has_table('crm', 'status_transitions', 'crm.status_transitions should exist');
SELECT has_table('crm', 'customer_grades', 'crm.customer_grades should exist');
SELECT has_table('crm', 'grade_history', 'crm.grade_history should exist');
SELECT has_table('crm', 'models', 'crm.models should exist');
SELECT has_table('crm', 'audit_log', 'crm.audit_log should exist');
SELECT has_table('crm', 'forecast_adjustments', 'crm.forecast_adjustments should exist');
SELECT has_table('crm', 'row_security_state', 'crm.row_security_state should exist');

--------------------------------------------------------------------------
-- Columns: the exact list of every table
--------------------------------------------------------------------------

SELECT columns_are('crm', 'customers', ARRAY[
	'id', 'name', 'kind', 'industry', 'region', 'channel', 'phone', 'email',
	'address', 'owner', 'confidentiality', 'satisfaction', 'credit_status',
	'tags', 'attributes', 'created_at', 'updated_at'
]);
SELECT columns_are('crm', 'contacts', ARRAY[
	'id', 'customer_id', 'name', 'title', 'decision_role', 'phone', 'email',
	'reports_to'
]);
SELECT columns_are('crm', 'orders', ARRAY[
	'id', 'customer_id', 'ordered_at', 'amount', 'quantity', 'product',
	'amount_paid', 'due_date'
]);
SELECT columns_are('crm', 'service_costs', ARRAY[
	'id', 'customer_id', 'incurred_on', 'kind', 'amount', 'note'
]);
SELECT columns_are('crm', 'campaigns', ARRAY[
	'id', 'name', 'method', 'region', 'budget', 'actual_cost', 'planned_start',
	'planned_end', 'started_on', 'ended_on', 'status', 'approved_by',
	'description', 'created_at'
]);
SELECT columns_are('crm', 'campaign_members', ARRAY[
	'campaign_id', 'customer_id', 'invited_at', 'attended', 'responded_at'
]);
SELECT columns_are('crm', 'pipeline_stages', ARRAY[
	'pipeline', 'stage', 'position', 'is_final', 'builtin', 'conversion_rate',
	'mean_days', 'visits_per_week', 'approval_role'
]);
SELECT columns_are('crm', 'opportunities', ARRAY[
	'id', 'customer_id', 'campaign_id', 'name', 'pipeline', 'stage', 'status',
	'amount', 'expected_close', 'win_probability', 'owner', 'cost',
	'competitor', 'closing_summary', 'created_at', 'updated_at', 'closed_at',
	'forecast_category'
]);
SELECT columns_are('crm', 'opportunity_owners', ARRAY[
	'opportunity_id', 'owner', 'share', 'customer_id'
]);
SELECT columns_are('crm', 'opportunity_history', ARRAY[
	'id', 'customer_id', 'opportunity_id', 'changed_at', 'changed_by', 'old_stage',
	'new_stage', 'old_status', 'new_status', 'old_amount', 'new_amount',
	'old_owner', 'new_owner', 'cost', 'old_forecast_category', 'new_forecast_category',
	'old_expected_close', 'new_expected_close'
]);
SELECT columns_are('crm', 'quotes', ARRAY[
	'id', 'customer_id', 'opportunity_id', 'version', 'amount', 'discount_pct', 'valid_until',
	'status', 'approved_by', 'approved_at', 'created_at'
]);
SELECT columns_are('crm', 'contracts', ARRAY[
	'id', 'customer_id', 'opportunity_id', 'campaign_id', 'title', 'amount',
	'signed_on', 'starts_on', 'ends_on', 'terms', 'percent_complete', 'status',
	'version', 'created_at', 'updated_at'
]);
SELECT columns_are('crm', 'contract_versions', ARRAY[
	'customer_id', 'contract_id', 'version', 'amount', 'starts_on', 'ends_on', 'terms',
	'valid_from', 'replaced_at', 'replaced_by'
]);
SELECT columns_are('crm', 'contract_history', ARRAY[
	'id', 'customer_id', 'contract_id', 'changed_at', 'changed_by', 'old_status',
	'new_status', 'old_percent', 'new_percent'
]);
SELECT columns_are('crm', 'quotas', ARRAY[
	'id', 'period_start', 'period_end', 'owner', 'region', 'product',
	'channel', 'target', 'note'
]);
SELECT columns_are('crm', 'assessment_questions', ARRAY[
	'question', 'area', 'area_zh', 'question_en', 'question_zh', 'guide_en', 'guide_zh', 'crm_support'
]);
SELECT columns_are('crm', 'assessments', ARRAY[
	'id', 'assessed_at', 'assessed_by', 'scores', 'note'
]);
SELECT columns_are('crm', 'forecast_adjustments', ARRAY[
	'id', 'pipeline', 'period', 'period_start', 'level', 'name', 'category', 'from_amount',
	'amount', 'note', 'adjusted_by', 'adjusted_at'
]);
SELECT columns_are('crm', 'status_transitions', ARRAY[
	'object', 'from_status', 'allowed'
]);
SELECT columns_are('crm', 'customer_grades', ARRAY[
	'customer_id', 'as_of', 'lifecycle_stage', 'value_score', 'segment', 'relationship',
	'pareto_class', 'revenue', 'net_value', 'volume', 'arrears', 'graded_at', 'customer_type',
	'relationship_group', 'signed_amount', 'industry_grade'
]);
SELECT columns_are('crm', 'audit_log', ARRAY[
	'id', 'table_name', 'row_key', 'customer_id', 'operation', 'changed', 'role', 'at',
	'application_name', 'txid', 'context'
]);
SELECT columns_are('crm', 'row_security_state', ARRAY[
	'id', 'enabled', 'changed_at', 'changed_by'
]);
SELECT columns_are('crm', 'grade_history', ARRAY[
	'id', 'customer_id', 'changed_at', 'as_of', 'old_lifecycle_stage', 'new_lifecycle_stage',
	'old_segment', 'new_segment', 'old_relationship', 'new_relationship',
	'old_pareto_class', 'new_pareto_class', 'old_value_score', 'new_value_score', 'reason',
	'old_industry_grade', 'new_industry_grade'
]);
SELECT columns_are('crm', 'models', ARRAY[
	'name', 'model', 'source', 'target', 'options', 'trained_at', 'rows_used',
	'rows_skipped', 'metrics', 'trained_by', 'shared'
]);
SELECT col_type_is('crm', 'models', 'model', 'crm', 'tree', 'models.model is crm.tree');

-- Types of the columns other code relies on: the enum-typed status and kind
-- columns, tags (GIN-indexed text[]), attributes (a jsonb object) and money.
SELECT col_type_is('crm', 'customers', 'kind', 'crm', 'customer_kind', 'customers.kind is crm.customer_kind');
SELECT col_type_is('crm', 'customers', 'credit_status', 'crm', 'credit_status', 'customers.credit_status is crm.credit_status');
SELECT col_type_is('crm', 'customers', 'tags', 'text[]', 'customers.tags is text[]');
SELECT col_type_is('crm', 'customers', 'attributes', 'jsonb', 'customers.attributes is jsonb');
SELECT col_type_is('crm', 'service_costs', 'kind', 'crm', 'service_cost_kind', 'service_costs.kind is crm.service_cost_kind');
SELECT col_type_is('crm', 'campaigns', 'status', 'crm', 'campaign_status', 'campaigns.status is crm.campaign_status');
SELECT col_type_is('crm', 'opportunities', 'status', 'crm', 'opportunity_status', 'opportunities.status is crm.opportunity_status');
SELECT col_type_is('crm', 'quotes', 'status', 'crm', 'quote_status', 'quotes.status is crm.quote_status');
SELECT col_type_is('crm', 'contracts', 'status', 'crm', 'contract_status', 'contracts.status is crm.contract_status');
SELECT col_type_is('crm', 'orders', 'amount', 'numeric(14,2)', 'orders.amount is numeric(14,2)');
SELECT col_type_is('crm', 'orders', 'ordered_at', 'timestamp with time zone', 'orders.ordered_at is timestamptz');

--------------------------------------------------------------------------
-- Primary keys
--------------------------------------------------------------------------

SELECT col_is_pk('crm', 'customers', ARRAY['id'], 'customers: primary key (id)');
SELECT col_is_pk('crm', 'contacts', ARRAY['customer_id', 'id'], 'contacts: primary key (customer_id, id)');
SELECT col_is_pk('crm', 'orders', ARRAY['customer_id', 'id'], 'orders: primary key (customer_id, id)');
SELECT col_is_pk('crm', 'service_costs', ARRAY['customer_id', 'id'], 'service_costs: primary key (customer_id, id)');
SELECT col_is_pk('crm', 'campaigns', ARRAY['id'], 'campaigns: primary key (id)');
SELECT col_is_pk('crm', 'campaign_members', ARRAY['campaign_id', 'customer_id'], 'campaign_members: primary key (campaign_id, customer_id)');
SELECT col_is_pk('crm', 'pipeline_stages', ARRAY['pipeline', 'stage'], 'pipeline_stages: primary key (pipeline, stage)');
SELECT col_is_pk('crm', 'opportunities', ARRAY['customer_id', 'id'], 'opportunities: primary key (customer_id, id)');
SELECT col_is_pk('crm', 'opportunity_owners', ARRAY['customer_id', 'opportunity_id', 'owner'], 'opportunity_owners: primary key (customer_id, opportunity_id, owner)');
SELECT col_is_pk('crm', 'opportunity_history', ARRAY['customer_id', 'id'], 'opportunity_history: primary key (customer_id, id)');
SELECT col_is_pk('crm', 'quotes', ARRAY['customer_id', 'id'], 'quotes: primary key (customer_id, id)');
SELECT col_is_pk('crm', 'contracts', ARRAY['customer_id', 'id'], 'contracts: primary key (customer_id, id)');
SELECT col_is_pk('crm', 'contract_versions', ARRAY['customer_id', 'contract_id', 'version'], 'contract_versions: primary key (customer_id, contract_id, version)');
SELECT col_is_pk('crm', 'contract_history', ARRAY['customer_id', 'id'], 'contract_history: primary key (customer_id, id)');
SELECT col_is_pk('crm', 'quotas', ARRAY['id'], 'quotas: primary key (id)');
SELECT col_is_pk('crm', 'assessment_questions', ARRAY['question'], 'assessment_questions: primary key (question)');
SELECT col_is_pk('crm', 'assessments', ARRAY['id'], 'assessments: primary key (id)');
SELECT col_is_pk('crm', 'forecast_adjustments', ARRAY['id'], 'forecast_adjustments: primary key (id)');
SELECT col_is_pk('crm', 'status_transitions', ARRAY['object', 'from_status'], 'status_transitions: primary key (object, from_status)');
SELECT col_is_pk('crm', 'customer_grades', ARRAY['customer_id'], 'customer_grades: primary key (customer_id)');
SELECT col_is_pk('crm', 'grade_history', ARRAY['customer_id', 'id'], 'grade_history: primary key (customer_id, id)');
SELECT col_is_pk('crm', 'models', ARRAY['name'], 'models: primary key (name)');

-- The unique keys the composite foreign keys and the version numbering need.
SELECT col_is_unique('crm', 'pipeline_stages', ARRAY['pipeline', 'position'], 'pipeline_stages: unique (pipeline, position)');
SELECT col_is_unique('crm', 'quotes', ARRAY['customer_id', 'opportunity_id', 'version'], 'quotes: unique (customer_id, opportunity_id, version)');

--------------------------------------------------------------------------
-- Foreign keys, composite ones included
--------------------------------------------------------------------------

SELECT fk_ok('crm', 'contacts', ARRAY['customer_id'], 'crm', 'customers', ARRAY['id']);
-- reports_to stays within the same customer: the key includes customer_id.
SELECT fk_ok('crm', 'contacts', ARRAY['customer_id', 'reports_to'], 'crm', 'contacts', ARRAY['customer_id', 'id']);
SELECT fk_ok('crm', 'orders', ARRAY['customer_id'], 'crm', 'customers', ARRAY['id']);
SELECT fk_ok('crm', 'service_costs', ARRAY['customer_id'], 'crm', 'customers', ARRAY['id']);
SELECT fk_ok('crm', 'campaign_members', ARRAY['campaign_id'], 'crm', 'campaigns', ARRAY['id']);
SELECT fk_ok('crm', 'campaign_members', ARRAY['customer_id'], 'crm', 'customers', ARRAY['id']);
SELECT fk_ok('crm', 'opportunities', ARRAY['customer_id'], 'crm', 'customers', ARRAY['id']);
SELECT fk_ok('crm', 'opportunities', ARRAY['campaign_id'], 'crm', 'campaigns', ARRAY['id']);
-- An opportunity's stage must be a stage of its own pipeline.
SELECT fk_ok('crm', 'opportunities', ARRAY['pipeline', 'stage'], 'crm', 'pipeline_stages', ARRAY['pipeline', 'stage']);
SELECT fk_ok('crm', 'opportunity_owners', ARRAY['customer_id', 'opportunity_id'], 'crm', 'opportunities', ARRAY['customer_id', 'id']);
SELECT fk_ok('crm', 'opportunity_history', ARRAY['customer_id', 'opportunity_id'], 'crm', 'opportunities', ARRAY['customer_id', 'id']);
SELECT fk_ok('crm', 'quotes', ARRAY['customer_id', 'opportunity_id'], 'crm', 'opportunities', ARRAY['customer_id', 'id']);
SELECT fk_ok('crm', 'contracts', ARRAY['customer_id'], 'crm', 'customers', ARRAY['id']);
SELECT fk_ok('crm', 'contracts', ARRAY['customer_id', 'opportunity_id'], 'crm', 'opportunities', ARRAY['customer_id', 'id']);
SELECT fk_ok('crm', 'contracts', ARRAY['campaign_id'], 'crm', 'campaigns', ARRAY['id']);
SELECT fk_ok('crm', 'contract_versions', ARRAY['customer_id', 'contract_id'], 'crm', 'contracts', ARRAY['customer_id', 'id']);
SELECT fk_ok('crm', 'contract_history', ARRAY['customer_id', 'contract_id'], 'crm', 'contracts', ARRAY['customer_id', 'id']);
SELECT fk_ok('crm', 'customer_grades', ARRAY['customer_id'], 'crm', 'customers', ARRAY['id']);
SELECT fk_ok('crm', 'grade_history', ARRAY['customer_id'], 'crm', 'customers', ARRAY['id']);

-- No other foreign keys, and each with the intended delete / update action:
-- child rows of a customer, campaign, opportunity or contract go with it,
-- except that contracts and opportunities outlive the campaign they are
-- credited to (SET NULL) and contracts the opportunity they closed (the key
-- includes customer_id, so the trigger opportunities_delete clears it).
SELECT results_eq(
	$$SELECT c.conrelid::regclass::text, c.confrelid::regclass::text,
			 c.confdeltype::text, c.confupdtype::text
		FROM pg_catalog.pg_constraint c
	   WHERE c.contype = 'f' AND c.connamespace = 'crm'::regnamespace
	   ORDER BY 1, pg_catalog.array_to_string(c.conkey, ',')$$,
	$$VALUES ('crm.campaign_members', 'crm.campaigns', 'c', 'a'),
			 ('crm.campaign_members', 'crm.customers', 'c', 'a'),
			 ('crm.contacts', 'crm.customers', 'c', 'a'),
			 ('crm.contacts', 'crm.contacts', 'a', 'a'),
			 ('crm.contract_history', 'crm.contracts', 'c', 'a'),
			 ('crm.contract_versions', 'crm.contracts', 'c', 'a'),
			 ('crm.contracts', 'crm.customers', 'c', 'a'),
			 ('crm.contracts', 'crm.opportunities', 'a', 'a'),
			 ('crm.contracts', 'crm.campaigns', 'n', 'a'),
			 ('crm.customer_grades', 'crm.customers', 'c', 'a'),
			 ('crm.grade_history', 'crm.customers', 'c', 'a'),
			 ('crm.opportunities', 'crm.customers', 'c', 'a'),
			 ('crm.opportunities', 'crm.campaigns', 'n', 'a'),
			 ('crm.opportunities', 'crm.pipeline_stages', 'a', 'c'),
			 ('crm.opportunity_approvals', 'crm.opportunities', 'c', 'a'),
			 ('crm.opportunity_history', 'crm.opportunities', 'c', 'a'),
			 ('crm.opportunity_owners', 'crm.opportunities', 'c', 'a'),
			 ('crm.orders', 'crm.customers', 'c', 'a'),
			 ('crm.quotes', 'crm.opportunities', 'c', 'a'),
			 ('crm.service_costs', 'crm.customers', 'c', 'a')$$,
	'all 20 foreign keys of crm, with their ON DELETE / ON UPDATE actions'
);

--------------------------------------------------------------------------
-- NOT NULL and defaults of the important columns
--------------------------------------------------------------------------

-- Status columns: never NULL, and a new row starts in the first state.
SELECT col_not_null('crm', 'campaigns', 'status', 'campaigns.status is NOT NULL');
SELECT col_default_is('crm', 'campaigns', 'status', 'planned', 'campaigns.status defaults to planned');
SELECT col_not_null('crm', 'opportunities', 'status', 'opportunities.status is NOT NULL');
SELECT col_default_is('crm', 'opportunities', 'status', 'open', 'opportunities.status defaults to open');
SELECT col_not_null('crm', 'quotes', 'status', 'quotes.status is NOT NULL');
SELECT col_default_is('crm', 'quotes', 'status', 'draft', 'quotes.status defaults to draft');
SELECT col_not_null('crm', 'contracts', 'status', 'contracts.status is NOT NULL');
SELECT col_default_is('crm', 'contracts', 'status', 'draft', 'contracts.status defaults to draft');
SELECT col_not_null('crm', 'customers', 'credit_status', 'customers.credit_status is NOT NULL');
SELECT col_default_is('crm', 'customers', 'credit_status', 'good', 'customers.credit_status defaults to good');
SELECT col_not_null('crm', 'customers', 'kind', 'customers.kind is NOT NULL');
SELECT col_default_is('crm', 'customers', 'kind', 'company', 'customers.kind defaults to company');

-- created_at: always set, to the transaction time by default.
SELECT col_not_null('crm', 'customers', 'created_at', 'customers.created_at is NOT NULL');
SELECT col_has_default('crm', 'customers', 'created_at', 'customers.created_at has a default');
SELECT col_default_is('crm', 'customers', 'created_at', 'now()', 'customers.created_at defaults to now()');
SELECT col_not_null('crm', 'campaigns', 'created_at', 'campaigns.created_at is NOT NULL');
SELECT col_default_is('crm', 'campaigns', 'created_at', 'now()', 'campaigns.created_at defaults to now()');
SELECT col_not_null('crm', 'opportunities', 'created_at', 'opportunities.created_at is NOT NULL');
SELECT col_default_is('crm', 'opportunities', 'created_at', 'now()', 'opportunities.created_at defaults to now()');
SELECT col_not_null('crm', 'quotes', 'created_at', 'quotes.created_at is NOT NULL');
SELECT col_default_is('crm', 'quotes', 'created_at', 'now()', 'quotes.created_at defaults to now()');
SELECT col_not_null('crm', 'contracts', 'created_at', 'contracts.created_at is NOT NULL');
SELECT col_default_is('crm', 'contracts', 'created_at', 'now()', 'contracts.created_at defaults to now()');

-- updated_at is maintained by triggers; it still needs a value on INSERT.
SELECT col_not_null('crm', 'customers', 'updated_at', 'customers.updated_at is NOT NULL');
SELECT col_has_default('crm', 'customers', 'updated_at', 'customers.updated_at has a default');
SELECT col_not_null('crm', 'opportunities', 'updated_at', 'opportunities.updated_at is NOT NULL');
SELECT col_has_default('crm', 'opportunities', 'updated_at', 'opportunities.updated_at has a default');
SELECT col_not_null('crm', 'contracts', 'updated_at', 'contracts.updated_at is NOT NULL');
SELECT col_has_default('crm', 'contracts', 'updated_at', 'contracts.updated_at has a default');

-- tags and attributes are never NULL, so filters need no coalesce().
SELECT col_not_null('crm', 'customers', 'tags', 'customers.tags is NOT NULL');
SELECT col_has_default('crm', 'customers', 'tags', 'customers.tags has a default');
SELECT col_default_is('crm', 'customers', 'tags', '{}'::text[], 'customers.tags defaults to the empty array');
SELECT col_not_null('crm', 'customers', 'attributes', 'customers.attributes is NOT NULL');
SELECT col_has_default('crm', 'customers', 'attributes', 'customers.attributes has a default');
SELECT col_default_is('crm', 'customers', 'attributes', '{}'::jsonb, 'customers.attributes defaults to the empty object');

-- History rows say who made the change.
SELECT col_not_null('crm', 'opportunity_history', 'changed_by', 'opportunity_history.changed_by is NOT NULL');
SELECT col_default_is('crm', 'opportunity_history', 'changed_by', 'CURRENT_USER', 'opportunity_history.changed_by defaults to CURRENT_USER');
SELECT col_not_null('crm', 'contract_history', 'changed_by', 'contract_history.changed_by is NOT NULL');
SELECT col_default_is('crm', 'contract_history', 'changed_by', 'CURRENT_USER', 'contract_history.changed_by defaults to CURRENT_USER');

-- A quote's version has no default: the quotes_version trigger numbers it.
SELECT col_not_null('crm', 'quotes', 'version', 'quotes.version is NOT NULL');
SELECT col_hasnt_default('crm', 'quotes', 'version', 'quotes.version has no default (set by trigger)');

-- A new opportunity follows the default pipeline.
SELECT col_default_is('crm', 'opportunities', 'pipeline', 'project', 'opportunities.pipeline defaults to project');

-- Every id is an identity column (GENERATED BY DEFAULT, so that imports
-- and pg_restore can keep their keys).
SELECT results_eq(
	$$SELECT c.relname::text COLLATE "default", a.attidentity::text
		FROM pg_catalog.pg_attribute a
		JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
	   WHERE c.relnamespace = 'crm'::regnamespace AND a.attidentity <> ''
	   ORDER BY 1$$,
	$$VALUES ('assessments', 'd'), ('audit_log', 'd'), ('campaigns', 'd'), ('contacts', 'd'), ('contract_history', 'd'),
			 ('contracts', 'd'), ('customers', 'd'), ('forecast_adjustments', 'd'), ('grade_history', 'd'),
			 ('opportunities', 'd'), ('opportunity_approvals', 'd'), ('opportunity_history', 'd'), ('orders', 'd'), ('quotas', 'd'),
			 ('quotes', 'd'), ('service_costs', 'd')$$,
	'identity columns: the id of 16 tables, all GENERATED BY DEFAULT'
);

--------------------------------------------------------------------------
-- Enum types, labels in order (the order is the lifecycle order)
--------------------------------------------------------------------------

SELECT enums_are('crm', ARRAY[
	'customer_kind', 'credit_status', 'service_cost_kind', 'campaign_status',
	'opportunity_status', 'quote_status', 'contract_status',
	'lifecycle_stage', 'relationship_state', 'forecast_category'
]);

SELECT has_enum('crm', 'customer_kind', 'enum crm.customer_kind should exist');
SELECT enum_has_labels('crm', 'customer_kind', ARRAY['company', 'person'],
	'crm.customer_kind labels');
SELECT has_enum('crm', 'credit_status', 'enum crm.credit_status should exist');
SELECT enum_has_labels('crm', 'credit_status', ARRAY['good', 'watch', 'hold', 'blocked'],
	'crm.credit_status labels');
SELECT has_enum('crm', 'service_cost_kind', 'enum crm.service_cost_kind should exist');
SELECT enum_has_labels('crm', 'service_cost_kind', ARRAY['visit', 'discount', 'support', 'other'],
	'crm.service_cost_kind labels');
SELECT has_enum('crm', 'campaign_status', 'enum crm.campaign_status should exist');
SELECT enum_has_labels('crm', 'campaign_status',
	ARRAY['planned', 'submitted', 'approved', 'active', 'completed', 'cancelled'],
	'crm.campaign_status labels');
SELECT has_enum('crm', 'opportunity_status', 'enum crm.opportunity_status should exist');
SELECT enum_has_labels('crm', 'opportunity_status',
	ARRAY['open', 'suspended', 'terminated', 'won', 'lost', 'archived'],
	'crm.opportunity_status labels');
SELECT has_enum('crm', 'quote_status', 'enum crm.quote_status should exist');
SELECT enum_has_labels('crm', 'quote_status', ARRAY['draft', 'submitted', 'approved', 'rejected'],
	'crm.quote_status labels');
SELECT has_enum('crm', 'contract_status', 'enum crm.contract_status should exist');
SELECT enum_has_labels('crm', 'contract_status',
	ARRAY['draft', 'submitted', 'approved', 'executing', 'interrupted', 'completed', 'closed'],
	'crm.contract_status labels');
SELECT has_enum('crm', 'forecast_category', 'enum crm.forecast_category should exist');
SELECT enum_has_labels('crm', 'forecast_category',
	ARRAY['omitted', 'pipeline', 'best_case', 'commit', 'closed'],
	'crm.forecast_category labels, least to most certain');

--------------------------------------------------------------------------
-- The state machines in crm.status_transitions
--------------------------------------------------------------------------

-- The shipped transitions, exactly.
SELECT results_eq(
	$$SELECT object, from_status, allowed::text FROM crm.status_transitions ORDER BY object, from_status$$,
	$$VALUES ('campaign', 'active', '{completed,cancelled}'),
			 ('campaign', 'approved', '{active,cancelled}'),
			 ('campaign', 'cancelled', '{}'),
			 ('campaign', 'completed', '{}'),
			 ('campaign', 'planned', '{submitted,cancelled}'),
			 ('campaign', 'submitted', '{planned,approved,cancelled}'),
			 ('contract', 'approved', '{executing,closed}'),
			 ('contract', 'closed', '{}'),
			 ('contract', 'completed', '{closed}'),
			 ('contract', 'draft', '{submitted,closed}'),
			 ('contract', 'executing', '{interrupted,completed}'),
			 ('contract', 'interrupted', '{executing,closed}'),
			 ('contract', 'submitted', '{draft,approved,closed}'),
			 ('opportunity', 'archived', '{}'),
			 ('opportunity', 'lost', '{archived}'),
			 ('opportunity', 'open', '{suspended,terminated,won,lost}'),
			 ('opportunity', 'suspended', '{open,terminated}'),
			 ('opportunity', 'terminated', '{archived}'),
			 ('opportunity', 'won', '{archived}'),
			 ('quote', 'approved', '{}'),
			 ('quote', 'draft', '{submitted}'),
			 ('quote', 'rejected', '{}'),
			 ('quote', 'submitted', '{draft,approved,rejected}')$$,
	'status_transitions holds the shipped state machines'
);

-- Every label of the four status enums has a row, and every allowed target
-- is a label of its enum: otherwise the triggers would reject valid moves or
-- name impossible ones in their hint.
SELECT set_eq(
	$$SELECT object, from_status FROM crm.status_transitions$$,
	$$SELECT 'opportunity', e::text FROM pg_catalog.unnest(pg_catalog.enum_range(NULL::crm.opportunity_status)) e
	  UNION ALL
	  SELECT 'campaign', e::text FROM pg_catalog.unnest(pg_catalog.enum_range(NULL::crm.campaign_status)) e
	  UNION ALL
	  SELECT 'contract', e::text FROM pg_catalog.unnest(pg_catalog.enum_range(NULL::crm.contract_status)) e
	  UNION ALL
	  SELECT 'quote', e::text FROM pg_catalog.unnest(pg_catalog.enum_range(NULL::crm.quote_status)) e$$,
	'status_transitions has one row per status of each state machine'
);
SELECT is_empty(
	$$SELECT t.object, a
		FROM crm.status_transitions t, pg_catalog.unnest(t.allowed) a
	   WHERE NOT EXISTS (SELECT FROM crm.status_transitions u
						  WHERE u.object = t.object AND u.from_status = a)$$,
	'every allowed target status is a status of the same state machine'
);

--------------------------------------------------------------------------
-- Functions
--------------------------------------------------------------------------

SELECT functions_are('crm', ARRAY[
	'lorenz_curve', 'value_concentration', 'value_ranking', 'clv_calibration', 'clv_tracking', 'clv_tracking_cohorts',
	'max_frequency_checked', 'p_alive_cells', 'p_alive_grid', 'time_unit_days', 'score_assessment', 'sales_report', 'customer_type', 'relationship_group',
	'check_status_transition', 'opportunities_before', 'opportunities_history',
	'opportunity_owners_check', 'quotes_version', 'quotes_before', 'parent_customer', 'opportunities_delete', 'campaigns_before',
	'use_approval', 'opportunity_approvals_before', 'require_summary',
	'write_quotas', 'forecast_quotas', 'dimension_quotas', 'adjust_quotas', 'new_customer_churn',
	'key_account_layout', 'key_account_file_errors', 'is_date', 'key_account_fields', 'customers_key_account', 'key_account_review',
	'review_key_account', 'key_account_features', 'check_tree_size', 'key_account_tree', 'key_account_profile', 'future_key_accounts',
	'market_profiles', 'market_segments',
	'contracts_before', 'contracts_history', 'contract_retention', 'touch_updated_at',
	'contacts_no_cycle', 'decision_path', 'pipeline_stages_before',
	'stage_renamed', 'demo_uniform', 'demo_normal', 'demo_pick', 'demo_orders',
	'generate_demo_data',
	'purchase_stats', 'purchase_stats_trans', 'purchase_stats_combine',
	'purchase_stats_serialize', 'purchase_stats_deserialize', 'purchase_stats_final',
	'rfm_summary',
	'value_score', 'rfm_segment', 'lifecycle', 'relationship', 'segment',
	'segment_strategy',
	'overdue', 'pareto_class', 'pareto_classes', 'refresh_grades',
	'bgnbd_fit', 'bgnbd_fit_trans', 'bgnbd_fit_combine', 'bgnbd_fit_final',
	'bgnbd_p_alive', 'bgnbd_expected_purchases', 'bgnbd_expected_purchases_unconditional',
	'bgnbd_p_purchases', 'gammagamma_fit', 'gammagamma_fit_trans', 'gammagamma_fit_combine',
	'gammagamma_fit_final', 'gammagamma_expected_spend', 'clv', 'clv_interval', 'fit_parameters', 'calibration_holdout',
	'clv_net', 'service_cost_per_purchase', 'compare_models',
	'paretonbd_fit', 'paretonbd_fit_trans', 'paretonbd_fit_combine', 'paretonbd_fit_final',
	'paretonbd_p_alive', 'paretonbd_expected_purchases', 'paretonbd_expected_purchases_unconditional', 'paretonbd_p_purchases',
	'mbgnbd_fit', 'mbgnbd_fit_trans', 'mbgnbd_fit_combine', 'mbgnbd_fit_final',
	'mbgnbd_p_alive', 'mbgnbd_expected_purchases', 'mbgnbd_expected_purchases_unconditional',
	'sbg_fit', 'sbg_fit_trans', 'sbg_fit_combine', 'sbg_fit_final', 'sbg_survival', 'sbg_retention_rate', 'sbg_derl',
	'bgbb_fit', 'bgbb_fit_trans', 'bgbb_fit_combine', 'bgbb_fit_final', 'bgbb_p_alive', 'bgbb_expected_purchases', 'bgbb_expected_purchases_unconditional',
	'win_probability', 'months_to_close', 'funnel_forecast', 'funnel_forecast_trans',
	'funnel_forecast_combine', 'funnel_forecast_final', 'pipeline_funnel', 'known_pipeline', 'stage_entered_at',
	'pipeline_forecast', 'empirical_funnel', 'apply_empirical_funnel', 'handover',
	'opportunities_as_of', 'check_period', 'pipeline_changes', 'pipeline_waterfall', 'forecast_as_of', 'forecast_accuracy', 'pipeline_issues',
	'nb_train', 'nb_train_trans', 'nb_train_combine', 'nb_train_serialize', 'nb_train_deserialize', 'nb_train_final',
	'nb_score', 'nb_factors', 'nb_bin', 'nb_merge', 'deal_snapshots',
	'default_forecast_category', 'forecast_rollup', 'check_forecast_period', 'adjust_forecast',
	'allocate', 'sales_share', 'allocate_quotas', 'seasonal_forecast', 'seasonal_forecast_trans',
	'seasonal_forecast_combine', 'seasonal_forecast_final',
	'roi', 'spend_band', 'campaigns_in_period', 'campaign_rollup', 'campaign_sales_lift',
	'contract_execution_status',
	'tree_in', 'tree_out', 'tree_recv', 'tree_send', 'tree_train', 'tree_score', 'tree_score_columns',
	'tree_support', 'tree_predict',
	'tree_probabilities', 'tree_leaf', 'tree_info', 'tree_rules', 'tree_to_sql', 'tree_to_dot', 'tree_importance',
	'auc', 'auc_trans', 'auc_combine', 'auc_serialize', 'auc_deserialize', 'auc_final',
	'lift_table', 'gain_curve', 'tree_train_model',
	'audit_actor', 'audit_skip', 'audit_changes', 'audit_log_protect', 'audit_purge',
	'customer_history', 'audit_report',
	'normalize_name', 'normalize_phone', 'name_similarity', 'jaro_winkler', 'find_duplicates', 'merge_customers',
	'import_columns', 'create_import_table', 'import_customers', 'tag_customers', 'untag_customers',
	'transfer_owner',
	'is_manager', 'clearance', 'can_edit', 'row_security_policies', 'row_write_check',
	'require_extension_owner', 'enable_row_security', 'disable_row_security', 'row_security_restore',
	'row_security_state_guard',
	'distribution', 'separate_sequences', 'is_distributed', 'distribute', 'undistribute', 'set_local', 'drop_guard', 'set_audit_context'
]);

SELECT has_function('crm', 'check_status_transition', ARRAY['text', 'bigint', 'text', 'text']);
SELECT has_function('crm', 'opportunities_before', ARRAY[]::name[]);
SELECT has_function('crm', 'opportunities_history', ARRAY[]::name[]);
SELECT has_function('crm', 'opportunity_owners_check', ARRAY[]::name[]);
SELECT has_function('crm', 'quotes_version', ARRAY[]::name[]);
SELECT has_function('crm', 'parent_customer', ARRAY[]::name[]);
SELECT has_function('crm', 'opportunities_delete', ARRAY[]::name[]);
SELECT has_function('crm', 'campaigns_before', ARRAY[]::name[]);
SELECT has_function('crm', 'contracts_before', ARRAY[]::name[]);
SELECT has_function('crm', 'contracts_history', ARRAY[]::name[]);
SELECT has_function('crm', 'touch_updated_at', ARRAY[]::name[]);
SELECT has_function('crm', 'contacts_no_cycle', ARRAY[]::name[]);
SELECT has_function('crm', 'decision_path', ARRAY['bigint']);
SELECT has_function('crm', 'pipeline_stages_before', ARRAY[]::name[]);
SELECT has_function('crm', 'stage_renamed', ARRAY['text', 'text']);
SELECT has_function('crm', 'demo_uniform', ARRAY['bigint', 'integer', 'bigint']);
SELECT has_function('crm', 'demo_normal', ARRAY['bigint', 'integer', 'bigint']);
SELECT has_function('crm', 'demo_pick', ARRAY['bigint', 'integer', 'bigint', 'text[]']);
SELECT has_function('crm', 'demo_orders', ARRAY['bigint', 'bigint', 'timestamp with time zone',
	'timestamp with time zone', 'double precision', 'double precision']);
SELECT has_function('crm', 'generate_demo_data', ARRAY['integer', 'integer']);
SELECT has_function('crm', 'pareto_classes', ARRAY['date', 'text', 'numeric', 'numeric']);
SELECT has_function('crm', 'refresh_grades', ARRAY['date']);

-- Return types of the functions users call.
SELECT function_returns('crm', 'check_status_transition', ARRAY['text', 'bigint', 'text', 'text'], 'void');
SELECT function_returns('crm', 'decision_path', ARRAY['bigint'], 'setof record');
SELECT function_returns('crm', 'stage_renamed', ARRAY['text', 'text'], 'boolean');
SELECT function_returns('crm', 'demo_uniform', ARRAY['bigint', 'integer', 'bigint'], 'double precision');
SELECT function_returns('crm', 'demo_normal', ARRAY['bigint', 'integer', 'bigint'], 'double precision');
SELECT function_returns('crm', 'demo_pick', ARRAY['bigint', 'integer', 'bigint', 'text[]'], 'text');
SELECT function_returns('crm', 'demo_orders', ARRAY['bigint', 'bigint', 'timestamp with time zone',
	'timestamp with time zone', 'double precision', 'double precision'], 'setof record');
SELECT function_returns('crm', 'generate_demo_data', ARRAY['integer', 'integer'], 'setof record');

-- The trigger functions return trigger and pin their search_path, so
-- that nothing planted in another schema can capture their lookups.
SELECT results_eq(
	$$SELECT p.proname::text COLLATE "default", p.proconfig::text COLLATE "default"
		FROM pg_catalog.pg_proc p
	   WHERE p.pronamespace = 'crm'::regnamespace
		 AND p.prorettype = 'trigger'::regtype
	   ORDER BY 1$$,
	$$SELECT n, '{"search_path=pg_catalog, pg_temp"}'
		FROM pg_catalog.unnest('{audit_changes,audit_log_protect,campaigns_before,contacts_no_cycle,customers_key_account,contracts_before,contracts_history,opportunities_before,opportunities_delete,opportunities_history,opportunity_approvals_before,opportunity_owners_check,parent_customer,pipeline_stages_before,quotes_before,quotes_version,row_security_restore,row_security_state_guard,row_write_check,touch_updated_at}'::text[]) n
	   ORDER BY 1$$,
	'trigger functions: all twenty, each with SET search_path = pg_catalog, pg_temp'
);

-- The optional arguments of demo_orders and generate_demo_data.
SELECT is(
	(SELECT pg_catalog.pg_get_function_arguments('crm.demo_orders(bigint, bigint, timestamptz, timestamptz, float8, float8)'::regprocedure)),
	'seed bigint, customer_id bigint, first_purchase timestamp with time zone, until timestamp with time zone, spend_scale double precision DEFAULT 1, dropout_scale double precision DEFAULT 1',
	'demo_orders: spend_scale and dropout_scale default to 1'
);
SELECT is(
	(SELECT pg_catalog.pg_get_function_arguments('crm.generate_demo_data(integer, integer)'::regprocedure)),
	'customers integer, seed integer DEFAULT 42',
	'generate_demo_data: seed defaults to 42'
);

--------------------------------------------------------------------------
-- Triggers
--------------------------------------------------------------------------

SELECT triggers_are('crm', 'customers', ARRAY['customers_touch', 'customers_key_account', 'audit_insert', 'audit_update', 'audit_delete', 'audit_truncate', 'row_write_check']);
SELECT triggers_are('crm', 'contacts', ARRAY['contacts_no_cycle', 'row_write_check', 'audit_insert', 'audit_update', 'audit_delete', 'audit_truncate']);
SELECT triggers_are('crm', 'orders', ARRAY['row_write_check', 'audit_insert', 'audit_update', 'audit_delete', 'audit_truncate']);
SELECT triggers_are('crm', 'audit_log', ARRAY['audit_log_protect', 'audit_log_protect_truncate']);
SELECT triggers_are('crm', 'row_security_state', ARRAY['row_security_restore', 'row_security_state_guard']);
SELECT triggers_are('crm', 'campaigns', ARRAY['campaigns_before']);
SELECT triggers_are('crm', 'pipeline_stages', ARRAY['pipeline_stages_before']);
SELECT triggers_are('crm', 'opportunities', ARRAY['opportunities_before', 'opportunities_delete', 'opportunities_history', 'audit_insert', 'audit_update', 'audit_delete', 'audit_truncate', 'row_write_check']);
SELECT triggers_are('crm', 'opportunity_owners', ARRAY['opportunity_owners_sum', 'opportunity_owners_customer', 'row_write_check']);
SELECT triggers_are('crm', 'opportunity_history', ARRAY['opportunity_history_customer', 'audit_delete']);
SELECT triggers_are('crm', 'quotes', ARRAY['quotes_customer', 'quotes_version', 'quotes_before', 'row_write_check', 'audit_insert', 'audit_update', 'audit_delete', 'audit_truncate']);
SELECT triggers_are('crm', 'opportunity_approvals', ARRAY['opportunity_approvals_customer', 'opportunity_approvals_stamp', 'audit_insert', 'audit_update', 'audit_delete', 'audit_truncate']);
SELECT triggers_are('crm', 'contract_versions', ARRAY['contract_versions_customer']);
SELECT triggers_are('crm', 'contract_history', ARRAY['contract_history_customer']);
SELECT triggers_are('crm', 'contracts', ARRAY['contracts_before', 'contracts_history', 'audit_insert', 'audit_update', 'audit_delete', 'audit_truncate', 'row_write_check']);

SELECT has_trigger('crm', 'customers', 'customers_touch'::name);
SELECT has_trigger('crm', 'contacts', 'contacts_no_cycle'::name);
SELECT has_trigger('crm', 'campaigns', 'campaigns_before'::name);
SELECT has_trigger('crm', 'pipeline_stages', 'pipeline_stages_before'::name);
SELECT has_trigger('crm', 'opportunities', 'opportunities_before'::name);
SELECT has_trigger('crm', 'opportunities', 'opportunities_history'::name);
SELECT has_trigger('crm', 'opportunity_owners', 'opportunity_owners_sum'::name);
SELECT has_trigger('crm', 'quotes', 'quotes_version'::name);
SELECT has_trigger('crm', 'contracts', 'contracts_before'::name);
SELECT has_trigger('crm', 'contracts', 'contracts_history'::name);

-- Each trigger's function, timing, events and level; the share check is a
-- deferred constraint trigger so that shares can be moved within a
-- transaction.  No other table has triggers.
SELECT results_eq(
	$$SELECT t.tgrelid::regclass::text, t.tgname::text COLLATE "default", t.tgfoid::regproc::text,
			 CASE WHEN t.tgtype & 2 <> 0 THEN 'BEFORE' ELSE 'AFTER' END,
			 pg_catalog.concat_ws(' OR ',
				CASE WHEN t.tgtype & 4 <> 0 THEN 'INSERT' END,
				CASE WHEN t.tgtype & 16 <> 0 THEN 'UPDATE' END,
				CASE WHEN t.tgtype & 8 <> 0 THEN 'DELETE' END,
				CASE WHEN t.tgtype & 32 <> 0 THEN 'TRUNCATE' END),
			 CASE WHEN t.tgtype & 1 <> 0 THEN 'ROW' ELSE 'STATEMENT' END,
			 (SELECT pg_catalog.string_agg(a.attname::text COLLATE "default", ', ' ORDER BY a.attnum)
				FROM pg_catalog.pg_attribute a
			   WHERE a.attrelid = t.tgrelid AND a.attnum = ANY (t.tgattr)),
			 t.tgqual IS NOT NULL, t.tgconstraint <> 0, t.tgdeferrable, t.tginitdeferred
		FROM pg_catalog.pg_trigger t
		JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
	   WHERE c.relnamespace = 'crm'::regnamespace AND NOT t.tgisinternal
	   ORDER BY 1, 2$$,
	$$VALUES
		('crm.audit_log', 'audit_log_protect', 'crm.audit_log_protect', 'BEFORE', 'UPDATE OR DELETE', 'ROW', NULL, false, false, false, false),
		('crm.audit_log', 'audit_log_protect_truncate', 'crm.audit_log_protect', 'BEFORE', 'TRUNCATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.campaign_members', 'audit_delete', 'crm.audit_changes', 'AFTER', 'DELETE', 'STATEMENT', NULL, false, false, false, false),
		('crm.campaign_members', 'audit_insert', 'crm.audit_changes', 'AFTER', 'INSERT', 'STATEMENT', NULL, false, false, false, false),
		('crm.campaign_members', 'audit_truncate', 'crm.audit_changes', 'AFTER', 'TRUNCATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.campaign_members', 'audit_update', 'crm.audit_changes', 'AFTER', 'UPDATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.campaign_members', 'row_write_check', 'crm.row_write_check', 'BEFORE', 'UPDATE OR DELETE', 'ROW', NULL, true, false, false, false),
		('crm.campaigns', 'campaigns_before', 'crm.campaigns_before', 'BEFORE', 'INSERT OR UPDATE', 'ROW', 'status', false, false, false, false),
		('crm.contacts', 'audit_delete', 'crm.audit_changes', 'AFTER', 'DELETE', 'STATEMENT', NULL, false, false, false, false),
		('crm.contacts', 'audit_insert', 'crm.audit_changes', 'AFTER', 'INSERT', 'STATEMENT', NULL, false, false, false, false),
		('crm.contacts', 'audit_truncate', 'crm.audit_changes', 'AFTER', 'TRUNCATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.contacts', 'audit_update', 'crm.audit_changes', 'AFTER', 'UPDATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.contacts', 'contacts_no_cycle', 'crm.contacts_no_cycle', 'BEFORE', 'UPDATE', 'ROW', 'reports_to', true, false, false, false),
		('crm.contacts', 'row_write_check', 'crm.row_write_check', 'BEFORE', 'UPDATE OR DELETE', 'ROW', NULL, true, false, false, false),
		('crm.contract_history', 'contract_history_customer', 'crm.parent_customer', 'BEFORE', 'INSERT', 'ROW', NULL, true, false, false, false),
		('crm.contract_versions', 'contract_versions_customer', 'crm.parent_customer', 'BEFORE', 'INSERT', 'ROW', NULL, true, false, false, false),
		('crm.contracts', 'audit_delete', 'crm.audit_changes', 'AFTER', 'DELETE', 'STATEMENT', NULL, false, false, false, false),
		('crm.contracts', 'audit_insert', 'crm.audit_changes', 'AFTER', 'INSERT', 'STATEMENT', NULL, false, false, false, false),
		('crm.contracts', 'audit_truncate', 'crm.audit_changes', 'AFTER', 'TRUNCATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.contracts', 'audit_update', 'crm.audit_changes', 'AFTER', 'UPDATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.contracts', 'contracts_before', 'crm.contracts_before', 'BEFORE', 'UPDATE', 'ROW', NULL, false, false, false, false),
		('crm.contracts', 'contracts_history', 'crm.contracts_history', 'AFTER', 'UPDATE', 'ROW', NULL, true, false, false, false),
		('crm.contracts', 'row_write_check', 'crm.row_write_check', 'BEFORE', 'UPDATE OR DELETE', 'ROW', NULL, true, false, false, false),
		('crm.customers', 'audit_delete', 'crm.audit_changes', 'AFTER', 'DELETE', 'STATEMENT', NULL, false, false, false, false),
		('crm.customers', 'audit_insert', 'crm.audit_changes', 'AFTER', 'INSERT', 'STATEMENT', NULL, false, false, false, false),
		('crm.customers', 'audit_truncate', 'crm.audit_changes', 'AFTER', 'TRUNCATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.customers', 'audit_update', 'crm.audit_changes', 'AFTER', 'UPDATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.customers', 'customers_key_account', 'crm.customers_key_account', 'BEFORE', 'INSERT OR UPDATE', 'ROW', 'attributes', true, false, false, false),
		('crm.customers', 'customers_touch', 'crm.touch_updated_at', 'BEFORE', 'UPDATE', 'ROW', NULL, false, false, false, false),
		('crm.customers', 'row_write_check', 'crm.row_write_check', 'BEFORE', 'UPDATE OR DELETE', 'ROW', NULL, true, false, false, false),
		('crm.models', 'row_write_check', 'crm.row_write_check', 'BEFORE', 'UPDATE OR DELETE', 'ROW', NULL, true, false, false, false),
		('crm.opportunities', 'audit_delete', 'crm.audit_changes', 'AFTER', 'DELETE', 'STATEMENT', NULL, false, false, false, false),
		('crm.opportunities', 'audit_insert', 'crm.audit_changes', 'AFTER', 'INSERT', 'STATEMENT', NULL, false, false, false, false),
		('crm.opportunities', 'audit_truncate', 'crm.audit_changes', 'AFTER', 'TRUNCATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.opportunities', 'audit_update', 'crm.audit_changes', 'AFTER', 'UPDATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.opportunities', 'opportunities_before', 'crm.opportunities_before', 'BEFORE', 'INSERT OR UPDATE', 'ROW', NULL, false, false, false, false),
		('crm.opportunities', 'opportunities_delete', 'crm.opportunities_delete', 'BEFORE', 'DELETE', 'ROW', NULL, false, false, false, false),
		('crm.opportunities', 'opportunities_history', 'crm.opportunities_history', 'AFTER', 'UPDATE', 'ROW', NULL, true, false, false, false),
		('crm.opportunities', 'row_write_check', 'crm.row_write_check', 'BEFORE', 'UPDATE OR DELETE', 'ROW', NULL, true, false, false, false),
		('crm.opportunity_approvals', 'audit_delete', 'crm.audit_changes', 'AFTER', 'DELETE', 'STATEMENT', NULL, false, false, false, false),
		('crm.opportunity_approvals', 'audit_insert', 'crm.audit_changes', 'AFTER', 'INSERT', 'STATEMENT', NULL, false, false, false, false),
		('crm.opportunity_approvals', 'audit_truncate', 'crm.audit_changes', 'AFTER', 'TRUNCATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.opportunity_approvals', 'audit_update', 'crm.audit_changes', 'AFTER', 'UPDATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.opportunity_approvals', 'opportunity_approvals_customer', 'crm.parent_customer', 'BEFORE', 'INSERT', 'ROW', NULL, true, false, false, false),
		('crm.opportunity_approvals', 'opportunity_approvals_stamp', 'crm.opportunity_approvals_before', 'BEFORE', 'INSERT OR UPDATE', 'ROW', NULL, false, false, false, false),
		('crm.opportunity_history', 'audit_delete', 'crm.audit_changes', 'AFTER', 'DELETE', 'STATEMENT', NULL, false, false, false, false),
		('crm.opportunity_history', 'opportunity_history_customer', 'crm.parent_customer', 'BEFORE', 'INSERT', 'ROW', NULL, true, false, false, false),
		('crm.opportunity_owners', 'opportunity_owners_customer', 'crm.parent_customer', 'BEFORE', 'INSERT', 'ROW', NULL, true, false, false, false),
		('crm.opportunity_owners', 'opportunity_owners_sum', 'crm.opportunity_owners_check', 'AFTER', 'INSERT OR UPDATE OR DELETE', 'ROW', NULL, false, true, true, true),
		('crm.opportunity_owners', 'row_write_check', 'crm.row_write_check', 'BEFORE', 'UPDATE OR DELETE', 'ROW', NULL, true, false, false, false),
		('crm.orders', 'audit_delete', 'crm.audit_changes', 'AFTER', 'DELETE', 'STATEMENT', NULL, false, false, false, false),
		('crm.orders', 'audit_insert', 'crm.audit_changes', 'AFTER', 'INSERT', 'STATEMENT', NULL, false, false, false, false),
		('crm.orders', 'audit_truncate', 'crm.audit_changes', 'AFTER', 'TRUNCATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.orders', 'audit_update', 'crm.audit_changes', 'AFTER', 'UPDATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.orders', 'row_write_check', 'crm.row_write_check', 'BEFORE', 'UPDATE OR DELETE', 'ROW', NULL, true, false, false, false),
		('crm.pipeline_stages', 'pipeline_stages_before', 'crm.pipeline_stages_before', 'BEFORE', 'INSERT OR UPDATE', 'ROW', NULL, false, false, false, false),
		('crm.quotes', 'audit_delete', 'crm.audit_changes', 'AFTER', 'DELETE', 'STATEMENT', NULL, false, false, false, false),
		('crm.quotes', 'audit_insert', 'crm.audit_changes', 'AFTER', 'INSERT', 'STATEMENT', NULL, false, false, false, false),
		('crm.quotes', 'audit_truncate', 'crm.audit_changes', 'AFTER', 'TRUNCATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.quotes', 'audit_update', 'crm.audit_changes', 'AFTER', 'UPDATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.quotes', 'quotes_before', 'crm.quotes_before', 'BEFORE', 'UPDATE', 'ROW', NULL, false, false, false, false),
		('crm.quotes', 'quotes_customer', 'crm.parent_customer', 'BEFORE', 'INSERT', 'ROW', NULL, true, false, false, false),
		('crm.quotes', 'quotes_version', 'crm.quotes_version', 'BEFORE', 'INSERT', 'ROW', NULL, false, false, false, false),
		('crm.quotes', 'row_write_check', 'crm.row_write_check', 'BEFORE', 'UPDATE OR DELETE', 'ROW', NULL, true, false, false, false),
		('crm.row_security_state', 'row_security_restore', 'crm.row_security_restore', 'AFTER', 'INSERT', 'ROW', NULL, false, false, false, false),
		('crm.row_security_state', 'row_security_state_guard', 'crm.row_security_state_guard', 'BEFORE', 'INSERT OR UPDATE OR DELETE OR TRUNCATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.service_costs', 'audit_delete', 'crm.audit_changes', 'AFTER', 'DELETE', 'STATEMENT', NULL, false, false, false, false),
		('crm.service_costs', 'audit_insert', 'crm.audit_changes', 'AFTER', 'INSERT', 'STATEMENT', NULL, false, false, false, false),
		('crm.service_costs', 'audit_truncate', 'crm.audit_changes', 'AFTER', 'TRUNCATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.service_costs', 'audit_update', 'crm.audit_changes', 'AFTER', 'UPDATE', 'STATEMENT', NULL, false, false, false, false),
		('crm.service_costs', 'row_write_check', 'crm.row_write_check', 'BEFORE', 'UPDATE OR DELETE', 'ROW', NULL, true, false, false, false)
	$$,
	'triggers of crm: function, timing, events, level, UPDATE OF columns, WHEN, deferral'
);

--------------------------------------------------------------------------
-- Indexes
--------------------------------------------------------------------------

-- The named indexes and the columns they cover.
SELECT has_index('crm', 'customers', 'customers_owner_idx', ARRAY['owner']);
SELECT has_index('crm', 'customers', 'customers_region_idx', ARRAY['region']);
SELECT has_index('crm', 'customers', 'customers_tags_idx', ARRAY['tags']);
SELECT has_index('crm', 'contacts', 'contacts_id_idx', ARRAY['id']);
SELECT has_index('crm', 'orders', 'orders_customer_idx', ARRAY['customer_id', 'ordered_at']);
SELECT has_index('crm', 'service_costs', 'service_costs_customer_idx', ARRAY['customer_id', 'incurred_on']);
SELECT has_index('crm', 'campaign_members', 'campaign_members_customer_idx', ARRAY['customer_id']);
SELECT has_index('crm', 'pipeline_stages', 'pipeline_stages_one_final_idx', ARRAY['pipeline']);
SELECT has_index('crm', 'opportunities', 'opportunities_id_idx', ARRAY['id']);
SELECT has_index('crm', 'opportunities', 'opportunities_owner_idx', ARRAY['owner']);
SELECT has_index('crm', 'opportunities', 'opportunities_campaign_idx', ARRAY['campaign_id']);
SELECT has_index('crm', 'opportunity_history', 'opportunity_history_opportunity_idx', ARRAY['opportunity_id', 'changed_at']);
SELECT has_index('crm', 'contracts', 'contracts_id_idx', ARRAY['id']);
SELECT has_index('crm', 'contracts', 'contracts_opportunity_idx', ARRAY['customer_id', 'opportunity_id']);
SELECT has_index('crm', 'contracts', 'contracts_campaign_idx', ARRAY['campaign_id']);
SELECT has_index('crm', 'contract_history', 'contract_history_contract_idx', ARRAY['contract_id', 'changed_at']);
SELECT has_index('crm', 'grade_history', 'grade_history_customer_idx', ARRAY['customer_id', 'changed_at']);

-- Tag filters (tags @> ...) need GIN; one final stage per pipeline needs a
-- unique partial index; the owner index only covers live opportunities.
SELECT index_is_type('crm', 'customers', 'customers_tags_idx', 'gin');
SELECT index_is_unique('crm', 'pipeline_stages', 'pipeline_stages_one_final_idx');
SELECT is(
	(SELECT pg_catalog.pg_get_expr(i.indpred, i.indrelid)
	   FROM pg_catalog.pg_index i
	  WHERE i.indexrelid = 'crm.pipeline_stages_one_final_idx'::regclass),
	'is_final',
	'pipeline_stages_one_final_idx covers only the final stages'
);
SELECT is(
	(SELECT pg_catalog.pg_get_expr(i.indpred, i.indrelid)
	   FROM pg_catalog.pg_index i
	  WHERE i.indexrelid = 'crm.opportunities_owner_idx'::regclass),
	'(status = ANY (ARRAY[''open''::crm.opportunity_status, ''suspended''::crm.opportunity_status]))',
	'opportunities_owner_idx covers only open and suspended opportunities'
);

-- All indexes of the schema, the constraint-made ones included.
SELECT set_eq(
	$$SELECT c.relname::text COLLATE "default" FROM pg_catalog.pg_class c
	   WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'i'$$,
	ARRAY[
		'audit_log_at_idx', 'audit_log_customer_idx', 'audit_log_pkey',
		'campaign_members_customer_idx', 'campaign_members_pkey', 'campaigns_pkey',
		'contacts_id_idx', 'contacts_pkey',
		'contract_history_contract_idx', 'contract_history_pkey', 'contract_versions_pkey',
		'contracts_campaign_idx', 'contracts_id_idx', 'contracts_opportunity_idx',
		'contracts_pkey', 'customer_grades_pkey', 'customers_owner_idx', 'customers_pkey', 'customers_region_idx',
		'forecast_adjustments_period_idx', 'forecast_adjustments_pkey',
		'customers_tags_idx', 'grade_history_customer_idx', 'grade_history_pkey', 'models_pkey',
		'opportunities_campaign_idx', 'opportunities_id_idx',
		'opportunities_owner_idx', 'opportunities_pkey', 'opportunity_history_opportunity_idx',
		'opportunity_history_pkey', 'opportunity_owners_pkey', 'orders_customer_idx',
		'opportunity_approvals_pkey', 'opportunity_approvals_opportunity_idx',
		'orders_pkey', 'pipeline_stages_one_final_idx', 'pipeline_stages_pipeline_position_key',
		'pipeline_stages_pkey', 'quotas_one_target', 'quotas_pkey',
		'quotes_customer_id_opportunity_id_version_key', 'quotes_pkey', 'row_security_state_pkey', 'service_costs_customer_idx',
		'service_costs_pkey', 'status_transitions_pkey', 'assessments_pkey', 'assessments_assessed_at_idx',
		'assessment_questions_pkey'
	],
	'the 49 indexes of crm'
);

-- One quota per combination, NULL meaning "all": the unique constraint
-- quotas_one_target covers all six columns with NULLS NOT DISTINCT.
SELECT col_is_unique('crm', 'quotas',
	ARRAY['period_start', 'period_end', 'owner', 'region', 'product', 'channel'],
	'quotas: unique (period_start, period_end, owner, region, product, channel)');
SELECT is(
	(SELECT i.indnullsnotdistinct FROM pg_catalog.pg_index i
	  WHERE i.indexrelid = 'crm.quotas_one_target'::regclass),
	true,
	'the unique key of quotas treats NULLs as equal'
);

--------------------------------------------------------------------------
-- Sequences, and what pg_dump keeps (pg_extension_config_dump)
--------------------------------------------------------------------------

SELECT sequences_are('crm', ARRAY[
	'customers_id_seq', 'contacts_id_seq', 'orders_id_seq', 'service_costs_id_seq',
	'campaigns_id_seq', 'opportunities_id_seq', 'opportunity_history_id_seq',
	'quotes_id_seq', 'contracts_id_seq', 'contract_history_id_seq', 'quotas_id_seq',
	'grade_history_id_seq', 'audit_log_id_seq', 'assessments_id_seq', 'forecast_adjustments_id_seq',
	'opportunity_approvals_id_seq'
]);

-- Objects of an extension are left out of a dump unless registered; these
-- are the user's data and must be dumped, their sequences too, so that new
-- keys continue after the restored ones.
SELECT set_eq(
	$$SELECT c.relname::text COLLATE "default"
		FROM pg_catalog.pg_extension e,
			 pg_catalog.unnest(e.extconfig) AS x(reloid)
		JOIN pg_catalog.pg_class c ON c.oid = x.reloid
	   WHERE e.extname = 'crm'$$,
	ARRAY[
		'customers', 'customers_id_seq', 'contacts', 'contacts_id_seq',
		'orders', 'orders_id_seq', 'service_costs', 'service_costs_id_seq',
		'campaigns', 'campaigns_id_seq', 'campaign_members', 'pipeline_stages',
		'opportunities', 'opportunities_id_seq', 'opportunity_owners',
		'opportunity_history', 'opportunity_history_id_seq', 'quotes', 'quotes_id_seq',
		'contracts', 'contracts_id_seq', 'contract_versions', 'contract_history',
		'contract_history_id_seq', 'quotas', 'quotas_id_seq',
		'customer_grades', 'grade_history', 'grade_history_id_seq', 'models',
		'audit_log', 'audit_log_id_seq', 'row_security_state', 'assessments', 'assessments_id_seq',
		'forecast_adjustments', 'forecast_adjustments_id_seq', 'opportunity_approvals', 'opportunity_approvals_id_seq'
	],
	'pg_extension_config_dump: the 23 user-data tables and 16 identity sequences'
);

-- The same rule derived from the catalog, so that a table or identity
-- column added later without registration fails here: every table but
-- status_transitions and assessment_questions, and every sequence owned by
-- an identity column.
SELECT set_eq(
	$$SELECT x.reloid::regclass::text
		FROM pg_catalog.pg_extension e,
			 pg_catalog.unnest(e.extconfig) AS x(reloid)
	   WHERE e.extname = 'crm'$$,
	$$SELECT c.oid::regclass::text
		FROM pg_catalog.pg_class c
	   WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r'
		 AND c.relname NOT IN ('status_transitions', 'assessment_questions')
	  UNION ALL
	  SELECT d.objid::regclass::text
		FROM pg_catalog.pg_depend d
		JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
	   WHERE d.classid = 'pg_catalog.pg_class'::regclass
		 AND d.refclassid = 'pg_catalog.pg_class'::regclass
		 AND d.deptype = 'i'
		 AND t.relnamespace = 'crm'::regnamespace
		 AND (SELECT s.relkind FROM pg_catalog.pg_class s WHERE s.oid = d.objid) = 'S'$$,
	'every table but status_transitions and assessment_questions and every identity sequence is registered'
);

-- status_transitions is the extension's own reference data: CREATE
-- EXTENSION writes it, so dumping it would duplicate its rows on restore.
SELECT is(
	(SELECT 'crm.status_transitions'::regclass = ANY (e.extconfig)
	   FROM pg_catalog.pg_extension e WHERE e.extname = 'crm'),
	false,
	'status_transitions is not registered with pg_extension_config_dump'
);
-- so are the questions of the self-assessment
SELECT is(
	(SELECT 'crm.assessment_questions'::regclass = ANY (e.extconfig)
	   FROM pg_catalog.pg_extension e WHERE e.extname = 'crm'),
	false,
	'assessment_questions is not registered with pg_extension_config_dump'
);
SELECT is((SELECT count(*)::integer FROM crm.assessment_questions), 12, 'the self-assessment has 12 questions');

-- Only the user's pipeline stages are dumped: the shipped (builtin) rows
-- come back with CREATE EXTENSION.  All other tables are dumped whole.
SELECT results_eq(
	$$SELECT x.reloid::regclass::text, x.cond COLLATE "default"
		FROM pg_catalog.pg_extension e,
			 ROWS FROM (pg_catalog.unnest(e.extconfig), pg_catalog.unnest(e.extcondition)) AS x(reloid, cond)
	   WHERE e.extname = 'crm' AND x.cond <> ''$$,
	$$VALUES ('crm.pipeline_stages', 'WHERE NOT builtin')$$,
	'the only dump filter is WHERE NOT builtin on pipeline_stages'
);

--------------------------------------------------------------------------
-- The default pipeline shipped with the extension
--------------------------------------------------------------------------

-- potential -> bid -> negotiation -> contract, with the seed's conversion
-- rates, mean durations (a month = 30.4375 days) and visit rates; the final
-- stage has no rate and no duration.
SELECT results_eq(
	$$SELECT stage, position, is_final, conversion_rate, mean_days, visits_per_week
		FROM crm.pipeline_stages
	   WHERE pipeline = 'project'
	   ORDER BY position$$,
	$$VALUES ('potential'::text,   1, false, 0.5::float8, 60.875::float8,  1::float8),
			 ('bid',               2, false, 0.8,         30.4375,         2),
			 ('negotiation',       3, false, 0.9,         30.4375,         3),
			 ('contract',          4, true,  NULL,        NULL,            NULL)$$,
	'the default pipeline project has its four stages'
);

-- They are marked builtin (left out of dumps) and are the only rows.
SELECT results_eq(
	$$SELECT pipeline, pg_catalog.count(*), pg_catalog.bool_and(builtin)
		FROM crm.pipeline_stages GROUP BY pipeline$$,
	$$VALUES ('project'::text, 4::bigint, true)$$,
	'pipeline_stages holds only the four builtin rows of project'
);

--------------------------------------------------------------------------
-- Comments: the catalog documents itself (\d+, \df+, \dT+)
--------------------------------------------------------------------------

SELECT is_empty(
	$$SELECT c.relname::text, NULL::text
		FROM pg_catalog.pg_class c
	   WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r'
		 AND pg_catalog.obj_description(c.oid, 'pg_class') IS NULL
	  UNION ALL
	  SELECT c.relname::text, a.attname::text
		FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
	   WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r'
		 AND a.attnum > 0 AND NOT a.attisdropped
		 AND pg_catalog.col_description(c.oid, a.attnum) IS NULL$$,
	'every table and every column of crm has a comment'
);

SELECT is_empty(
	$$SELECT p.oid::regprocedure::text
		FROM pg_catalog.pg_proc p
	   WHERE p.pronamespace = 'crm'::regnamespace
		 AND pg_catalog.obj_description(p.oid, 'pg_proc') IS NULL
	  UNION ALL
	  SELECT t.oid::regtype::text
		FROM pg_catalog.pg_type t
	   WHERE t.typnamespace = 'crm'::regnamespace AND t.typtype = 'e'
		 AND pg_catalog.obj_description(t.oid, 'pg_type') IS NULL$$,
	'every function and every enum type of crm has a comment'
);

SELECT is_empty(
	$$SELECT c.relname::text
		FROM pg_catalog.pg_class c
	   WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'v'
		 AND pg_catalog.obj_description(c.oid, 'pg_class') IS NULL$$,
	'every view of crm has a comment'
);

SELECT * FROM finish();
ROLLBACK;
