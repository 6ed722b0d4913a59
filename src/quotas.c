/*
 * quotas.c: exact allocation of targets and short-term forecasts of
 * monthly sales (declared in quotas.sql).
 *
 * allocate(total, weights, scale) splits total into shares proportional to
 * weights that are multiples of 10^-scale and sum to total exactly (the
 * largest remainder method, Hamilton's method).  In units u = 10^-scale,
 * with U = total / u and W = the sum of the weights:
 *
 *	q_i = trunc(U * w_i / W)		exact integer division of numerics
 *	r_i = U * w_i - q_i * W			the remainder, compared across i
 *
 * and the U - sum(q_i) units left over (fewer than the number of weights)
 * go one each to the largest remainders; equal remainders go to the
 * earlier weight.  Everything is numeric arithmetic, so 1/3 weights,
 * weights of 10^-20 or totals of 10^20 come out exact.  A negative total
 * is split as its absolute value and negated.
 *
 * seasonal_forecast(month, value, horizon, method [, season [, alpha,
 * beta, gamma]]) aggregates values into a monthly series (values of the
 * same month are summed; months without rows between the first and the
 * last are 0) and forecasts the horizon months after the last month.  Let
 * y_1..y_n be the series, m the season length (default 12) and h = 1..H:
 *
 *	naive			y_n
 *	seasonal_naive	y_{n - m + 1 + (h - 1) mod m}: the same month one season back
 *	moving_average	(y_{n-k+1} + ... + y_n) / k with window k = season
 *					(default 3 for this method)
 *	holt_winters	additive Holt-Winters (Hyndman & Athanasopoulos,
 *					"Forecasting: principles and practice", 3rd ed., 8.3):
 *		l_t = alpha (y_t - s_{t-m}) + (1 - alpha)(l_{t-1} + b_{t-1})
 *		b_t = beta (l_t - l_{t-1}) + (1 - beta) b_{t-1}
 *		s_t = gamma (y_t - l_{t-1} - b_{t-1}) + (1 - gamma) s_{t-m}
 *		forecast l_n + h b_n + s_{n - m + 1 + (h - 1) mod m}
 *	  initialised on the first two seasons (the classic start):
 *		l_m = (y_1 + ... + y_m) / m
 *		b_m = ((y_{m+1} - y_1) + ... + (y_{2m} - y_m)) / m^2
 *		s_i = y_i - l_m for i = 1..m
 *	  and updated for t = m+1..n; needs n >= 2m.  Defaults alpha 0.3,
 *	  beta 0.1, gamma 0.1.
 *
 * The state is a float8[] (not internal, so Citus can ship it, and
 * parallel plans need no serialization): a header
 *
 *	[0] format tag	[1] method	[2] horizon	[3] season (0 = default)
 *	[4] alpha		[5] beta	[6] gamma	[7] first month (year * 12 + month - 1)
 *	[8] months		[9] rows
 *
 * followed by one sum per month from the first month on.  Rows may arrive
 * in any order; the combine function adds two series month by month.
 */
#include "postgres.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"			/* VARDATA, VARSIZE: in postgres.h before 16 */
#endif

#include <math.h>

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "util.h"

#define ALLOCATE_MAX_SCALE	100

/* ---------------------------------------------------------------------
 * allocate
 * ---------------------------------------------------------------------
 */

static inline int
num_cmp(Datum a, Datum b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, a, b));
}

static inline Datum
num_mul(Datum a, Datum b)
{
	return DirectFunctionCall2(numeric_mul, a, b);
}

static inline Datum
num_sub(Datum a, Datum b)
{
	return DirectFunctionCall2(numeric_sub, a, b);
}

static inline Datum
num_add(Datum a, Datum b)
{
	return DirectFunctionCall2(numeric_add, a, b);
}

static inline Datum
num_int(int64 v)
{
	return NumericGetDatum(int64_to_numeric(v));
}

/* 10^e as numeric, e in -ALLOCATE_MAX_SCALE..ALLOCATE_MAX_SCALE */
static Datum
num_pow10(int e)
{
	char		buf[16];

	snprintf(buf, sizeof(buf), "1e%d", e);
	return DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

static char *
num_text(Datum n)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, n));
}

