/*
 * assessment.sql: the marketing capability self-assessment of seed 002
 * (企業營銷能力評估表): twelve questions in four areas, each scored 0-10,
 * 120 in all; above 80 the company's marketing management is good, 60-80
 * it can improve, below 60 a red alert.
 *
 * - crm.assessment_questions: the twelve questions, in English and as the
 *   seed writes them, with the seed's hint or scale and the crm objects
 *   that answer each (shipped data, like crm.status_transitions);
 * - crm.assessments: one row per assessment taken (who and when set by
 *   the database, the twelve scores validated); written by crm_manager,
 *   never changed afterwards, deleted by crm_admin only;
 * - crm.score_assessment(scores): total, band, the score of each area and
 *   the weakest area;
 * - crm.assessment_history: every assessment with its score and the change
 *   since the one before.
 */

CREATE TABLE @extschema@.assessment_questions (
	question	smallint PRIMARY KEY CHECK (question OPERATOR(pg_catalog.>=) 1 AND question OPERATOR(pg_catalog.<=) 12),
	area		text NOT NULL CHECK (area OPERATOR(pg_catalog.=) ANY (ARRAY['strategy', 'marketing', 'sales management', 'repeat marketing'])),
	area_zh		text NOT NULL,
	question_en	text NOT NULL,
	question_zh	text NOT NULL,
	guide_en	text NOT NULL,
	guide_zh	text NOT NULL,
	crm_support	text NOT NULL
);
COMMENT ON TABLE @extschema@.assessment_questions IS
	'The twelve questions of the marketing capability self-assessment (seed 002), each scored 0-10: shipped with the extension, read-only; a reference table under Citus';
COMMENT ON COLUMN @extschema@.assessment_questions.question IS 'Question number 1..12, the position of its score in crm.assessments.scores';
COMMENT ON COLUMN @extschema@.assessment_questions.area IS 'Area: strategy (1-2), marketing (3-5), sales management (6-9), repeat marketing (10-12)';
COMMENT ON COLUMN @extschema@.assessment_questions.area_zh IS 'The area as the seed names it';
COMMENT ON COLUMN @extschema@.assessment_questions.question_en IS 'The question in English';
COMMENT ON COLUMN @extschema@.assessment_questions.question_zh IS 'The question as the seed writes it';
COMMENT ON COLUMN @extschema@.assessment_questions.guide_en IS 'The seed''s hint, or its scale (e.g. monthly 10, quarterly 6, yearly 4), in English';
COMMENT ON COLUMN @extschema@.assessment_questions.guide_zh IS 'The hint or scale as the seed writes it';
COMMENT ON COLUMN @extschema@.assessment_questions.crm_support IS 'The crm objects that give a company what the question asks about';

