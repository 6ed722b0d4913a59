/*
 * funnel.c: funnel weighting and the funnel forecast (declared in
 * funnel.sql).
 *
 * A pipeline is a chain of open stages 1..n followed by the won stage.  Two
 * arrays describe it, element i for open stage i:
 *
 *	conversion[i]	the share of opportunities in stage i that reach the next
 *					stage (for i = n: that are won), in [0, 1]
 *	stage_months[i]	the mean time an opportunity spends in stage i, months
 *
 * Elements are taken by their position (the first element is stage 1)
 * whatever the array's lower bound.
 *
 * win_probability(s) = conversion[s] * conversion[s+1] * ... * conversion[n],
 * the probability that an opportunity now in stage s is eventually won.
 *
 * Timing: an opportunity's remaining time is the rest
 * of its current stage plus the mean durations of the stages after it:
 *
 *	remaining = rest + stage_months[s+1] + ... + stage_months[n]
 *	rest = max(stage_months[s] - months_in_stage, 0)	when the time already
 *													spent in stage s is known
 *	rest = stage_months[s] / 2						when it is not (NULL)
 *
 * Its weighted amount, amount * win_probability, lands in the month that
 * contains the expected close: month = ceil(remaining), at least 1, so that
 * remaining in (0, 1] is month 1, (1, 2] month 2 and so on (remaining 0,
 * overdue, is month 1 too).  A tolerance of 1e-9 months absorbs the
 * floating-point noise of summing durations (3.0000000000000004 is month 3).
 * Months beyond the horizon are left out of the forecast.
 *
 * A worked example: conversion {0.5, 0.8, 0.9},
 * stage_months {2, 1, 1}, time in stage unknown: negotiation (3) closes in
 * 0.5 month -> month 1, 200,000 * 0.9 = 180,000; bid (2) in 0.5 + 1 = 1.5
 * -> month 2, 250,000 * 0.8 * 0.9 = 180,000; potential (1) in 1 + 1 + 1 = 3
 * -> month 3, 500,000 * 0.5 * 0.8 * 0.9 = 180,000.
 *
 * The aggregate funnel_forecast keeps its state in a float8[] (not
 * internal), so Citus can ship partial states from the workers and parallel
 * query needs no serialization (SCALE-OUT.md):
 *
 *	[0] FUNNEL_FORMAT	[1] horizon		[2] rows counted	[3] reserved
 *	[4 + 2(m-1)]		month m: running sum of the weighted amounts
 *	[5 + 2(m-1)]		month m: Neumaier compensation of that sum
 *
 * Amounts are read exactly from numeric (util.c) and summed in float8 with
 * compensation, so a month's sum carries about 16 significant digits
 * whatever the number and order of rows (serial and parallel plans agree);
 * the final function rounds each month to cents (numeric, 2 decimals).
 *
 * The validated arrays and what follows from them (win probability and
 * months after each stage) are cached per call site in fn_extra and reused
 * while the arrays' bytes do not change, so a row costs a comparison of a
 * few dozen bytes instead of a validation.
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
#include "utils/numeric.h"

#include "util.h"

#define FUNNEL_FORMAT		7301.0	/* tag of a funnel_forecast state */
#define FUNNEL_HEADER		4
#define FUNNEL_MAX_HORIZON	1200	/* 100 years of months */
#define FUNNEL_MAX_STAGES	1000
#define FUNNEL_MONTH_TOLERANCE 1e-9

/* The validated funnel of one call site, in fn_mcxt. */
typedef struct FunnelCache
{
	int			nstages;
	bool		has_months;
	Size		conv_len;		/* bytes of the conversion array (VARDATA) */
	Size		months_len;
	char	   *conv_bytes;		/* copies of the arrays as last validated */
	char	   *months_bytes;
	double	   *prob;			/* prob[s]: win probability from stage s (1-based) */
	double	   *months;			/* months[s]: mean months in stage s */
	double	   *after;			/* after[s]: months of the stages after s */
} FunnelCache;

/*
 * The elements of a one-dimensional float8[] without NULLs; what names the
 * argument in messages.  Returns the count in *n.
 */