/* largest remainder first, then the earlier weight */
static int
remainder_order(const void *a, const void *b, void *arg)
{
	const Datum *rem = (const Datum *) arg;
	int			ia = *(const int *) a;
	int			ib = *(const int *) b;
	int			c = num_cmp(rem[ib], rem[ia]);

	if (c != 0)
		return c;
	return (ia > ib) - (ia < ib);
}

PG_FUNCTION_INFO_V1(crm_allocate);
Datum
crm_allocate(PG_FUNCTION_ARGS)
{
	Datum		total = PG_GETARG_DATUM(0);
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(1);
	int32		scale = PG_GETARG_INT32(2);
	Datum	   *weights;
	bool	   *nulls;
	int			n,
				i;
	Datum		zero = num_int(0);
	Datum		wsum = zero;
	Datum		units,
				given,
				left,
				unit;
	Datum	   *q,
			   *rem,
			   *result;
	int		   *order;
	bool		negative;

	if (scale < 0 || scale > ALLOCATE_MAX_SCALE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scale %d is outside 0..%d", scale, ALLOCATE_MAX_SCALE),
				 errhint("scale is the number of decimals of the shares: 2 for cents, 0 for whole units.")));
	if (numeric_is_nan(DatumGetNumeric(total)) || numeric_is_inf(DatumGetNumeric(total)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("total must be a finite number"),
				 errdetail("Given: %s.", num_text(total)),
				 errhint("Give the amount to split, e.g. the annual target.")));
	if (num_cmp(DirectFunctionCall2(numeric_round, total, Int32GetDatum(scale)), total) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("total %s has more than %d decimals", num_text(total), scale),
				 errhint("Round the total to the scale of the shares, or give a larger scale.")));
	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weights must be a one-dimensional array"),
				 errdetail("Given: %d dimensions.", ARR_NDIM(array)),
				 errhint("Give one weight per share, e.g. last year's sales of each region.")));
	deconstruct_array(array, NUMERICOID, -1, false, TYPALIGN_INT, &weights, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weights must not be empty"),
				 errhint("Give one weight per share, e.g. last year's sales of each region.")));
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("weight %d is NULL", i + 1),
					 errhint("Use 0 for a share that gets nothing.")));
		if (numeric_is_nan(DatumGetNumeric(weights[i])) || numeric_is_inf(DatumGetNumeric(weights[i])) ||
			num_cmp(weights[i], zero) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("weight %d is %s, not a finite number >= 0", i + 1, num_text(weights[i])),
					 errhint("Weights are shares such as sales; only their ratios matter.")));
		wsum = num_add(wsum, weights[i]);
	}
	if (num_cmp(wsum, zero) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("all %d weights are zero", n),
				 errhint("At least one weight must be positive; use equal weights (e.g. all 1) for an even split.")));

	negative = num_cmp(total, zero) < 0;
	if (negative)
		total = DirectFunctionCall1(numeric_uminus, total);
	/* U = total / 10^-scale, an integer */
	units = DirectFunctionCall2(numeric_round, num_mul(total, num_pow10(scale)), Int32GetDatum(0));

	q = palloc(n * sizeof(Datum));
	rem = palloc(n * sizeof(Datum));
	order = palloc(n * sizeof(int));
	given = zero;
	for (i = 0; i < n; i++)
	{
		Datum		share = num_mul(units, weights[i]);

		CHECK_FOR_INTERRUPTS();
		q[i] = DirectFunctionCall2(numeric_div_trunc, share, wsum);
		rem[i] = num_sub(share, num_mul(q[i], wsum));
		given = num_add(given, q[i]);
		order[i] = i;
	}
	left = num_sub(units, given);
	if (num_cmp(left, zero) > 0)
	{
		/* fewer than n units are left: one each to the largest remainders */
		int64		k = DatumGetInt64(DirectFunctionCall1(numeric_int8, left));

		qsort_arg(order, n, sizeof(int), remainder_order, rem);
		for (i = 0; i < k && i < n; i++)
			q[order[i]] = num_add(q[order[i]], num_int(1));
	}

	unit = num_pow10(-scale);
	result = palloc(n * sizeof(Datum));
	for (i = 0; i < n; i++)
	{
		Datum		v = DirectFunctionCall2(numeric_round, num_mul(q[i], unit), Int32GetDatum(scale));

		CHECK_FOR_INTERRUPTS();
		result[i] = negative ? DirectFunctionCall1(numeric_uminus, v) : v;
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(result, n, NUMERICOID, -1, false, TYPALIGN_INT));
}