INSERT INTO @extschema@.assessment_questions VALUES
	(1, 'strategy', '營銷策略',
	 'Does the company have a clear sales model?', '企業是否擁有清晰的營銷模式',
	 'Model: channel sales, direct sales, or both', '模式指：渠道銷售、企業直銷或二者兼存',
	 'crm.customers.channel, crm.segment_strategies'),
	(2, 'strategy', '營銷策略',
	 'Has it found the marketing focus that brings its revenue?', '是否已找出為企業帶來收入的營銷重點',
	 'Focus: market marketing, key-account sales, repeat marketing', '重點指：市場營銷、大客戶銷售和重複營銷',
	 'crm.pareto_classes, crm.value_concentration, crm.region_summary'),
	(3, 'marketing', '市場營銷',
	 'Has it a method to find its target market (customer groups)?', '有尋找目標市場（客戶群）的方法',
	 'Method: finding target customers, market positioning', '方法指：目標客戶尋找和市場定位',
	 'crm.segment, crm.tree_train, crm.tree_score'),
	(4, 'marketing', '市場營銷',
	 'Has it the means to develop channels or direct marketing?', '有發展渠道或直復營銷的手段',
	 'Means: promotions, direct mail, data mining', '手段指：市場促銷、直郵和數據挖掘等',
	 'crm.campaigns, crm.campaign_members, crm.lift_table'),
	(5, 'marketing', '市場營銷',
	 'Has it tools to quantify market results and track their effect?', '有市場業績量化和效果跟蹤的工具',
	 'Tools: reports, process management, results tracking', '工具指：報表系統、流程管理和業績跟蹤',
	 'crm.campaign_effectiveness, crm.campaign_sales_lift'),
	(6, 'sales management', '營銷管理',
	 'Has it sales territory management and a target system?', '有銷售區域管理和指標管理系統',
	 'Targets: monthly 10, quarterly 6, yearly 4', '指標：月度（10分）；季度（6分）；年度（4分）',
	 'crm.quotas, crm.allocate_quotas, crm.quota_attainment'),
	(7, 'sales management', '營銷管理',
	 'Does it get sales forecasts at every sales level in time?', '可及時獲得各銷售層面的銷售預測',
	 'In time: any time 10, monthly 6, quarterly 4', '及時指：隨時（10分）；每月（6分）；季度（4分）',
	 'crm.funnel, crm.pipeline_forecast, crm.seasonal_forecast'),
	(8, 'sales management', '營銷管理',
	 'If a salesperson leaves, does the company keep its customers'' requirement documents and contacts?', '若有銷售人員離職，企業仍可掌握客戶需求文檔信息和聯繫方式',
	 'Kept: all documents 10, contact details 6, company names 4', '信息指：全部文檔（10分）；聯繫信息（6分）；企業名稱（4分）',
	 'crm.handover, crm.transfer_owner, crm.contacts'),
	(9, 'sales management', '營銷管理',
	 'Are performance reviews and commissions and bonuses computed in time?', '及時的業績考核和傭金、獎金計算',
	 'In time: any time 10, monthly 6, quarterly 4', '及時指：隨時（10分）；每月（6分）；季度（4分）',
	 'crm.quota_attainment, crm.opportunity_owners'),
	(10, 'repeat marketing', '客戶重複營銷',
	 'Has it a customer information system whose information is shared?', '有企業客戶信息管理系統，並可信息共享',
	 'Information: the customers'' contracts, purchases and project execution', '信息指：客戶的合同、採購和項目實施過程',
	 'crm.customer_360, crm.contract_overview'),
	(11, 'repeat marketing', '客戶重複營銷',
	 'Has it reminders of customers'' new needs and stock alerts?', '有客戶新需求提示和庫存預警提示',
	 'Reminders: reflect the customers'' demand cycle and stock', '提示指：可反應客戶的需求週期及庫存量',
	 'crm.bgnbd_p_alive, crm.bgnbd_expected_purchases, crm.clv'),
	(12, 'repeat marketing', '客戶重複營銷',
	 'Has it one-to-one marketing and tracking of the response by customer grade?', '有一對一營銷和客戶等級檢查響應跟蹤',
	 'Grades: the customers of every grade can be found at any time', '等級指：隨時可找出企業各等級的客戶',
	 'crm.refresh_grades, crm.customer_grades, crm.grade_history');

-- The scoring rule, written once: the table's check and the history view
-- call it.
CREATE FUNCTION @extschema@.score_assessment(scores integer[],
											 OUT total integer, OUT band text,
											 OUT strategy integer, OUT marketing integer,
											 OUT sales_management integer, OUT repeat_marketing integer,
											 OUT weakest_area text)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	areas	constant text[] := '{strategy,marketing,sales management,repeat marketing}';
	sizes	constant integer[] := '{2,3,4,3}';
	share	float8;
	lowest	float8;
