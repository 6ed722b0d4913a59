-- sBG on Fader & Hardie's retention data (../shared/data/retention.csv;
-- runs only when the data are there, see the Makefile).  Published (Fader &
-- Hardie 2007, "How to project customer retention", the "regular"
-- segment): fitted on years 0-7 (1,000 customers, the lost of each year 1-7
-- and the 241 still there after year 7) alpha = 0.704, beta = 1.182;
-- projected customers alive in years 8-12: 220.1, 204.4, 191.2, 179.9,
-- 170.0 (actual 223, 207, 194, 183, 173).

CREATE TEMP TABLE retention (segment text, year integer, customers_alive integer);
\copy retention FROM '../shared/data/retention.csv' CSV HEADER
-- per contract: lost in year t (churned, periods = t), or running after year 7
CREATE TEMP TABLE contracts_by_year AS
SELECT year AS periods, true AS churned, (lag(customers_alive) OVER (ORDER BY year) - customers_alive)::float8 AS n
  FROM retention WHERE segment = 'regular' AND year <= 7
UNION ALL
SELECT 7, false, customers_alive FROM retention WHERE segment = 'regular' AND year = 7;
DELETE FROM contracts_by_year WHERE n IS NULL;
SELECT * FROM contracts_by_year ORDER BY churned DESC, periods;
CREATE TEMP TABLE fit AS SELECT crm.sbg_fit(periods, churned, n) AS sb FROM contracts_by_year;
SELECT round((sb).alpha::numeric, 4) AS alpha, round((sb).beta::numeric, 4) AS beta,
	   round((sb).log_likelihood::numeric, 2) AS log_likelihood, (sb).customers, (sb).converged
  FROM fit;
SELECT round((sb).alpha::numeric, 3) = 0.704 AS alpha_published, round((sb).beta::numeric, 3) = 1.182 AS beta_published FROM fit;
-- projections: 1000 S(t) against the published projections and the actual counts
SELECT r.year, r.customers_alive AS actual, round((1000 * crm.sbg_survival(sb, r.year))::numeric, 1) AS projected,
	   p.published, round((1000 * crm.sbg_survival(sb, r.year))::numeric, 1) = p.published AS matches_published
  FROM retention r, fit,
	   (VALUES (8, 220.1), (9, 204.4), (10, 191.2), (11, 179.9), (12, 170.0)) p(year, published)
 WHERE r.segment = 'regular' AND r.year = p.year
 ORDER BY r.year;
-- retention rates of years 8-12 and the DERL of a customer in year 8 (7 renewals) at 10 %
SELECT t, round(crm.sbg_retention_rate(sb, t)::numeric, 4) AS retention_rate FROM fit, generate_series(8, 12) t;
SELECT round(crm.sbg_derl(sb, 0.1, 7)::numeric, 4) AS derl_7_renewals, round(crm.sbg_derl(sb, 0.1, 0)::numeric, 4) AS derl_new FROM fit;
-- Standard errors: mpmath (test/reference/standard_errors.py, the sBG
-- likelihood's Hessian by mpmath's differentiation at 30 digits at these
-- estimates) 0.0655989643079 and 0.152475631803
SELECT f.parameter, round(f.estimate::numeric, 6) AS estimate, round(f.std_error::numeric, 6) AS std_error,
	   round(f.lower95::numeric, 6) AS lower95, round(f.upper95::numeric, 6) AS upper95,
	   abs(f.std_error / m.se - 1) < 1e-6 AS mpmath
  FROM fit, crm.fit_parameters(sb) f
  JOIN (VALUES ('alpha', 0.0655989643079), ('beta', 0.152475631803)) m(parameter, se) USING (parameter);
SELECT abs((sb).alpha / 0.7040772989269682 - 1) < 1e-12 AND abs((sb).beta / 1.182043026866851 - 1) < 1e-12 AS reference_estimates FROM fit;