static float8 *
funnel_array(ArrayType *array, const char *who, const char *what, int *n)
{
	int			ndim = ARR_NDIM(array);
	int			count;

	if (ndim == 0 || (ndim == 1 && ARR_DIMS(array)[0] == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", what),
				 errhint("Give one element per open stage of the pipeline, first stage first.")));
	if (ndim != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", what),
				 errdetail("Given: %d dimensions.", ndim),
				 errhint("Give one element per open stage of the pipeline, first stage first.")));
	count = ARR_DIMS(array)[0];
	if (count > FUNNEL_MAX_STAGES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s has %d elements, more than the %d stages supported", what, count, FUNNEL_MAX_STAGES),
				 errhint("Give one element per open stage of the pipeline.")));
	if (ARR_HASNULL(array))
	{
		bits8	   *bitmap = ARR_NULLBITMAP(array);
		int			i;

		for (i = 0; i < count; i++)
			if (!(bitmap[i / 8] & (1 << (i % 8))))
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("element %d of %s is NULL", i + 1, what),
						 errhint("Every open stage needs a value; fill in the missing stage.")));
	}
	*n = count;
	return (float8 *) ARR_DATA_PTR(array);
}

/* Check the conversion rates; the count in *n. */
static float8 *
funnel_conversion(ArrayType *array, const char *who, int *n)
{
	float8	   *rate = funnel_array(array, who, "conversion", n);
	int			i;

	for (i = 0; i < *n; i++)
		if (!(rate[i] >= 0.0 && rate[i] <= 1.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("conversion rate %g of stage %d is outside [0, 1]", rate[i], i + 1),
					 errhint("A conversion rate is a share: 0.8 for 80 %%.")));
	return rate;
}

/* Check the stage durations against the conversion array's length. */
static float8 *
funnel_months(ArrayType *array, const char *who, int nstages)
{
	int			n,
				i;
	float8	   *months = funnel_array(array, who, "stage_months", &n);

	if (n != nstages)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("stage_months has %d elements but conversion has %d", n, nstages),
				 errhint("Give both arrays one element per open stage of the pipeline.")));
	for (i = 0; i < n; i++)
		if (!(months[i] >= 0.0) || isinf(months[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("mean duration %g of stage %d must be finite and not negative", months[i], i + 1),
					 errhint("Give the mean months an opportunity spends in each stage.")));
	return months;
}

/*
 * The funnel of conversion (and stage_months, when months is not 0) for
 * this call site: cached in fn_extra, validated again only when the bytes of
 * an array change.
 */
static FunnelCache *
funnel_cache(FunctionCallInfo fcinfo, const char *who, Datum conversion, Datum months, bool has_months)
{
	FunnelCache *cache = (FunnelCache *) fcinfo->flinfo->fn_extra;
	MemoryContext old;
	ArrayType  *conv;
	ArrayType  *mon = NULL;
	float8	   *rate;
	float8	   *dur = NULL;
	int			n,
				s;

	if (cache != NULL && cache->has_months == has_months &&
		crm_varlena_unchanged(conversion, cache->conv_bytes, cache->conv_len) &&
		(!has_months || crm_varlena_unchanged(months, cache->months_bytes, cache->months_len)))
		return cache;

	conv = DatumGetArrayTypeP(conversion);
	rate = funnel_conversion(conv, who, &n);
	if (has_months)
	{
		mon = DatumGetArrayTypeP(months);
		dur = funnel_months(mon, who, n);
	}

	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (cache == NULL)
		cache = palloc0(sizeof(FunnelCache));
	else
	{
		if (cache->conv_bytes)
			pfree(cache->conv_bytes);
		if (cache->months_bytes)
			pfree(cache->months_bytes);
		if (cache->prob)
			pfree(cache->prob);
		if (cache->months)
			pfree(cache->months);
		if (cache->after)
			pfree(cache->after);
		memset(cache, 0, sizeof(FunnelCache));
	}
	cache->nstages = n;
	cache->has_months = has_months;
	cache->conv_len = VARSIZE(conv) - VARHDRSZ;
	cache->conv_bytes = palloc(cache->conv_len);
	memcpy(cache->conv_bytes, VARDATA(conv), cache->conv_len);
	cache->prob = palloc((n + 2) * sizeof(double));
	cache->prob[n + 1] = 1.0;
	for (s = n; s >= 1; s--)
		cache->prob[s] = cache->prob[s + 1] * rate[s - 1];
	if (has_months)
	{
		cache->months_len = VARSIZE(mon) - VARHDRSZ;
		cache->months_bytes = palloc(cache->months_len);
		memcpy(cache->months_bytes, VARDATA(mon), cache->months_len);
		cache->months = palloc((n + 2) * sizeof(double));
		cache->after = palloc((n + 2) * sizeof(double));
		cache->after[n] = 0.0;
		for (s = n; s >= 1; s--)
		{
			cache->months[s] = dur[s - 1];
			if (s < n)
				cache->after[s] = cache->after[s + 1] + dur[s];
		}
	}
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = cache;
	return cache;
}