BEGIN
	IF scores IS NULL OR array_ndims(scores) IS DISTINCT FROM 1 OR cardinality(scores) <> 12
	   OR array_position(scores, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'score_assessment: an assessment has 12 scores, got %', coalesce(scores::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give one score 0-10 per question of crm.assessment_questions, in question order, e.g. ''{8,7,6,5,6,10,6,10,6,8,4,6}''.';
	END IF;
	IF NOT (0 <= ALL (scores) AND 10 >= ALL (scores)) THEN
		RAISE EXCEPTION 'score_assessment: every score is 0-10, got %', scores
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Score each question from 0 (not at all) to 10 (fully); the sales management questions 6-9 use their scale of 10, 6 or 4.';
	END IF;
	strategy := scores[1] + scores[2];
	marketing := scores[3] + scores[4] + scores[5];
	sales_management := scores[6] + scores[7] + scores[8] + scores[9];
	repeat_marketing := scores[10] + scores[11] + scores[12];
	total := strategy + marketing + sales_management + repeat_marketing;
	-- the seed's bands: above 80 good, 60 to 80 room to improve, below 60
	-- a red alert
	band := CASE WHEN total > 80 THEN 'good' WHEN total >= 60 THEN 'improve' ELSE 'red alert' END;
	-- the weakest area: the lowest share of its maximum (areas have 2 to 4
	-- questions); on a tie the first in the questionnaire's order
	FOR i IN 1 .. 4 LOOP
		share := (ARRAY[strategy, marketing, sales_management, repeat_marketing])[i]::float8 / (10 * sizes[i]);
		IF lowest IS NULL OR share < lowest THEN
			lowest := share;
			weakest_area := areas[i];
		END IF;
	END LOOP;
END;
$$;
COMMENT ON FUNCTION @extschema@.score_assessment(integer[]) IS
	'Scores a marketing capability self-assessment (seed 002): scores = the 12 answers 0-10 in the order of crm.assessment_questions; total of 120, band good (above 80), improve (60-80) or red alert (below 60), the sum of each area (strategy of 20, marketing of 30, sales management of 40, repeat marketing of 30) and the weakest area (lowest share of its maximum; the first on a tie). Errors (22023): not 12 scores, a NULL score, a score outside 0-10';

CREATE TABLE @extschema@.assessments (
	id			bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	assessed_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	assessed_by	text NOT NULL DEFAULT CURRENT_USER,
	scores		integer[] NOT NULL,
	note		text,
	-- the scoring function validates the scores with its own errors
	CONSTRAINT assessments_scores_valid CHECK ((@extschema@.score_assessment(scores)).total IS NOT NULL),
	CONSTRAINT assessments_assessed_at_finite CHECK (pg_catalog.isfinite(assessed_at))
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.assessments', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.assessments_id_seq', '');
CREATE INDEX assessments_assessed_at_idx ON @extschema@.assessments (assessed_at);
COMMENT ON TABLE @extschema@.assessments IS
	'Marketing capability self-assessments taken (seed 002): inserted by crm_manager with the time and role set by the database, never updated, deleted by crm_admin; not per customer, so without row security; a reference table under Citus';
COMMENT ON COLUMN @extschema@.assessments.id IS 'Identity';
COMMENT ON COLUMN @extschema@.assessments.assessed_at IS 'When it was taken (set by the database: crm_manager cannot write it)';
COMMENT ON COLUMN @extschema@.assessments.assessed_by IS 'Role that took it (CURRENT_USER, set by the database)';
COMMENT ON COLUMN @extschema@.assessments.scores IS 'The 12 scores 0-10 in the order of crm.assessment_questions, validated by crm.score_assessment';
COMMENT ON COLUMN @extschema@.assessments.note IS 'Free text: who took part, the reason';

CREATE VIEW @extschema@.assessment_history AS
SELECT a.id, a.assessed_at, a.assessed_by, s.total, s.band, s.strategy, s.marketing, s.sales_management,
	   s.repeat_marketing, s.weakest_area,
	   s.total OPERATOR(pg_catalog.-) pg_catalog.lag(s.total) OVER (ORDER BY a.assessed_at, a.id) AS change,
	   a.note
  FROM @extschema@.assessments a,
	   LATERAL @extschema@.score_assessment(a.scores) s;
COMMENT ON VIEW @extschema@.assessment_history IS
	'Every self-assessment with its total, band, area sums and weakest area (crm.score_assessment), and the change of the total since the assessment before it';