/* ---------------------------------------------------------------------
 * seasonal_forecast
 * ---------------------------------------------------------------------
 */

#define SF_FORMAT		7302.0
#define SF_HEADER		10
#define SF_MAX_MONTHS	12000	/* 1000 years of months in one series */
#define SF_MAX_HORIZON	1200
#define SF_MAX_SEASON	1200

enum
{
	SF_NAIVE = 1,
	SF_SEASONAL_NAIVE = 2,
	SF_MOVING_AVERAGE = 3,
	SF_HOLT_WINTERS = 4
};

static const char *const sf_method_names[] = {NULL, "naive", "seasonal_naive", "moving_average", "holt_winters"};

static int
sf_method(text *method)
{
	const char *s = VARDATA_ANY(method);
	int			len = VARSIZE_ANY_EXHDR(method);
	int			m;

	for (m = SF_NAIVE; m <= SF_HOLT_WINTERS; m++)
		if (strlen(sf_method_names[m]) == len && memcmp(sf_method_names[m], s, len) == 0)
			return m;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown method \"%s\"", text_to_cstring(method)),
			 errhint("Use naive, seasonal_naive, moving_average or holt_winters.")));
	return 0;					/* not reached */
}

static ArrayType *
sf_state_new(const float8 *header, int months)
{
	ArrayType  *array = crm_float8_state_new(SF_HEADER + months);

	memcpy(ARR_DATA_PTR(array), header, SF_HEADER * sizeof(float8));
	((float8 *) ARR_DATA_PTR(array))[8] = months;
	return array;
}

/* The values of a state after checking it (states are callable input). */
static float8 *
sf_state_values(ArrayType *array)
{
	float8	   *v;
	int			nelems;

	v = crm_float8_state_values(array, "seasonal_forecast", &nelems);
	if (nelems < SF_HEADER || v[0] != SF_FORMAT || !(v[1] >= SF_NAIVE && v[1] <= SF_HOLT_WINTERS) ||
		!(v[2] >= 1 && v[2] <= SF_MAX_HORIZON) || !(v[3] >= 0 && v[3] <= SF_MAX_SEASON) ||
		!(v[8] >= 0 && v[8] <= SF_MAX_MONTHS) || nelems != SF_HEADER + (int) v[8])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("not a seasonal_forecast state"),
				 errdetail("The header does not match the array length."),
				 errhint("Pass only states made by crm.seasonal_forecast_trans.")));
	return v;
}

/* the parameters of a row, as a state header */
static void
sf_row_header(FunctionCallInfo fcinfo, float8 *h)
{
	int			i;
	int32		horizon;

	for (i = 3; i < PG_NARGS(); i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be NULL",
							i == 3 ? "horizon" : i == 4 ? "method" : i == 5 ? "season" :
							i == 6 ? "alpha" : i == 7 ? "beta" : "gamma"),
					 errhint("Give the same forecast parameters on every row.")));
	memset(h, 0, SF_HEADER * sizeof(float8));
	h[0] = SF_FORMAT;
	horizon = PG_GETARG_INT32(3);
	if (horizon < 1 || horizon > SF_MAX_HORIZON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon %d is outside 1..%d months", horizon, SF_MAX_HORIZON),
				 errhint("Give the number of months to forecast after the last month of the series.")));
	h[2] = horizon;
	h[1] = sf_method(PG_GETARG_TEXT_PP(4));
	h[4] = 0.3;
	h[5] = 0.1;
	h[6] = 0.1;
	if (PG_NARGS() > 5)
	{
		int32		season = PG_GETARG_INT32(5);

		if (season < 1 || season > SF_MAX_SEASON)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("season %d is outside 1..%d months", season, SF_MAX_SEASON),
					 errhint("Use 12 for a yearly season of monthly sales; for moving_average it is the window.")));
		h[3] = season;
	}
	if (PG_NARGS() > 6)
		for (i = 0; i < 3; i++)
		{
			double		p = PG_GETARG_FLOAT8(6 + i);

			if (!(p >= 0.0 && p <= 1.0))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s %g is outside [0, 1]", i == 0 ? "alpha" : i == 1 ? "beta" : "gamma", p),
						 errhint("Smoothing parameters are weights between 0 and 1.")));
			h[4 + i] = p;
		}
}

