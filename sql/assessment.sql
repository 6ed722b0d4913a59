-- The marketing capability self-assessment of seed 002 (src/assessment.sql):
-- the questions, the scoring with the seed's bands, who may take and
-- remove an assessment, and the history view.  Reference: the seed's
-- questionnaire (12 questions, 0-10 each, 120 in all; above 80 good,
-- 60-80 room to improve, below 60 red alert).

SET DateStyle = 'ISO, YMD';

-- The questions by area: 2 strategy, 3 marketing, 4 sales management,
-- 3 repeat marketing.
SELECT area, area_zh, count(*) AS questions, min(question) AS first, max(question) AS last
  FROM crm.assessment_questions GROUP BY area, area_zh ORDER BY first;
SELECT question, question_en, guide_en FROM crm.assessment_questions WHERE area = 'sales management' ORDER BY question;

-- The bands at their edges: 120 and 81 good, 80 and 60 improve, 59 and 0
-- red alert.  The weakest area is the lowest share of its maximum:
-- {10,10,...,10, 9} loses one point of 30 in repeat marketing.
SELECT t.label, s.*
  FROM (VALUES ('all ten', '{10,10,10,10,10,10,10,10,10,10,10,10}'::integer[]),
			   ('81', '{10,10,10,10,10,10,10,10,1,0,0,0}'),
			   ('80', '{10,10,10,10,10,10,10,10,0,0,0,0}'),
			   ('60', '{10,10,10,10,10,10,0,0,0,0,0,0}'),
			   ('59', '{10,10,10,10,10,9,0,0,0,0,0,0}'),
			   ('zero', '{0,0,0,0,0,0,0,0,0,0,0,0}'),
			   ('one short', '{10,10,10,10,10,10,10,10,10,10,10,9}')) AS t(label, scores),
	   LATERAL crm.score_assessment(t.scores) s;
-- 81: strategy 20 of 20, marketing 30 of 30, sales management 31 of 40,
-- repeat marketing 0 of 30: repeat marketing is the weakest.
-- 'all ten' and 'zero': a tie of all four areas, the first (strategy).

-- Bad scores: each error names what was wrong.
SELECT try($$SELECT crm.score_assessment('{10,10,10}')$$) AS three_scores;
SELECT try($$SELECT crm.score_assessment('{10,10,10,10,10,10,10,10,10,10,10,NULL}')$$) AS a_null;
SELECT try($$SELECT crm.score_assessment('{10,10,10,10,10,10,10,10,10,10,10,11}')$$) AS eleven;
SELECT try($$SELECT crm.score_assessment('{-1,10,10,10,10,10,10,10,10,10,10,10}')$$) AS negative;
SELECT try($$SELECT crm.score_assessment('{{1,2,3,4,5,6},{1,2,3,4,5,6}}')$$) AS two_dimensions;
SELECT try($$SELECT crm.score_assessment(NULL)$$) AS no_scores;

-- Who may take one: a manager inserts the scores (and a note); the time
-- and the role are the database's.  A rep may not; nobody may change one;
-- only an admin removes one.
CREATE ROLE regress_assess_manager;
CREATE ROLE regress_assess_rep;
CREATE ROLE regress_assess_admin;
GRANT crm_manager TO regress_assess_manager;
GRANT crm_rep TO regress_assess_rep;
GRANT crm_admin TO regress_assess_admin;

SET ROLE regress_assess_manager;
INSERT INTO crm.assessments (scores, note) VALUES ('{6,4,3,3,2,4,4,4,4,5,4,5}', 'first');
INSERT INTO crm.assessments (scores, note) VALUES ('{8,7,7,6,6,10,6,6,4,8,4,6}', 'a year later');
SELECT try($$INSERT INTO crm.assessments (scores) VALUES ('{8,7,7,6,6,10,6,6,4,8,4,11}')$$) AS bad_scores_rejected;
SELECT try($$INSERT INTO crm.assessments (assessed_by, scores) VALUES ('someone else', '{8,7,7,6,6,10,6,6,4,8,4,6}')$$) AS other_author;
SELECT try($$INSERT INTO crm.assessments (assessed_at, scores) VALUES ('2020-01-01', '{8,7,7,6,6,10,6,6,4,8,4,6}')$$) AS backdated;
SELECT try($$UPDATE crm.assessments SET scores = '{10,10,10,10,10,10,10,10,10,10,10,10}'$$) AS manager_update;
SELECT try($$DELETE FROM crm.assessments$$) AS manager_delete;
RESET ROLE;

SET ROLE regress_assess_rep;
SELECT count(*) AS rep_reads FROM crm.assessments;
SELECT try($$INSERT INTO crm.assessments (scores) VALUES ('{8,7,7,6,6,10,6,6,4,8,4,6}')$$) AS rep_insert;
SELECT try($$UPDATE crm.assessment_questions SET question_en = 'changed'$$) AS questions_are_read_only;
RESET ROLE;

-- the history: 48 (red alert, marketing 8 of 30 weakest), then 78
-- (improve, +30, repeat marketing 18 of 30 weakest); both by the manager
SELECT assessed_by, assessed_at BETWEEN now() - interval '1 hour' AND now() AS stamped_by_the_database, total, band, strategy, marketing, sales_management,
	   repeat_marketing, weakest_area, change, note
  FROM crm.assessment_history ORDER BY id;

SET ROLE regress_assess_admin;
SELECT try($$UPDATE crm.assessments SET note = 'edited'$$) AS admin_update;
DELETE FROM crm.assessments WHERE note = 'first';
RESET ROLE;
SELECT total, band, change FROM crm.assessment_history;

DELETE FROM crm.assessments;
DROP ROLE regress_assess_manager, regress_assess_rep, regress_assess_admin;
RESET DateStyle;