static inline void
funnel_check_stage(const char *who, int32 stage, int nstages)
{
	if (stage < 1 || stage > nstages)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("stage %d is outside the funnel's open stages 1..%d", stage, nstages),
				 errhint("Stages are numbered by position from 1; the won stage itself has no conversion rate.")));
}

static inline void
funnel_check_probability(const char *who, double p)
{
	if (!(p >= 0.0 && p <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("win probability %g is outside [0, 1]", p),
				 errhint("Give the opportunity's own win probability as a share, or NULL to use the funnel's.")));
}

static inline void
funnel_check_spent(const char *who, double spent)
{
	if (!(spent >= 0.0) || isinf(spent))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("months_in_stage %g must be finite and not negative", spent),
				 errhint("Give the months already spent in the current stage, or NULL when unknown.")));
}

/* Months until the expected close of an opportunity in stage s. */
static inline double
funnel_remaining(const FunnelCache *cache, int32 s, bool spent_known, double spent)
{
	double		rest;

	if (spent_known)
		rest = Max(cache->months[s] - spent, 0.0);
	else
		rest = cache->months[s] * 0.5;
	return rest + cache->after[s];
}

/* The forecast month (1-based) of a remaining time in months. */
static inline int64
funnel_month(double remaining)
{
	double		m = ceil(remaining - FUNNEL_MONTH_TOLERANCE);

	if (m < 1.0)
		return 1;
	if (m > (double) PG_INT32_MAX)
		return PG_INT32_MAX;
	return (int64) m;
}

/* ---------------------------------------------------------------------
 * win_probability, months_to_close
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(crm_win_probability);
Datum
crm_win_probability(PG_FUNCTION_ARGS)
{
	FunnelCache *cache;
	int32		stage;

	/* the opportunity's own probability, when set, overrides the funnel's */
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		double		own = PG_GETARG_FLOAT8(2);

		funnel_check_probability("win_probability", own);
		PG_RETURN_FLOAT8(own);
	}
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	stage = PG_GETARG_INT32(0);
	cache = funnel_cache(fcinfo, "win_probability", PG_GETARG_DATUM(1), (Datum) 0, false);
	funnel_check_stage("win_probability", stage, cache->nstages);
	PG_RETURN_FLOAT8(cache->prob[stage]);
}

PG_FUNCTION_INFO_V1(crm_months_to_close);
Datum
crm_months_to_close(PG_FUNCTION_ARGS)
{
	int32		stage;
	ArrayType  *array;
	bool		known = !PG_ARGISNULL(2);
	double		spent = known ? PG_GETARG_FLOAT8(2) : 0.0;
	double		remaining;
	float8	   *months;
	int			n,
				s;

	/* NULL months_in_stage means unknown; NULL stage or durations: NULL */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	stage = PG_GETARG_INT32(0);
	array = PG_GETARG_ARRAYTYPE_P(1);
	funnel_array(array, "months_to_close", "stage_months", &n);
	months = funnel_months(array, "months_to_close", n);
	funnel_check_stage("months_to_close", stage, n);
	if (known)
		funnel_check_spent("months_to_close", spent);
	remaining = known ? Max(months[stage - 1] - spent, 0.0) : months[stage - 1] * 0.5;
	for (s = stage; s < n; s++)
		remaining += months[s];
	PG_RETURN_FLOAT8(remaining);
}