/*
 * seasonal_forecast_trans(state, month, value, horizon, method [, season
 * [, alpha, beta, gamma]])
 */
PG_FUNCTION_INFO_V1(crm_seasonal_forecast_trans);
Datum
crm_seasonal_forecast_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ArrayType  *state;
	float8		h[SF_HEADER];
	float8	   *v;
	int			i;
	DateADT		day;
	int			year,
				month,
				mday;
	int64		index,
				first,
				months;
	double		value;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("seasonal_forecast_trans called outside an aggregate"),
				 errhint("Call the aggregate crm.seasonal_forecast.")));
	sf_row_header(fcinfo, h);
	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(aggcontext);

		state = sf_state_new(h, 0);
		MemoryContextSwitchTo(old);
	}
	else
		state = PG_GETARG_ARRAYTYPE_P(0);
	v = sf_state_values(state);
	for (i = 1; i <= 6; i++)
		if (v[i] != h[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("horizon, method, season, alpha, beta and gamma must be the same on every row"),
					 errhint("Give the forecast parameters as constants.")));

	/* a row without month or value is left out, as sum() leaves out NULLs */
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_ARRAYTYPE_P(state);
	day = PG_GETARG_DATEADT(1);
	value = PG_GETARG_FLOAT8(2);
	if (DATE_NOT_FINITE(day))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("month must be a finite date"),
				 errhint("Give any day of the month, e.g. date_trunc('month', ordered_at)::date.")));
	if (isnan(value) || isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value must be a finite number"),
				 errdetail("Given: %g.", value),
				 errhint("Filter out NaN and infinite values.")));
	j2date(day + POSTGRES_EPOCH_JDATE, &year, &month, &mday);
	index = (int64) year * 12 + month - 1;
	months = (int64) v[8];
	first = months > 0 ? (int64) v[7] : index;
	if (index < first || index >= first + months)
	{
		/* a month outside the series: a longer copy */
		int64		from = Min(first, index);
		int64		to = Max(first + months, index + 1);
		ArrayType  *bigger;
		float8	   *b;

		if (to - from > SF_MAX_MONTHS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the series spans more than %d months", SF_MAX_MONTHS),
					 errhint("Filter the rows to the months the forecast should learn from.")));
		bigger = sf_state_new(v, (int) (to - from));
		b = (float8 *) ARR_DATA_PTR(bigger);
		b[7] = (float8) from;
		if (months > 0)
			memcpy(b + SF_HEADER + (first - from), v + SF_HEADER, months * sizeof(float8));
		state = bigger;
		v = b;
		first = from;
	}
	v[SF_HEADER + (index - first)] += value;
	v[9] += 1;
	PG_RETURN_ARRAYTYPE_P(state);
}

PG_FUNCTION_INFO_V1(crm_seasonal_forecast_combine);
Datum
crm_seasonal_forecast_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MemoryContext old;
	ArrayType  *left,
			   *right,
			   *result;
	float8	   *l,
			   *r,
			   *o;
	int64		lf,
				ln,
				rf,
				rn,
				from,
				to,
				i;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("seasonal_forecast_combine called outside an aggregate"),
				 errhint("Call the aggregate crm.seasonal_forecast.")));
	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
	{
		ArrayType  *one = PG_ARGISNULL(0) ? PG_GETARG_ARRAYTYPE_P(1) : PG_GETARG_ARRAYTYPE_P(0);

		sf_state_values(one);
		old = MemoryContextSwitchTo(aggcontext);
		result = (ArrayType *) palloc(VARSIZE(one));
		memcpy(result, one, VARSIZE(one));
		MemoryContextSwitchTo(old);
		PG_RETURN_ARRAYTYPE_P(result);
	}
	left = PG_GETARG_ARRAYTYPE_P(0);
	right = PG_GETARG_ARRAYTYPE_P(1);
	l = sf_state_values(left);
	r = sf_state_values(right);
	for (i = 1; i <= 6; i++)
		if (l[i] != r[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("horizon, method, season, alpha, beta and gamma must be the same on every row"),
					 errhint("Give the forecast parameters as constants.")));
	ln = (int64) l[8];
	rn = (int64) r[8];
	if (rn == 0)
		PG_RETURN_ARRAYTYPE_P(left);
	lf = ln > 0 ? (int64) l[7] : (int64) r[7];
	rf = (int64) r[7];
	from = Min(lf, rf);
	to = Max(lf + ln, rf + rn);
	if (to - from > SF_MAX_MONTHS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the series spans more than %d months", SF_MAX_MONTHS),
				 errhint("Filter the rows to the months the forecast should learn from.")));
	old = MemoryContextSwitchTo(aggcontext);
	result = sf_state_new(l, (int) (to - from));
	MemoryContextSwitchTo(old);
	o = (float8 *) ARR_DATA_PTR(result);
	o[7] = (float8) from;
	o[9] = l[9] + r[9];
	CHECK_FOR_INTERRUPTS();
	for (i = 0; i < ln; i++)
		o[SF_HEADER + (lf - from) + i] += l[SF_HEADER + i];
	for (i = 0; i < rn; i++)
		o[SF_HEADER + (rf - from) + i] += r[SF_HEADER + i];
	PG_RETURN_ARRAYTYPE_P(result);
}

