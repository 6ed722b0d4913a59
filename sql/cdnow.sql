-- CDNOW (../shared/data, the data set of Fader, Hardie & Lee 2005): the
-- calibration summary up to 1997-09-30, same-day purchases merged, t_x and T
-- in weeks, reproduces the published figures: 2,357 customers in the 1/10
-- sample, sum of x = 2,457, 946 customers with x > 0.  This test runs only
-- when ../shared/data/cdnow_sample.csv exists (see the Makefile).

CREATE TEMP TABLE cdnow (customer_id integer, order_date date, quantity integer, amount numeric);
\copy cdnow FROM '../shared/data/cdnow_sample.csv' CSV HEADER
CREATE TEMP TABLE calibration AS
SELECT customer_id, crm.rfm_summary(crm.purchase_stats(order_date, amount), '1997-09-30', 'week') AS r
  FROM cdnow WHERE order_date <= '1997-09-30' GROUP BY customer_id;
SELECT count(*) AS customers, sum((r).frequency) AS sum_x,
	   count(*) FILTER (WHERE (r).frequency > 0) AS repeat_buyers,
	   count(*) = 2357 AND sum((r).frequency) = 2457 AND count(*) FILTER (WHERE (r).frequency > 0) = 946 AS published_figures
  FROM calibration;
-- summary statistics of the calibration data (weeks)
SELECT round(avg((r).recency)::numeric, 4) AS mean_t_x, round(avg((r).age)::numeric, 4) AS mean_T,
	   max((r).frequency) AS max_x, round(max((r).age)::numeric, 4) AS max_T,
	   round(avg((r).monetary), 4) AS mean_repeat_value_of_repeat_buyers
  FROM calibration;
-- one customer by hand: customer 4 bought on 1997-01-01, -01-18, -08-02 and
-- -12-12: by 1997-09-30 x = 2, t_x = 213 days, T = 272 days
SELECT (r).frequency, round((r).recency::numeric * 7, 6) AS t_x_days, round((r).age::numeric * 7, 6) AS t_days
  FROM calibration WHERE customer_id = 4;

-- The master file: all 23,570 customers who first bought in 1997 Q1.
CREATE TEMP TABLE cdnow_master (customer_id integer, order_date date, quantity integer, amount numeric);
\copy cdnow_master FROM '../shared/data/cdnow_master.csv' CSV HEADER
SELECT count(*) AS customers, sum((r).frequency) AS sum_x, count(*) FILTER (WHERE (r).frequency > 0) AS repeat_buyers
  FROM (SELECT crm.rfm_summary(crm.purchase_stats(order_date, amount), '1997-09-30', 'week') AS r
		  FROM cdnow_master WHERE order_date <= '1997-09-30' GROUP BY customer_id) t;