/* ---------------------------------------------------------------------
 * funnel_forecast: the float8[] state
 * ---------------------------------------------------------------------
 */

static ArrayType *
forecast_state_new(int32 horizon)
{
	ArrayType  *array = crm_float8_state_new(FUNNEL_HEADER + 2 * horizon);
	float8	   *v = (float8 *) ARR_DATA_PTR(array);

	v[0] = FUNNEL_FORMAT;
	v[1] = horizon;
	return array;
}

/*
 * The values of a state after checking it: states can reach the support
 * functions from a user (they are callable), so they are checked.
 */
static float8 *
forecast_state_values(ArrayType *array, int32 *horizon)
{
	float8	   *v;
	int			nelems;

	v = crm_float8_state_values(array, "funnel_forecast", &nelems);
	if (nelems < FUNNEL_HEADER + 2 || v[0] != FUNNEL_FORMAT || !(v[1] >= 1) ||
		v[1] > FUNNEL_MAX_HORIZON || v[1] != floor(v[1]) ||
		nelems != FUNNEL_HEADER + 2 * (int) v[1])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("not a funnel_forecast state"),
				 errdetail("The header (format, horizon, rows, reserved) does not match the array length."),
				 errhint("Pass only states made by crm.funnel_forecast_trans.")));
	*horizon = (int32) v[1];
	return v;
}

/* Neumaier's compensated addition of x to the pair (sum, comp). */
static inline void
funnel_add(float8 *sum, float8 *comp, double x)
{
	double		t = *sum + x;

	if (fabs(*sum) >= fabs(x))
		*comp += (*sum - t) + x;
	else
		*comp += (x - t) + *sum;
	*sum = t;
}

static void
funnel_check_horizon(int32 horizon)
{
	if (horizon < 1 || horizon > FUNNEL_MAX_HORIZON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon %d is outside 1..%d months", horizon, FUNNEL_MAX_HORIZON),
				 errhint("Give the number of future months to forecast, e.g. 3.")));
}

/*
 * funnel_forecast_trans(state, stage, amount, conversion, stage_months,
 * horizon [, months_in_stage [, win_probability]])
 */
PG_FUNCTION_INFO_V1(crm_funnel_forecast_trans);
Datum
crm_funnel_forecast_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ArrayType  *state;
	FunnelCache *cache;
	float8	   *v;
	int32		horizon,
				state_horizon,
				stage;
	bool		known;
	double		spent = 0.0,
				p,
				amount;
	int64		month,
				money;

	if (PG_ARGISNULL(3) || PG_ARGISNULL(4) || PG_ARGISNULL(5))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL",
						PG_ARGISNULL(3) ? "conversion" : PG_ARGISNULL(4) ? "stage_months" : "horizon"),
				 errhint("Give the funnel (conversion rates and mean months per open stage) and the months to forecast.")));
	horizon = PG_GETARG_INT32(5);
	funnel_check_horizon(horizon);
	cache = funnel_cache(fcinfo, "funnel_forecast", PG_GETARG_DATUM(3), PG_GETARG_DATUM(4), true);

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("funnel_forecast_trans called outside an aggregate"),
				 errhint("Call the aggregate crm.funnel_forecast.")));
	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(aggcontext);

		state = forecast_state_new(horizon);
		MemoryContextSwitchTo(old);
	}
	else
		state = PG_GETARG_ARRAYTYPE_P(0);
	v = forecast_state_values(state, &state_horizon);
	if (state_horizon != horizon)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be the same on every row"),
				 errdetail("Given: %d and %d.",
						state_horizon, horizon),
				 errhint("Give the horizon as a constant, e.g. 3.")));

	/* a row without stage or amount is left out, as sum() leaves out NULLs */
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_ARRAYTYPE_P(state);
	stage = PG_GETARG_INT32(1);
	funnel_check_stage("funnel_forecast", stage, cache->nstages);
	known = PG_NARGS() > 6 && !PG_ARGISNULL(6);
	if (known)
	{
		spent = PG_GETARG_FLOAT8(6);
		funnel_check_spent("funnel_forecast", spent);
	}
	if (PG_NARGS() > 7 && !PG_ARGISNULL(7))
	{
		p = PG_GETARG_FLOAT8(7);
		funnel_check_probability("funnel_forecast", p);
	}
	else
		p = cache->prob[stage];
	money = crm_numeric_to_money(PG_GETARG_DATUM(2), "funnel_forecast: amount", NULL);
	if (money < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount must not be negative"),
				 errdetail("Given: %s.",
						DatumGetCString(DirectFunctionCall1(numeric_out, PG_GETARG_DATUM(2)))),
				 errhint("An opportunity's amount is its expected deal value, 0 or more (crm.opportunities.amount).")));
	amount = (double) money / (double) CRM_MONEY_SCALE;

	v[2] += 1.0;
	month = funnel_month(funnel_remaining(cache, stage, known, spent));
	if (month <= horizon && p != 0.0)
	{
		float8	   *slot = v + FUNNEL_HEADER + 2 * (month - 1);

		funnel_add(slot, slot + 1, amount * p);
	}
	PG_RETURN_ARRAYTYPE_P(state);
}