static void
sf_need(const char *method, int n, int need, const char *why)
{
	if (n < need)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs at least %d months (%s), the series has %d",
						method, need, why, n),
				 errhint("Give a longer history, or a shorter season or window.")));
}

/* The forecast of months 1..horizon after the last month of the series. */
PG_FUNCTION_INFO_V1(crm_seasonal_forecast_final);
Datum
crm_seasonal_forecast_final(PG_FUNCTION_ARGS)
{
	ArrayType  *state;
	float8	   *v,
			   *y;
	int			method,
				horizon,
				m,
				n,
				h,
				t,
				i;
	Datum	   *out;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = PG_GETARG_ARRAYTYPE_P(0);
	v = sf_state_values(state);
	method = (int) v[1];
	horizon = (int) v[2];
	m = (int) v[3];
	if (m == 0)
		m = method == SF_MOVING_AVERAGE ? 3 : 12;
	n = (int) v[8];
	y = v + SF_HEADER;
	out = palloc(horizon * sizeof(Datum));

	switch (method)
	{
		case SF_NAIVE:
			sf_need("naive", n, 1, "one month");
			for (h = 0; h < horizon; h++)
				out[h] = Float8GetDatum(y[n - 1]);
			break;
		case SF_SEASONAL_NAIVE:
			sf_need("seasonal_naive", n, m, "one season");
			for (h = 0; h < horizon; h++)
				out[h] = Float8GetDatum(y[n - m + h % m]);
			break;
		case SF_MOVING_AVERAGE:
			{
				double		sum = 0.0;

				sf_need("moving_average", n, m, "one window");
				for (i = n - m; i < n; i++)
					sum += y[i];
				for (h = 0; h < horizon; h++)
					out[h] = Float8GetDatum(sum / m);
				break;
			}
		case SF_HOLT_WINTERS:
			{
				double		alpha = v[4],
							beta = v[5],
							gamma = v[6],
							level = 0.0,
							trend = 0.0;
				double	   *season;

				sf_need("holt_winters", n, 2 * m, "two seasons");
				/* s[t] for t = 0..n-1 (0-based months): the first season from the start */
				season = palloc(n * sizeof(double));
				for (i = 0; i < m; i++)
				{
					level += y[i];
					trend += y[m + i] - y[i];
				}
				level /= m;
				trend /= (double) m * m;
				for (i = 0; i < m; i++)
					season[i] = y[i] - level;
				for (t = m; t < n; t++)
				{
					double		prev_level = level;

					CHECK_FOR_INTERRUPTS();
					level = alpha * (y[t] - season[t - m]) + (1 - alpha) * (prev_level + trend);
					season[t] = gamma * (y[t] - prev_level - trend) + (1 - gamma) * season[t - m];
					trend = beta * (level - prev_level) + (1 - beta) * trend;
				}
				for (h = 0; h < horizon; h++)
					out[h] = Float8GetDatum(level + (h + 1) * trend + season[n - m + h % m]);
				break;
			}
		default:
			elog(ERROR, "seasonal_forecast: unknown method code %d", method);
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(out, horizon, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