PG_FUNCTION_INFO_V1(crm_funnel_forecast_combine);
Datum
crm_funnel_forecast_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ArrayType  *left,
			   *right;
	float8	   *l,
			   *r;
	int32		hl,
				hr,
				m;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("funnel_forecast_combine called outside an aggregate"),
				 errhint("Call the aggregate crm.funnel_forecast.")));
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	right = PG_GETARG_ARRAYTYPE_P(1);
	r = forecast_state_values(right, &hr);
	if (PG_ARGISNULL(0))
	{
		/* the first partial state: a copy in the aggregate's context */
		MemoryContext old = MemoryContextSwitchTo(aggcontext);

		left = (ArrayType *) palloc(VARSIZE(right));
		memcpy(left, right, VARSIZE(right));
		MemoryContextSwitchTo(old);
		PG_RETURN_ARRAYTYPE_P(left);
	}
	left = PG_GETARG_ARRAYTYPE_P(0);
	l = forecast_state_values(left, &hl);
	if (hl != hr)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be the same on every row"),
				 errdetail("Given: %d and %d.", hl, hr),
				 errhint("Give the horizon as a constant, e.g. 3.")));
	l[2] += r[2];
	for (m = 0; m < hl; m++)
	{
		float8	   *slot = l + FUNNEL_HEADER + 2 * m;

		funnel_add(slot, slot + 1, r[FUNNEL_HEADER + 2 * m]);
		slot[1] += r[FUNNEL_HEADER + 2 * m + 1];
	}
	PG_RETURN_ARRAYTYPE_P(left);
}

/* The expected revenue of months 1..horizon, rounded to cents. */
PG_FUNCTION_INFO_V1(crm_funnel_forecast_final);
Datum
crm_funnel_forecast_final(PG_FUNCTION_ARGS)
{
	ArrayType  *state;
	float8	   *v;
	int32		horizon,
				m;
	Datum	   *months;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = PG_GETARG_ARRAYTYPE_P(0);
	v = forecast_state_values(state, &horizon);
	months = palloc(horizon * sizeof(Datum));
	for (m = 0; m < horizon; m++)
	{
		double		total = v[FUNNEL_HEADER + 2 * m] + v[FUNNEL_HEADER + 2 * m + 1];
		int64		money = crm_float8_to_money(total, "funnel_forecast: monthly total");
		int64		cents = money / (CRM_MONEY_SCALE / 100);
		int64		rest = money % (CRM_MONEY_SCALE / 100);

		/* half a cent and more rounds away from zero */
		if (rest >= CRM_MONEY_SCALE / 200)
			cents++;
		else if (rest <= -CRM_MONEY_SCALE / 200)
			cents--;
		months[m] = NumericGetDatum(int64_div_fast_to_numeric(cents, 2));
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(months, horizon, NUMERICOID, -1, false, TYPALIGN_INT));
}
