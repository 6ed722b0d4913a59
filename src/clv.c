/*
 * clv.c: customer lifetime value with the BG/NBD purchase model and the
 * Gamma-Gamma spend model (declared in clv.sql); the Pareto/NBD purchase
 * model, the shifted-beta-geometric contract retention model and the BG/BB
 * model of discrete opportunities and the MBG/NBD variant of BG/NBD, which
 * use the same state, combine and optimizer, are explained at their
 * sections at the end of the file.
 *
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way:
 * an alternative to the Pareto/NBD model", Marketing Science 24(2)): while
 * alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after
 * every purchase she drops out with probability p ~ Beta(a, b).  A customer
 * is summarised by x (repeat purchases), t_x (first to last purchase) and T
 * (first purchase to the end of calibration), the output of crm.rfm_summary.
 * Her likelihood (FHL 2005 eq. 6) is
 *
 *	 L = B(a, b+x)/B(a, b) G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
 *	   + [x > 0] B(a+1, b+x-1)/B(a, b) G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))
 *
 * computed in log space: ln L = A1 + A2 + logaddexp(A3, A4) with
 * A1 = lgamma(r+x) - lgamma(r) + r ln alpha, A2 = ln B(a, b+x) - ln B(a, b),
 * A3 = -(r+x) ln(alpha+T), A4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x), so it
 * stays finite for any x and T (x = 200, T = 1000 included).
 *
 * Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value
 * curves for customer base analysis", JMR 42(4); Fader & Hardie 2013 note
 * "The Gamma-Gamma model of monetary value"): a customer's transaction
 * values are Gamma(p, nu) with nu ~ Gamma(q, gamma); with x repeat
 * transactions of mean m the likelihood is
 *
 *	 G(px+q) / (G(px) G(q)) gamma^q m^(px-1) x^(px) / (gamma + m x)^(px+q).
 *
 * Fitting.  Both fits are aggregates whose state is a plain float8[] (not
 * internal), so Citus can split them into worker partials and a coordinator
 * combine (SCALE-OUT.md) and parallel query needs no serialization.  The
 * state is a 4-element header (format tag, L2 penalty, number of records,
 * reserved) followed by records: (x, t_x, T, weight) for BG/NBD, (x, mean,
 * weight) for Gamma-Gamma; slot 4 of the Gamma-Gamma header counts the
 * rows skipped.  While the aggregate runs the array is kept expanded and
 * grows in place (see state_writable).  Identical records are merged
 * (weights summed) by sorting when a large array fills up, in the combine
 * function and in the final function, so a population of customers costs
 * its number of distinct summaries, not its number of rows.
 *
 * The maximum likelihood is found by BFGS with the analytic gradient on the
 * logarithms of the parameters (so they stay positive), a backtracking
 * Armijo line search (whose halvings stop where the predicted decrease is
 * below the objective's rounding), steps of at most 3 in any log-parameter, and restarts
 * with a fresh Hessian approximation when the search stalls; a second start
 * is tried when the first does not converge, and the better one is kept.
 * Converged means: the largest component of the gradient of the objective
 * (minus the log-likelihood per unit of weight, plus the penalty) with
 * respect to the log-parameters is below CLV_GTOL = 1e-8, or below
 * CLV_GTOL_STALLED = 1e-5 when not even a steepest-descent step lowers the
 * objective in floating point any more (a flat ridge), and no parameter
 * beyond exp(+-12): there the likelihood keeps rising towards a boundary
 * (no dropout in the data sends a and b to infinity) and the penalty is
 * the remedy.  The optional L2 penalty
 * is lifetimes' penalizer_coef: the objective adds penalty * sum of the
 * squared parameters (per unit of weight), which keeps a and b finite on
 * data that say little about dropout.
 *
 * Predictions use the conditional expectation of FHL 2005 eq. 10, which
 * needs the Gaussian hypergeometric function 2F1(r+x, b+x; a+b+x-1; z).  It
 * is evaluated through its integral meaning (an average over the posterior
 * dropout probability) in one of three convergent series, see
 * bgnbd_alive_expectation; none divides by a+b+x-1, and by a-1 only when
 * a >= 2, so a = 1 and a + b = 1 are fine.  Where a series would lose
 * digits to cancellation (r + x in the hundreds and more), the same average
 * is taken by adaptive Gauss-Kronrod quadrature over the Beta density
 * (beta_mean_expectation).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "util.h"

/* state header: format tag, penalty, records, reserved */
#define CLV_HEADER			4
#define CLV_FORMAT_BGNBD	1.0
#define CLV_FORMAT_GG		2.0
#define CLV_FORMAT_PNBD		3.0
#define CLV_FORMAT_SBG		4.0
#define CLV_FORMAT_BGBB		5.0
#define CLV_FORMAT_MBGNBD	6.0
#define BGNBD_RECORD		4	/* x, t_x, T, weight (also Pareto/NBD) */
#define GG_RECORD			3	/* x, mean, weight */
#define SBG_RECORD			3	/* periods, churned, weight */
#define BGBB_RECORD			4	/* x, t_x, n, weight: sorted as BG/NBD's */
#define CLV_INITIAL_RECORDS 256
/* a transition merges identical records only in states this large (32 MB for BG/NBD) */
#define CLV_COMPRESS_RECORDS (1 << 20)

/* optimizer */
#define CLV_GTOL			1e-8	/* gradient of the per-weight objective */
#define CLV_GTOL_STALLED	1e-5	/* ... when floating point allows no further decrease */
#define CLV_MAX_ITER		1000	/* BFGS iterations per start */
#define CLV_MAX_MONTHS		1200	/* longest clv horizon: 100 years */
#define CLV_MAX_LOGPARAM	50.0	/* parameters within exp(+-50) */
#define CLV_MAX_STEP		3.0		/* largest change of a log-parameter per step */
#define CLV_RUNAWAY			12.0	/* beyond exp(+-12) a parameter is running off */
#define CLV_GIVE_UP			14.0	/* ... and beyond exp(+-14) the search stops */
#define CLV_NOTICE_MS		5000	/* progress NOTICE of a long fit */
#define CLV_DIFF_STEP		1e-5	/* central differences in a log-parameter */

/* series of the predictions */
#define CLV_SERIES_EPS		1e-16
#define CLV_SERIES_MAX		10000000

/* ---------------------------------------------------------------------
 * Special functions
 * ---------------------------------------------------------------------
 */

/*
 * digamma(x) for x > 0: recurrence up to x >= 6, then the asymptotic series
 * (error below 1e-15 there).  libm has lgamma but no digamma.
 */
static double
digamma(double x)
{
	double		result = 0.0;
	double		f;

	while (x < 6.0)
	{
		result -= 1.0 / x;
		x += 1.0;
	}
	f = 1.0 / (x * x);
	return result + log(x) - 0.5 / x -
		f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

static double
lbeta(double a, double b)
{
	return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/* log(1 + exp(d)) without overflow */
static inline double
softplus(double d)
{
	return d > 0.0 ? d + log1p(exp(-d)) : log1p(exp(d));
}

/* expm1(e) / e, 1 at e = 0 */
static double
expm1_over(double e)
{
	if (fabs(e) < 1e-10)
		return 1.0 + e / 2.0;
	return expm1(e) / e;
}

/*
 * Continued fraction of the incomplete beta function (modified Lentz, as in
 * Numerical Recipes betacf); converges fast for x < (a+1)/(a+b+2).
 */
static double
betacf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double		c = 1.0,
				d = 1.0 - (a + b) * x / (a + 1.0),
				h;
	int			m;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1.0 / d;
	h = d;
	for (m = 1; m <= 100000; m++)
	{
		double		m2 = 2.0 * m;
		double		aa = m * (b - m) * x / ((a - 1.0 + m2) * (a + m2));
		double		del;

		d = 1.0 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		h *= d * c;
		aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1.0 + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1.0) < 1e-15)
			break;
	}
	return h;
}

/* regularized incomplete beta I_x(a, b), a, b > 0 */
static double
incomplete_beta(double a, double b, double x)
{
	double		lfront;

	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	lfront = -lbeta(a, b) + a * log(x) + b * log1p(-x);
	if (x < (a + 1.0) / (a + b + 2.0))
		return exp(lfront) * betacf(a, b, x) / a;
	return 1.0 - exp(lfront) * betacf(b, a, 1.0 - x) / b;
}

/* ---------------------------------------------------------------------
 * Argument checks
 * ---------------------------------------------------------------------
 */

/* the error of check_summary for a summary that fails its test */
static pg_noinline void
summary_error(const char *who, int32 x, double t_x, double T)
{
	if (x < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x must not be negative"),
				 errdetail("Given: %d.", x),
				 errhint("x is the number of repeat purchases (purchase days after the first).")));
	if (isnan(t_x) || isinf(t_x) || isnan(T) || isinf(T))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t_x and T must be finite"),
				 errdetail("Given: t_x = %g, T = %g.", t_x, T),
				 errhint("t_x and T are times in the model's unit (e.g. weeks), as crm.rfm_summary gives them; filter out NaN and infinite values.")));
	if (t_x < 0.0 || t_x > T)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("need 0 <= t_x <= T"),
				 errdetail("Given: t_x = %g, T = %g.", t_x, T),
				 errhint("t_x runs from the first to the last purchase, T from the first purchase to the end of the calibration period.")));
	if (x == 0 && t_x != 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t_x must be 0 when x = 0"),
				 errdetail("Given: t_x = %g.", t_x),
				 errhint("Without repeat purchases the last purchase is the first.")));
}

/*
 * a customer summary (x, t_x, T) as the model needs it; who names the
 * caller.  One test in line for the summaries that pass (every row of a
 * prediction over a table calls it): 0 <= t_x <= T < infinity (false for a
 * NaN), x >= 0, t_x = 0 when x = 0; summary_error raises the error of the
 * first check that fails.
 */
static inline void
check_summary(const char *who, int32 x, double t_x, double T)
{
	if (unlikely(!(t_x >= 0.0 && t_x <= T && T < HUGE_VAL && x >= 0 && (x != 0 || t_x == 0.0))))
		summary_error(who, x, t_x, T);
}

/* the optional L2 penalty of a fit, argument argno when given, else 0 */
static double
penalty_arg(FunctionCallInfo fcinfo, int argno, const char *who)
{
	double		penalty;

	if (PG_NARGS() <= argno)
		return 0.0;
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("penalty must not be NULL"),
				 errhint("Use 0 for no penalty.")));
	penalty = PG_GETARG_FLOAT8(argno);
	if (!(penalty >= 0.0) || isinf(penalty))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("penalty must be finite and not negative"),
				 errdetail("Given: %g.", penalty),
				 errhint("Use 0 for no penalty, or a small value such as 0.001 to keep the parameters from running off.")));
	return penalty;
}

static void
check_horizon(const char *who, const char *what, double t)
{
	if (!(t >= 0.0) || isinf(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be finite and not negative", what),
				 errdetail("Given: %g.", t),
				 errhint("%s is a length of time in the model's unit (e.g. weeks for a model fitted in weeks).", what)));
}

/* a record's weight: positive and finite; hint says what a weight is */
static void
check_weight(double w, const char *hint)
{
	if (!(w > 0.0) || isinf(w))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight must be positive and finite"),
				 errdetail("Given: %g.", w),
				 errhint("%s", hint)));
}

/* does the row of a transition function have a NULL in arguments 1 .. last? */
static bool
row_has_null(FunctionCallInfo fcinfo, int last)
{
	for (int i = 1; i <= last && i < PG_NARGS(); i++)
		if (PG_ARGISNULL(i))
			return true;
	return false;
}

/* a transition's result for a row left out: the state as it was */
static Datum
state_unchanged(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

/* a 2F1 series of a prediction that did not converge within its terms */
static void
series_limit_error(const char *detail, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("the hypergeometric series does not converge within %d terms", CLV_SERIES_MAX),
			 errdetail("%s", detail),
			 errhint("%s", hint)));
}

/* ---------------------------------------------------------------------
 * The float8[] state
 * ---------------------------------------------------------------------
 */

/* the model a state format belongs to, for messages */
static const char *
format_name(double format)
{
	if (format == CLV_FORMAT_BGNBD)
		return "BG/NBD";
	if (format == CLV_FORMAT_PNBD)
		return "Pareto/NBD";
	if (format == CLV_FORMAT_SBG)
		return "shifted-beta-geometric";
	if (format == CLV_FORMAT_BGBB)
		return "BG/BB";
	if (format == CLV_FORMAT_MBGNBD)
		return "MBG/NBD";
	return "Gamma-Gamma";
}

/*
 * The records of a state after checking its header (nelems float8 values
 * from v): a state can reach the support functions from a user (they are
 * callable), so it is checked.
 */
static float8 *
state_check(float8 *v, int64 nelems, double format, int record, int64 *n)
{
	if (nelems < CLV_HEADER || v[0] != format || (nelems - CLV_HEADER) % record != 0 ||
		!(v[2] >= 0) || v[2] * record > nelems - CLV_HEADER || v[2] != floor(v[2]) ||
		!(v[1] >= 0) || isinf(v[1]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("not a %s fitting state", format_name(format)),
				 errdetail("The header (format, penalty, records, reserved) does not match the array length."),
				 errhint("Pass only states made by the fit's own transition and combine functions.")));
	*n = (int64) v[2];
	return v + CLV_HEADER;
}

static void
not_a_state(double format)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("not a %s fitting state: need a one-dimensional float8[] without NULLs",
					format_name(format)),
			 errhint("Pass only states made by the aggregate's own transition and combine functions.")));
}

/* the records as structs, for sorting (no padding: all float8) */
/*
 * A record is `record` float8s: the summary fields, then the weight.  Two
 * records are the same summary when every field but the weight is equal.
 * The sorts are specialized per record width (lib/sort_template.h: a
 * generic qsort costs twice as much); one comparison serves both, its
 * field count a constant after inlining.
 */
typedef struct BgnbdRecord
{
	float8		v[BGNBD_RECORD];
} BgnbdRecord;

typedef struct GgRecord
{
	float8		v[GG_RECORD];
} GgRecord;

static inline int
summary_cmp(const float8 *a, const float8 *b, int fields)
{
	for (int i = 0; i < fields; i++)
	{
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	}
	return 0;
}

static inline int
float8_cmp_inline(const float8 *a, const float8 *b)
{
	return (*a > *b) - (*a < *b);
}

#define ST_SORT sort_bgnbd_records
#define ST_ELEMENT_TYPE BgnbdRecord
#define ST_COMPARE(a, b) summary_cmp((a)->v, (b)->v, BGNBD_RECORD - 1)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

#define ST_SORT sort_gg_records
#define ST_ELEMENT_TYPE GgRecord
#define ST_COMPARE(a, b) summary_cmp((a)->v, (b)->v, GG_RECORD - 1)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

#define ST_SORT sort_float8
#define ST_ELEMENT_TYPE float8
#define ST_COMPARE(a, b) float8_cmp_inline(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/* Sort records and merge identical ones (weights summed); the new count. */
static int64
records_compress(float8 *rec, int64 n, int record)
{
	int64		i,
				m = 0;

	if (n <= 1)
		return n;
	if (record == BGNBD_RECORD)
		sort_bgnbd_records((BgnbdRecord *) rec, n);
	else
		sort_gg_records((GgRecord *) rec, n);
	for (i = 0; i < n; i++)
	{
		float8	   *cur = rec + i * record;

		if (m > 0 && summary_cmp(rec + (m - 1) * record, cur, record - 1) == 0)
			rec[m * record - 1] += cur[record - 1];	/* the weight */
		else
		{
			if (m != i)
				memcpy(rec + m * record, cur, record * sizeof(float8));
			m++;
		}
	}
	return m;
}

/*
 * While an aggregate runs, its state is a float8[] in PostgreSQL's expanded
 * form (utils/array.h: a Datum per element, which for float8 is the value's
 * own 8 bytes), appended to in place in a buffer that grows by repalloc.
 * A flat float8[] that grew would be a new datum, which the executor copies
 * into the aggregate context once more; at a million customers those copies
 * and the page faults of their fresh memory took two thirds of the
 * transition time.  Being an ordinary expanded array, the state flattens to
 * a plain float8[] (its records in use only, not the spare room) wherever
 * it leaves the aggregate: into a parallel worker's result tuple, to Citus,
 * or to any array function a user hands it to.
 */
#ifndef USE_FLOAT8_BYVAL
#error "the fit states keep float8 values in Datums: needs a 64-bit build"
#endif

/* the largest number of records whose flat float8[] fits in a datum */
static int64
state_max_records(int record)
{
	return ((MaxAllocSize - ARR_OVERHEAD_NONULLS(1)) / sizeof(float8) - CLV_HEADER) / record;
}

/* the header and values of an expanded state; it has room for dvalueslen */
static inline float8 *
state_values(ExpandedArrayHeader *eah)
{
	return (float8 *) eah->dvalues;
}

/*
 * Turn the datum d (a float8[] state, flat or expanded) into an expanded
 * state ready to be changed in place: d itself when it is a read-write
 * expanded array, else a copy under parent.  Its Datum representation
 * becomes the only one (the flat copy, when there is one, is let go) and
 * its dimensions get storage of their own.
 */
static ExpandedArrayHeader *
state_writable(Datum d, MemoryContext parent, double format, int record)
{
	ExpandedArrayHeader *eah;
	int64		n;

	if (!VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
		d = expand_array(d, parent, NULL);
	eah = (ExpandedArrayHeader *) DatumGetEOHP(d);
	if (eah->element_type != FLOAT8OID || eah->ndims != 1)
		not_a_state(format);
	deconstruct_expanded_array(eah);
	if (eah->dnulls != NULL)
		not_a_state(format);
	(void) state_check(state_values(eah), eah->nelems, format, record, &n);
	if (eah->fvalue != NULL)
	{
		int		   *dims = MemoryContextAlloc(eah->hdr.eoh_context, 2 * sizeof(int));

		dims[0] = eah->dims[0];
		dims[1] = eah->lbound[0];
		pfree(eah->fvalue);
		eah->fvalue = NULL;
		eah->fstartptr = eah->fendptr = NULL;
		eah->dims = dims;
		eah->lbound = dims + 1;
	}
	return eah;
}

/* the aggregate's context, or the caller's outside an aggregate */
static MemoryContext
state_context(FunctionCallInfo fcinfo)
{
	MemoryContext aggcontext;

	return AggCheckCallContext(fcinfo, &aggcontext) ? aggcontext : CurrentMemoryContext;
}

/* make the expanded state hold n records (buffer kept) */
static void
state_set_records(ExpandedArrayHeader *eah, int record, int64 n)
{
	state_values(eah)[2] = (float8) n;
	eah->nelems = eah->dims[0] = (int) (CLV_HEADER + n * record);
	eah->flat_size = 0;
}

/* room for capacity records in the expanded state */
static void
state_reserve(ExpandedArrayHeader *eah, int record, int64 capacity)
{
	if (capacity > state_max_records(record))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct customer summaries for one fit"),
				 errhint("Round t_x and T (e.g. to whole days) so that identical summaries merge.")));
	if (CLV_HEADER + capacity * record > eah->dvalueslen)
	{
		eah->dvalues = repalloc(eah->dvalues, (CLV_HEADER + capacity * record) * sizeof(Datum));
		eah->dvalueslen = (int) (CLV_HEADER + capacity * record);
	}
}

/* a new expanded state without records, with room for capacity of them */
static ExpandedArrayHeader *
state_new(FunctionCallInfo fcinfo, double format, int record, double penalty, int64 capacity)
{
	Datum		header[CLV_HEADER] = {Float8GetDatum(format), Float8GetDatum(penalty),
	Float8GetDatum(0.0), Float8GetDatum(0.0)};
	ArrayType  *flat = construct_array(header, CLV_HEADER, FLOAT8OID, sizeof(float8),
								   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	ExpandedArrayHeader *eah = state_writable(PointerGetDatum(flat), state_context(fcinfo),
											  format, record);

	state_reserve(eah, record, capacity);
	return eah;
}

/*
 * The records of the state in argument argno, read-only, and *n their
 * number: in place when it is an expanded array with its Datum
 * representation, else from the flat float8[].  The header is at [-4..-1].
 */
static float8 *
state_arg_records(FunctionCallInfo fcinfo, int argno, double format, int record, int64 *n)
{
	Datum		d = PG_GETARG_DATUM(argno);
	ArrayType  *array;
	float8	   *v;
	int			nelems;

	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		ExpandedArrayHeader *eah = (ExpandedArrayHeader *) DatumGetEOHP(d);

		if (eah->dvalues != NULL)
		{
			if (eah->element_type != FLOAT8OID || eah->ndims != 1 || eah->dnulls != NULL)
				not_a_state(format);
			return state_check(state_values(eah), eah->nelems, format, record, n);
		}
	}
	array = PG_GETARG_ARRAYTYPE_P(argno);
	v = crm_float8_state_values(array, psprintf("%s fitting", format_name(format)), &nelems);
	return state_check(v, nelems, format, record, n);
}

/*
 * The state of a transition function's first argument, ready to be changed:
 * in an aggregate, from the second row on, the executor's own state from the
 * row before; a new one for NULL.
 */
static ExpandedArrayHeader *
state_arg(FunctionCallInfo fcinfo, double format, int record, double penalty)
{
	if (PG_ARGISNULL(0))
		return state_new(fcinfo, format, record, penalty, CLV_INITIAL_RECORDS);
	return state_writable(PG_GETARG_DATUM(0), state_context(fcinfo), format, record);
}

/*
 * Append one record to the state of argument 0 (a new state when it is
 * NULL); returns the state, read-write.  When the buffer is full and large,
 * identical records are merged first, and it doubles only if that does not
 * free half of it.
 * Merging pays only when many summaries repeat: below CLV_COMPRESS_RECORDS
 * the buffer just grows and the final function merges once.
 */
static Datum
state_append(FunctionCallInfo fcinfo, double format, int record, double penalty, const float8 *values)
{
	ExpandedArrayHeader *eah = state_arg(fcinfo, format, record, penalty);
	float8	   *v = state_values(eah);
	int64		n = (int64) v[2],
				capacity = (eah->dvalueslen - CLV_HEADER) / record;

	if (v[1] != penalty)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the penalty must be the same on every row"),
				 errdetail("Given: %g and %g.",
						v[1], penalty),
				 errhint("Pass the penalty as a constant, e.g. 0.001.")));
	if (n == capacity)
	{
		if (capacity >= CLV_COMPRESS_RECORDS)
			n = records_compress(v + CLV_HEADER, n, record);
		if (n > capacity / 2)
		{
			state_reserve(eah, record, Max(capacity * 2, CLV_INITIAL_RECORDS));
			v = state_values(eah);
		}
	}
	memcpy(v + CLV_HEADER + n * record, values, record * sizeof(float8));
	state_set_records(eah, record, n + 1);
	return EOHPGetRWDatum(&eah->hdr);
}

/*
 * Combine: the union of the states of arguments 0 and 1, merged, as a new
 * state; header slot 3 (Gamma-Gamma: rows skipped) is summed.
 */
static Datum
state_combine(FunctionCallInfo fcinfo, double format, int record)
{
	int64		nl,
				nr;
	float8	   *l = state_arg_records(fcinfo, 0, format, record, &nl);
	float8	   *r = state_arg_records(fcinfo, 1, format, record, &nr);
	ExpandedArrayHeader *eah;
	float8	   *v;

	if (l[-CLV_HEADER + 1] != r[-CLV_HEADER + 1])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the penalty must be the same on every row"),
				 errdetail("Given: %g and %g.",
						l[-CLV_HEADER + 1], r[-CLV_HEADER + 1]),
				 errhint("Pass the penalty as a constant, e.g. 0.001.")));
	eah = state_new(fcinfo, format, record, l[-CLV_HEADER + 1], Max(nl + nr, CLV_INITIAL_RECORDS));
	v = state_values(eah);
	memcpy(v + CLV_HEADER, l, nl * record * sizeof(float8));
	memcpy(v + CLV_HEADER + nl * record, r, nr * record * sizeof(float8));
	v[3] = l[-CLV_HEADER + 3] + r[-CLV_HEADER + 3];
	state_set_records(eah, record, records_compress(v + CLV_HEADER, nl + nr, record));
	return EOHPGetRWDatum(&eah->hdr);
}

/*
 * The records of the state in argument 0, merged, in a palloc'd copy (the
 * state is read-only in a final function); its penalty and header slot 3.
 */
static float8 *
state_final_records(FunctionCallInfo fcinfo, double format, int record, int64 *n,
					double *penalty, double *slot3)
{
	float8	   *rec = state_arg_records(fcinfo, 0, format, record, n);
	float8	   *copy = palloc(Max(*n, 1) * record * sizeof(float8));

	*penalty = rec[-CLV_HEADER + 1];
	*slot3 = rec[-CLV_HEADER + 3];
	memcpy(copy, rec, *n * record * sizeof(float8));
	*n = records_compress(copy, *n, record);
	return copy;
}

/* ---------------------------------------------------------------------
 * BFGS on log-parameters
 * ---------------------------------------------------------------------
 */

#define CLV_MAX_PARAMS 4

/*
 * A fit: the log-likelihood of the data at parameters theta (and its
 * gradient in grad, unless NULL), the number of parameters, the total
 * weight of the data and the L2 penalty.
 */
typedef double (*loglik_fn) (void *data, const double *theta, double *grad);

typedef struct FitProblem
{
	loglik_fn	loglik;
	void	   *data;
	int			dim;
	double		total;
	double		penalty;
	double		n;				/* distinct records, for progress NOTICEs */
	const char *who;			/* the aggregate, for progress NOTICEs */
	TimestampTz last_notice;	/* start of the fit or the last NOTICE */
} FitProblem;

/*
 * The objective minimized at u (log-parameters, theta = exp(u)):
 * -ll / total + penalty * sum(theta^2), with its gradient in u; false when
 * u is out of range or the value or gradient is not finite there.
 */
static bool
objective_at(const FitProblem *fp, const double *u, double *f, double *g)
{
	double		theta[CLV_MAX_PARAMS],
				grad[CLV_MAX_PARAMS];
	int			i;

	for (i = 0; i < fp->dim; i++)
	{
		if (!(fabs(u[i]) <= CLV_MAX_LOGPARAM))
			return false;
		theta[i] = exp(u[i]);
	}
	*f = -fp->loglik(fp->data, theta, grad) / fp->total;
	for (i = 0; i < fp->dim; i++)
	{
		*f += fp->penalty * theta[i] * theta[i];
		g[i] = -grad[i] * theta[i] / fp->total + 2.0 * fp->penalty * theta[i] * theta[i];
	}
	if (!isfinite(*f))
		return false;
	for (i = 0; i < fp->dim; i++)
		if (!isfinite(g[i]))
			return false;
	return true;
}

static double
max_abs(const double *g, int dim)
{
	double		m = 0.0;
	int			i;

	for (i = 0; i < dim; i++)
		m = Max(m, fabs(g[i]));
	return m;
}

/*
 * Minimize the objective from u (updated in place) by BFGS on the inverse
 * Hessian; returns whether the gradient fell below CLV_GTOL, adds the
 * iterations to *iterations.  A failed line search resets the Hessian
 * approximation (a restart); two failures in a row end the search.  A
 * parameter beyond exp(+-CLV_GIVE_UP) ends it too: the likelihood rises
 * towards a boundary there, and following it along a flat ridge took
 * minutes on a million customers for nothing (see minimize).
 */
static bool
bfgs(FitProblem *fp, double *u, double *fu, int *iterations)
{
	int			dim = fp->dim;
	double		H[CLV_MAX_PARAMS][CLV_MAX_PARAMS];
	double		g[CLV_MAX_PARAMS],
				d[CLV_MAX_PARAMS],
				un[CLV_MAX_PARAMS],
				gn[CLV_MAX_PARAMS],
				s[CLV_MAX_PARAMS],
				y[CLV_MAX_PARAMS];
	double		f,
				fn_new = 0.0,
				min_decrease;
	bool		fresh = true;
	int			failures = 0;
	int			iter,
				i,
				j;

	if (!objective_at(fp, u, &f, g))
		return false;
	for (iter = 0; iter < CLV_MAX_ITER; iter++)
	{
		double		slope = 0.0,
					step = 1.0,
					dmax,
					sy = 0.0,
					yy = 0.0;
		bool		accepted = false;

		CHECK_FOR_INTERRUPTS();
		if (max_abs(g, dim) < CLV_GTOL)
		{
			*fu = f;
			return true;
		}
		if (max_abs(u, dim) > CLV_GIVE_UP)
		{
			*fu = f;
			return false;
		}
		if (TimestampDifferenceExceeds(fp->last_notice, GetCurrentTimestamp(), CLV_NOTICE_MS))
		{
			ereport(NOTICE,
					(errmsg("iteration %d, objective %.10g, largest gradient %.3g, %.0f distinct records", *iterations, f, max_abs(g, dim), fp->n)));
			fp->last_notice = GetCurrentTimestamp();
		}
		if (fresh)
			for (i = 0; i < dim; i++)
				for (j = 0; j < dim; j++)
					H[i][j] = i == j ? 1.0 : 0.0;
		for (i = 0; i < dim; i++)
		{
			d[i] = 0.0;
			for (j = 0; j < dim; j++)
				d[i] -= H[i][j] * g[j];
			slope += d[i] * g[i];
		}
		if (!(slope < 0.0))
		{
			/* not a descent direction: steepest descent */
			for (i = 0; i < dim; i++)
				d[i] = -g[i];
			slope = 0.0;
			for (i = 0; i < dim; i++)
				slope -= g[i] * g[i];
			fresh = true;
		}
		min_decrease = DBL_EPSILON * sqrt(Max(fp->n, 1.0)) * fabs(f);
		dmax = max_abs(d, dim);
		if (dmax > CLV_MAX_STEP)
			step = CLV_MAX_STEP / dmax;

		/*
		 * Backtracking Armijo line search: the full step, then halvings
		 * down to steps whose predicted decrease, step * |slope|, is below
		 * the resolution of f, a sum over n records: its rounding error
		 * grows as sqrt(n) units in the last place, and a "decrease"
		 * smaller than that is rounding (the full step, a Newton step near
		 * the optimum, is always tried: it may end the search there).
		 * Near the optimum of a large fit, halving on to the 60th step
		 * cost 60 likelihoods per failed search (50 s of a 64 s Pareto/NBD
		 * fit of a million customers).
		 */
		for (j = 0; j < 60 && (j == 0 || step * -slope >= min_decrease); j++)
		{
			for (i = 0; i < dim; i++)
				un[i] = u[i] + step * d[i];
			/* strictly lower: at the rounding level of f, "not higher" would loop forever */
			if (objective_at(fp, un, &fn_new, gn) &&
				fn_new < f && fn_new <= f + 1e-4 * step * slope)
			{
				accepted = true;
				break;
			}
			step *= 0.5;
		}
		(*iterations)++;
		if (!accepted)
		{
			/*
			 * No decrease even along the steepest descent: near the optimum
			 * the objective changes by about g^2 / curvature, which on a flat
			 * ridge falls below its rounding before g reaches CLV_GTOL.
			 */
			if (fresh || ++failures >= 2)
			{
				*fu = f;
				return max_abs(g, dim) < CLV_GTOL_STALLED;
			}
			fresh = true;
			continue;
		}
		failures = 0;
		for (i = 0; i < dim; i++)
		{
			s[i] = un[i] - u[i];
			y[i] = gn[i] - g[i];
			sy += s[i] * y[i];
			yy += y[i] * y[i];
		}
		memcpy(u, un, dim * sizeof(double));
		memcpy(g, gn, dim * sizeof(double));
		f = fn_new;
		if (sy > 1e-14 * sqrt(yy) * max_abs(s, dim))
		{
			double		Hy[CLV_MAX_PARAMS],
						yHy = 0.0;

			if (fresh)
			{
				/* scale the identity to the curvature seen (Nocedal & Wright 6.20) */
				for (i = 0; i < dim; i++)
					H[i][i] = sy / yy;
				fresh = false;
			}
			for (i = 0; i < dim; i++)
			{
				Hy[i] = 0.0;
				for (j = 0; j < dim; j++)
					Hy[i] += H[i][j] * y[j];
				yHy += y[i] * Hy[i];
			}
			for (i = 0; i < dim; i++)
				for (j = 0; j < dim; j++)
					H[i][j] += ((sy + yHy) * s[i] * s[j]) / (sy * sy) -
						(Hy[i] * s[j] + s[i] * Hy[j]) / sy;
		}
		else
			fresh = true;
	}
	*fu = f;
	return max_abs(g, dim) < CLV_GTOL;
}

/*
 * Run BFGS from each start in turn until one converges; keep the best
 * (lowest objective) point.  Each start gets one restart from its end
 * point with a fresh Hessian approximation if it did not converge.
 */
static bool
minimize(FitProblem *fp, double starts[][CLV_MAX_PARAMS], int nstarts,
		 double *best, int *iterations)
{
	int			dim = fp->dim;
	double		best_f = INFINITY;
	bool		best_converged = false;
	int			k;

	*iterations = 0;
	for (k = 0; k < nstarts; k++)
	{
		double		u[CLV_MAX_PARAMS],
					f = INFINITY;
		bool		converged;

		memcpy(u, starts[k], dim * sizeof(double));
		converged = bfgs(fp, u, &f, iterations);
		if (!converged && isfinite(f))
			converged = bfgs(fp, u, &f, iterations);
		if (isfinite(f) && (f < best_f || (converged && !best_converged && f <= best_f + 1e-12)))
		{
			best_f = f;
			best_converged = converged;
			memcpy(best, u, dim * sizeof(double));
		}
		if (best_converged)
			break;
	}
	if (!isfinite(best_f))
		memcpy(best, starts[0], dim * sizeof(double));

	/*
	 * A parameter beyond exp(+-12) (1.6e5, 6e-6) means the likelihood rises towards a
	 * boundary (BG/NBD data without any sign of dropout send a and b to
	 * infinity): the flat gradient there is no maximum.
	 */
	for (k = 0; k < dim; k++)
		if (fabs(best[k]) > CLV_RUNAWAY)
			best_converged = false;
	return best_converged;
}

/*
 * Invert the symmetric dim x dim matrix a (row-major) into inv by its
 * Cholesky factor; false when a is not positive definite (a saddle or a
 * flat direction: no finite variance).
 */
static bool
invert_spd(const double *a, int dim, double *inv)
{
	double		l[CLV_MAX_PARAMS][CLV_MAX_PARAMS] = {{0}},
				li[CLV_MAX_PARAMS][CLV_MAX_PARAMS] = {{0}};
	int			i,
				j,
				k;

	for (j = 0; j < dim; j++)
	{
		double		d = a[j * dim + j];

		for (k = 0; k < j; k++)
			d -= l[j][k] * l[j][k];
		if (!(d > 0.0) || !isfinite(d))
			return false;
		l[j][j] = sqrt(d);
		for (i = j + 1; i < dim; i++)
		{
			double		s = a[i * dim + j];

			for (k = 0; k < j; k++)
				s -= l[i][k] * l[j][k];
			l[i][j] = s / l[j][j];
		}
	}
	/* L^-1 by forward substitution, then a^-1 = L^-T L^-1 */
	for (j = 0; j < dim; j++)
	{
		li[j][j] = 1.0 / l[j][j];
		for (i = j + 1; i < dim; i++)
		{
			double		s = 0.0;

			for (k = j; k < i; k++)
				s -= l[i][k] * li[k][j];
			li[i][j] = s / l[i][i];
		}
	}
	for (i = 0; i < dim; i++)
		for (j = 0; j < dim; j++)
		{
			double		s = 0.0;

			for (k = Max(i, j); k < dim; k++)
				s += li[k][i] * li[k][j];
			inv[i * dim + j] = s;
		}
	return true;
}

/*
 * The objective of fp without its gradient, unnormalized: minus the
 * log-likelihood plus penalty * total * sum(theta^2), at log-parameters u.
 */
static double
objective_value(const FitProblem *fp, const double *u)
{
	double		theta[CLV_MAX_PARAMS],
				f;
	int			i;

	for (i = 0; i < fp->dim; i++)
		theta[i] = exp(u[i]);
	f = -fp->loglik(fp->data, theta, NULL);
	for (i = 0; i < fp->dim; i++)
		f += fp->penalty * fp->total * theta[i] * theta[i];
	return f;
}

/*
 * The covariance matrix of the estimates theta (dim x dim, row-major, in
 * cov): the inverse of the observed information, the Hessian of the
 * objective the fit minimized (minus the log-likelihood, plus the penalty
 * times the total weight) at the optimum.  The Hessian is taken in the
 * log-parameters u = ln theta, by central differences: of the analytic
 * gradient (every fit: BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma, sBG,
 * BG/BB; step 1e-4, error near 1e-8 of an entry) or, for a gradient that
 * is itself a difference (exact_gradient false), second differences of the
 * value (step 1e-3, error near 1e-7); made symmetric; then cov = D H_u^-1 D with D = diag(theta).
 * At the optimum the gradient is zero, so this is both the inverse Hessian
 * in theta and the delta method from ln theta (lifetimes'
 * variance_matrix_).  False (no covariance) when the Hessian is not
 * positive definite or not finite: a flat direction, or no maximum.
 */
static bool
fit_covariance(FitProblem *fp, const double *theta, bool exact_gradient, double *cov)
{
	int			dim = fp->dim;
	double		u[CLV_MAX_PARAMS] = {0},
				v[CLV_MAX_PARAMS],
				h[CLV_MAX_PARAMS * CLV_MAX_PARAMS],
				hinv[CLV_MAX_PARAMS * CLV_MAX_PARAMS],
				e = exact_gradient ? 1e-4 : 1e-3,
				f0;
	int			i,
				j;

	for (i = 0; i < dim; i++)
		u[i] = log(theta[i]);
	f0 = objective_value(fp, u);
	for (i = 0; i < dim; i++)
	{
		CHECK_FOR_INTERRUPTS();
		memcpy(v, u, sizeof(v));
		if (exact_gradient)
		{
			double		gu[CLV_MAX_PARAMS],
						gd[CLV_MAX_PARAMS],
						f;

			v[i] = u[i] + e;
			if (!objective_at(fp, v, &f, gu))
				return false;
			v[i] = u[i] - e;
			if (!objective_at(fp, v, &f, gd))
				return false;
			/* objective_at's gradient is per unit of weight */
			for (j = 0; j < dim; j++)
				h[j * dim + i] = (gu[j] - gd[j]) / (2.0 * e) * fp->total;
			continue;
		}
		v[i] = u[i] + e;
		h[i * dim + i] = objective_value(fp, v);
		v[i] = u[i] - e;
		h[i * dim + i] = (h[i * dim + i] - 2.0 * f0 + objective_value(fp, v)) / (e * e);
		for (j = 0; j < i; j++)
		{
			double		s;

			memcpy(v, u, sizeof(v));
			v[i] = u[i] + e, v[j] = u[j] + e;
			s = objective_value(fp, v);
			v[i] = u[i] + e, v[j] = u[j] - e;
			s -= objective_value(fp, v);
			v[i] = u[i] - e, v[j] = u[j] + e;
			s -= objective_value(fp, v);
			v[i] = u[i] - e, v[j] = u[j] - e;
			s += objective_value(fp, v);
			h[i * dim + j] = h[j * dim + i] = s / (4.0 * e * e);
		}
	}
	for (i = 0; i < dim; i++)
		for (j = 0; j < i; j++)
			h[i * dim + j] = h[j * dim + i] = (h[i * dim + j] + h[j * dim + i]) / 2.0;
	if (!isfinite(f0) || !invert_spd(h, dim, hinv))
		return false;
	for (i = 0; i < dim; i++)
		for (j = 0; j < dim; j++)
		{
			cov[i * dim + j] = theta[i] * theta[j] * hinv[i * dim + j];
			if (!isfinite(cov[i * dim + j]))
				return false;
		}
	return true;
}

/*
 * Fit a model of dim parameters from two starts (log-parameters) and give
 * its parameters theta = exp(u) at the best point; true when BFGS converged.
 * who names the aggregate in progress NOTICEs.  With cov not NULL, the
 * covariance of the estimates goes there (fit_covariance) and *has_cov says
 * whether there is one.
 */
static bool
fit_parameters(loglik_fn loglik, void *data, int dim, double total, double penalty,
			   int64 n, const char *who, double starts[][CLV_MAX_PARAMS],
			   double *theta, int *iterations, double *cov, bool *has_cov)
{
	FitProblem	fp = {loglik, data, dim, total, penalty, (double) n, who, GetCurrentTimestamp()};
	double		u[CLV_MAX_PARAMS];
	bool		converged = minimize(&fp, starts, 2, u, iterations);
	int			i;

	for (i = 0; i < dim; i++)
		theta[i] = exp(u[i]);
	if (cov != NULL)
		*has_cov = fit_covariance(&fp, theta, true, cov);
	return converged;
}

/*
 * The covariance attribute of a fitted model: a dim x dim float8[] (row i,
 * column j: the covariance of parameters i and j), or NULL.
 */
static Datum
covariance_datum(const double *cov, int dim)
{
	Datum		elems[CLV_MAX_PARAMS * CLV_MAX_PARAMS];
	int			dims[2] = {dim, dim},
				lbs[2] = {1, 1};
	int			i;

	for (i = 0; i < dim * dim; i++)
		elems[i] = Float8GetDatum(cov[i]);
	return PointerGetDatum(construct_md_array(elems, NULL, 2, dims, lbs, FLOAT8OID,
											  sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * The result row of a fit: its dim parameters, then log_likelihood,
 * customers (total weight), iterations, converged and covariance (NULL
 * when has_cov is false).  A result type without the covariance attribute
 * (a 1.0 catalog not yet updated, running this library) gets the rest.
 */
static Datum
fit_result(FunctionCallInfo fcinfo, const double *theta, int dim, double ll, double total,
		   int iterations, bool converged, const double *cov, bool has_cov)
{
	TupleDesc	tupdesc = crm_result_tupdesc(fcinfo);
	Datum		values[CLV_MAX_PARAMS + 5];
	bool		nulls[CLV_MAX_PARAMS + 5] = {false};
	int			i;

	for (i = 0; i < dim; i++)
		values[i] = Float8GetDatum(theta[i]);
	values[dim] = Float8GetDatum(ll);
	values[dim + 1] = Float8GetDatum(total);
	values[dim + 2] = Int32GetDatum(iterations);
	values[dim + 3] = BoolGetDatum(converged);
	if (tupdesc->natts > dim + 4 && has_cov)
		values[dim + 4] = covariance_datum(cov, dim);
	else
		nulls[dim + 4] = true;
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/* ---------------------------------------------------------------------
 * BG/NBD fit
 * ---------------------------------------------------------------------
 */

/*
 * The data of a fit, arranged so that one evaluation of the likelihood
 * costs one exp and one log1p per distinct summary: everything that depends
 * on x alone is computed once per distinct x, and ln(alpha + v) once per
 * distinct time value v among all t_x and T.
 */
typedef struct BgnbdData
{
	int64		n;				/* records (distinct x, t_x, T) */
	int64		nx;				/* distinct x */
	double	   *xv;				/* value of each distinct x */
	double	   *wx;				/* its total weight */
	int64	   *start;			/* records of x group k: start[k] .. start[k+1]-1 */
	int64		nv;				/* distinct time values */
	double	   *v;				/* ... sorted */
	int32	   *it_x;			/* index into v of each record's t_x */
	int32	   *iT;				/* ... and T */
	double	   *w;				/* weight of each record */
	double		total;			/* total weight */
	double	   *lv;				/* scratch: ln(alpha + v) */
	double	   *iv;				/* scratch: 1 / (alpha + v) (Pareto/NBD: ln(beta + v)) */
	/* Pareto/NBD: ln F(v) of the x group being summed, per value of v */
	double	   *pf;				/* ln F (NaN: no convergence) */
	double	   *pd;				/* its 4 derivatives (gradient calls only) */
	int64	   *pstamp;			/* pgen when pf (and pd) were computed */
	int64		pgen;			/* one number per x group per call */
} BgnbdData;

static int32
value_index(const double *v, int64 nv, double key)
{
	int64		lo = 0,
				hi = nv - 1;

	while (lo < hi)
	{
		int64		mid = (lo + hi) / 2;

		if (v[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int32) lo;
}

/* rec: merged records sorted by x, t_x, T */
static void
bgnbd_data_init(BgnbdData *data, const float8 *rec, int64 n)
{
	int64		i,
				k = -1,
				m = 0;

	memset(data, 0, sizeof(*data));
	data->n = n;
	data->xv = palloc(n * sizeof(double));
	data->wx = palloc0(n * sizeof(double));
	data->start = palloc((n + 1) * sizeof(int64));
	data->w = palloc(n * sizeof(double));
	data->v = palloc(2 * n * sizeof(double));
	data->it_x = palloc(n * sizeof(int32));
	data->iT = palloc(n * sizeof(int32));
	for (i = 0; i < n; i++)
	{
		const float8 *r = rec + i * BGNBD_RECORD;

		if (k < 0 || data->xv[k] != r[0])
		{
			k++;
			data->xv[k] = r[0];
			data->start[k] = i;
		}
		data->wx[k] += r[3];
		data->w[i] = r[3];
		data->total += r[3];
		data->v[2 * i] = r[1];
		data->v[2 * i + 1] = r[2];
	}
	data->nx = k + 1;
	data->start[data->nx] = n;
	sort_float8(data->v, 2 * n);
	for (i = 0; i < 2 * n; i++)
		if (m == 0 || data->v[m - 1] != data->v[i])
			data->v[m++] = data->v[i];
	data->nv = m;
	for (i = 0; i < n; i++)
	{
		data->it_x[i] = value_index(data->v, m, rec[i * BGNBD_RECORD + 1]);
		data->iT[i] = value_index(data->v, m, rec[i * BGNBD_RECORD + 2]);
	}
	data->lv = palloc(m * sizeof(double));
	data->iv = palloc(m * sizeof(double));
}

/*
 * Log-likelihood and its gradient with respect to (r, alpha, a, b).  With
 * w4 = the share of the A4 term in logaddexp(A3, A4) (the posterior
 * probability that the customer dropped out right after the last purchase):
 *	d/dr	 = psi(r+x) - psi(r) + ln alpha - (1-w4) ln(alpha+T) - w4 ln(alpha+t_x)
 *	d/dalpha = r/alpha - (r+x) ((1-w4)/(alpha+T) + w4/(alpha+t_x))
 *	d/da	 = psi(a+b) - psi(a+b+x) + w4/a
 *	d/db	 = psi(a+b) + psi(b+x) - psi(b) - psi(a+b+x) - w4/(b+x-1)
 */
static double
bgnbd_loglik(void *arg, const double *theta, double *grad)
{
	BgnbdData  *data = (BgnbdData *) arg;
	double		r = theta[0],
				alpha = theta[1],
				a = theta[2],
				b = theta[3];
	double		ll = 0.0,
				gr = 0.0,
				galpha = 0.0,
				ga = 0.0,
				gb = 0.0;
	double		lalpha = log(alpha),
				lgr = lgamma(r),
				lgb = lgamma(b),
				lgab = lgamma(a + b),
				psr = digamma(r),
				psb = digamma(b),
				psab = digamma(a + b),
				la = log(a);
	int64		i,
				k;

	for (i = 0; i < data->nv; i++)
	{
		data->lv[i] = log(alpha + data->v[i]);
		data->iv[i] = 1.0 / (alpha + data->v[i]);
	}
	for (k = 0; k < data->nx; k++)
	{
		double		x = data->xv[k],
					W = data->wx[k],
					R = r + x;
		double		sr = 0.0,
					salpha = 0.0,
					s4 = 0.0,
					sll = 0.0;

		if (x == 0.0)
		{
			for (i = data->start[k]; i < data->start[k + 1]; i++)
			{
				int32		iT = data->iT[i];

				sll -= data->w[i] * data->lv[iT];
				salpha -= data->w[i] * data->iv[iT];
			}
			ll += W * r * lalpha + r * sll;
			gr += W * lalpha + sll;
			galpha += W * r / alpha + r * salpha;
			continue;
		}
		else
		{
			double		c = la - log(b + x - 1.0);

			for (i = data->start[k]; i < data->start[k + 1]; i++)
			{
				double		lT = data->lv[data->iT[i]],
							ltx = data->lv[data->it_x[i]],
							dd = c + R * (lT - ltx),
							e,
							w4,
							wi = data->w[i];

				/* logaddexp(A3, A4) = A3 + softplus(A4 - A3); w4 = sigmoid(A4 - A3) */
				/*
				 * log(1 + e) rather than log1p: e < 1e-16 adds less than
				 * 1e-16 to a term of order 1, and log is twice as fast
				 */
				if (dd > 0.0)
				{
					e = exp(-dd);
					sll += wi * (dd + log(1.0 + e) - R * lT);
					w4 = 1.0 / (1.0 + e);
				}
				else
				{
					e = exp(dd);
					sll += wi * (log(1.0 + e) - R * lT);
					w4 = e / (1.0 + e);
				}
				sr -= wi * ((1.0 - w4) * lT + w4 * ltx);
				salpha -= wi * ((1.0 - w4) * data->iv[data->iT[i]] + w4 * data->iv[data->it_x[i]]);
				s4 += wi * w4;
			}
			ll += sll + W * (lgamma(R) - lgr + r * lalpha +
							 lgab + lgamma(b + x) - lgb - lgamma(a + b + x));
			if (grad)
			{
				double		psabx = digamma(a + b + x);

				gr += sr + W * (digamma(R) - psr + lalpha);
				galpha += R * salpha + W * r / alpha;
				ga += W * (psab - psabx) + s4 / a;
				gb += W * (psab + digamma(b + x) - psb - psabx) - s4 / (b + x - 1.0);
			}
		}
	}
	if (grad)
	{
		grad[0] = gr;
		grad[1] = galpha;
		grad[2] = ga;
		grad[3] = gb;
	}
	return ll;
}

/*
 * Transition of a fit over customer summaries, BG/NBD or Pareto/NBD:
 * (state, x, t_x, T [, weight [, penalty]]); who names the aggregate.
 */
static Datum
summary_trans(FunctionCallInfo fcinfo, double format, const char *who)
{
	float8		rec[BGNBD_RECORD];
	double		penalty;
	int32		x;

	/* a row with a NULL summary or weight is left out, as SQL aggregates do */
	if (row_has_null(fcinfo, 4))
		return state_unchanged(fcinfo);
	x = PG_GETARG_INT32(1);
	rec[0] = x;
	rec[1] = PG_GETARG_FLOAT8(2);
	rec[2] = PG_GETARG_FLOAT8(3);
	rec[3] = PG_NARGS() > 4 ? PG_GETARG_FLOAT8(4) : 1.0;
	check_summary(who, x, rec[1], rec[2]);
	check_weight(rec[3], "Leave out rows of weight 0.");
	penalty = penalty_arg(fcinfo, 5, who);
	PG_RETURN_DATUM(state_append(fcinfo, format, BGNBD_RECORD, penalty, rec));
}

/*
 * The merged summary records of the state in argument 0 of a final
 * function, checked again (a state from a user could hold anything), with
 * its penalty and the weighted sums of x and T (for starting values).
 */
static float8 *
summary_final_records(FunctionCallInfo fcinfo, double format, const char *who, int64 *n,
					  double *penalty, double *sum_x, double *sum_T)
{
	double		reserved;
	float8	   *rec = state_final_records(fcinfo, format, BGNBD_RECORD, n, penalty, &reserved);
	int64		i;

	*sum_x = *sum_T = 0.0;
	for (i = 0; i < *n; i++)
	{
		const float8 *r = rec + i * BGNBD_RECORD;

		if (!(r[0] >= 0 && r[0] <= PG_INT32_MAX && r[0] == floor(r[0])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("x must be a non-negative integer"),
					 errdetail("Given: %g.", r[0]),
					 errhint("Pass only states made by crm.%s_trans and crm.%s_combine.", who, who)));
		check_summary(who, (int32) r[0], r[1], r[2]);
		check_weight(r[3], "A weight is the number of customers sharing the summary (x, t_x, T), e.g. 1.");
		*sum_x += r[0] * r[3];
		*sum_T += r[2] * r[3];
	}
	return rec;
}

/*
 * The starting rate parameter of a fit over summaries: alpha matching the
 * mean purchase rate sum x / sum T (r = 1).
 */
static double
summary_start_alpha(double sum_x, double sum_T, double total)
{
	double		alpha0 = sum_x > 0.0 && sum_T > 0.0 ? sum_T / sum_x : Max(sum_T / total, 1.0);

	return Min(Max(alpha0, 1e-6), 1e6);
}

PG_FUNCTION_INFO_V1(crm_bgnbd_trans);
Datum
crm_bgnbd_trans(PG_FUNCTION_ARGS)
{
	return summary_trans(fcinfo, CLV_FORMAT_BGNBD, "bgnbd_fit");
}

PG_FUNCTION_INFO_V1(crm_bgnbd_combine);
Datum
crm_bgnbd_combine(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(state_combine(fcinfo, CLV_FORMAT_BGNBD, BGNBD_RECORD));
}

/*
 * The final function of a fit over customer summaries (BG/NBD, Pareto/NBD):
 * the maximum-likelihood model of the merged records from two starts.  A
 * start is base[k] in log-parameters, plus ln alpha0 for the parameters
 * that are time scales (timescale[i]), alpha0 matching the mean purchase
 * rate (summary_start_alpha).
 */
static Datum
summary_fit(FunctionCallInfo fcinfo, double format, const char *who, loglik_fn loglik,
			const double base[2][4], const bool timescale[4])
{
	int64		n;
	double		penalty,
				sum_x,
				sum_T,
				lalpha0;
	float8	   *rec = summary_final_records(fcinfo, format, who, &n, &penalty, &sum_x, &sum_T);
	BgnbdData	data;
	double		starts[2][CLV_MAX_PARAMS];
	double		theta[4],
				cov[16];
	int			iterations,
				k,
				i;
	bool		converged,
				has_cov;

	if (n == 0)
		PG_RETURN_NULL();
	bgnbd_data_init(&data, rec, n);
	lalpha0 = log(summary_start_alpha(sum_x, sum_T, data.total));
	for (k = 0; k < 2; k++)
		for (i = 0; i < 4; i++)
			starts[k][i] = base[k][i] + (timescale[i] ? lalpha0 : 0.0);
	converged = fit_parameters(loglik, &data, 4, data.total, penalty, n, who,
							   starts, theta, &iterations, cov, &has_cov);
	PG_RETURN_DATUM(fit_result(fcinfo, theta, 4, loglik(&data, theta, NULL), data.total,
							   iterations, converged, cov, has_cov));
}

/*
 * Start at r = 1 with alpha matching the mean purchase rate sum x / sum T,
 * and a = b = 1; the second start (used only if the first does not
 * converge) assumes heavier heterogeneity and more dropout.
 */
PG_FUNCTION_INFO_V1(crm_bgnbd_final);
Datum
crm_bgnbd_final(PG_FUNCTION_ARGS)
{
	static const double base[2][4] = {{0.0, 0.0, 0.0, 0.0},
	{-1.3862943611198906, -1.3862943611198906, -0.69314718055994531, 1.3862943611198906}};	/* ln 1/4, ln 1/4, ln 1/2, ln 4 */
	static const bool timescale[4] = {false, true, false, false};

	return summary_fit(fcinfo, CLV_FORMAT_BGNBD, "bgnbd_fit", bgnbd_loglik, base, timescale);
}

/* ---------------------------------------------------------------------
 * BG/NBD predictions
 * ---------------------------------------------------------------------
 */

typedef struct BgnbdModel
{
	double		r,
				alpha,
				a,
				b,
				la;				/* ln a, of P(alive): bgnbd_params */
} BgnbdModel;

/*
 * The parameters of a fitted model (attributes 1.. of its composite, named
 * by the space-separated names) into out[], each positive and finite, or an
 * error naming it and the fit that makes such models.
 */
static void
model_params(HeapTupleHeader model, const char *fit, const char *names, double *out)
{
	char	   *list = pstrdup(names);
	char	   *save = NULL;
	int			attno = 0;

	for (char *name = strtok_r(list, " ", &save); name != NULL; name = strtok_r(NULL, " ", &save))
	{
		bool		isnull;
		double		value = DatumGetFloat8(GetAttributeByNum(model, ++attno, &isnull));

		if (isnull || !(value > 0.0) || isinf(value))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model parameter %s must be positive and finite", name),
					 errdetail("Given: %s.",
							   isnull ? "NULL" : psprintf("%g", value)),
					 errhint("Use the result of crm.%s.", fit)));
		out[attno - 1] = value;
	}
	pfree(list);
}

/*
 * The model arguments of a call site, parsed once.  A prediction over a
 * table gets the same model on every row; taking the composite apart
 * (detoasting it, looking up its row type for each attribute) costs more
 * than most predictions, so the parameters that model_params read and
 * checked, and the constants that depend on them alone (model_constants_fn),
 * are kept in fn_extra with the bytes of the model they came from.  A
 * model whose bytes differ (another model on the next row) is read and
 * checked again; a model that fails its checks is not kept, so it fails
 * on every row as before.  The bytes compared are the argument as passed
 * when it is in line (the usual case: a model is a few hundred bytes), or
 * its detoasted form when it is compressed or stored out of line.  Slots
 * are by argument number: crm.clv takes a purchase and a spend model.  A
 * function that also keeps its result's row type (crm.clv_interval) keeps
 * it here too, since fn_extra is one pointer.
 */
#define MODEL_CACHE_SLOTS 2
#define MODEL_CONSTANTS 4

/* the constants a model kind derives from its parameters v into k */
typedef void (*model_constants_fn) (const double *v, double *k);

typedef struct ModelSlot
{
	Size		len;			/* bytes of key; 0: empty */
	Size		space;			/* bytes allocated for key */
	char	   *key;			/* the model's bytes */
	double		v[CLV_MAX_PARAMS];	/* the parameters, checked */
	double		k[MODEL_CONSTANTS]; /* constants of the model kind */
	uint32		gen;			/* bumped at every model read into the slot */
} ModelSlot;

struct PredCache;

typedef struct ModelCache
{
	TupleDesc	result;			/* for crm_result_tupdesc_at */
	ModelSlot	slots[MODEL_CACHE_SLOTS];
	struct PredCache *pred;		/* results by summary: pred_cache_slot */
	struct PredGrid *grid;		/* results by whole days: pred_grid */
} ModelCache;

/* the call site's cache (flinfo is not NULL) */
static ModelCache *
model_cache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ModelCache));
	return (ModelCache *) fcinfo->flinfo->fn_extra;
}

static pg_noinline const ModelSlot *
model_read(FunctionCallInfo fcinfo, int argno, const char *fit, const char *names,
		   model_constants_fn constants)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	struct varlena *key = raw;
	ModelSlot  *slot;
	Size		len;

	Assert(argno < MODEL_CACHE_SLOTS);
	if (VARATT_IS_EXTERNAL(raw) || VARATT_IS_COMPRESSED(raw))
		key = pg_detoast_datum(raw);
	len = VARSIZE_ANY(key);
	if (fcinfo->flinfo == NULL)
		slot = palloc0(sizeof(ModelSlot));	/* called directly: nothing to keep */
	else
	{
		slot = &model_cache(fcinfo)->slots[argno];
		if (slot->len == len && memcmp(slot->key, key, len) == 0)
			return slot;
	}
	slot->len = 0;				/* until the new model has passed its checks */
	slot->gen++;				/* results of the previous model are stale */
	model_params(DatumGetHeapTupleHeader(PointerGetDatum(key)), fit, names, slot->v);
	if (constants)
		constants(slot->v, slot->k);
	if (fcinfo->flinfo != NULL)
	{
		if (slot->space < len)
		{
			if (slot->key)
				pfree(slot->key);
			slot->key = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, len);
			slot->space = len;
		}
		memcpy(slot->key, key, len);
		slot->len = len;
	}
	return slot;
}

/*
 * The slot of the model in argument argno: the comparison with the slot's
 * bytes in line, for the model in line that every row of a prediction
 * over a table passes, else model_read (the first row, another model, a
 * model compressed or out of line, no flinfo)
 */
static inline const ModelSlot *
model_cached(FunctionCallInfo fcinfo, int argno, const char *fit, const char *names,
			 model_constants_fn constants)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));

	if (likely(fcinfo->flinfo != NULL && fcinfo->flinfo->fn_extra != NULL &&
			   !VARATT_IS_EXTERNAL(raw) && !VARATT_IS_COMPRESSED(raw)))
	{
		const ModelSlot *slot = &((ModelCache *) fcinfo->flinfo->fn_extra)->slots[argno];
		Size		len = VARSIZE_ANY(raw);

		if (slot->len == len && memcmp(slot->key, raw, len) == 0)
			return slot;
	}
	return model_read(fcinfo, argno, fit, names, constants);
}

/*
 * Results of the 2F1 series by summary, per call site.  Customers share
 * parts of their summaries (the 918,205 customers of the 1,000,000-customer
 * demo have 745,007 distinct (x, t_x, T) but only 76,376 distinct (x, T)
 * and 76,468 distinct (x, t_x)), and a 2F1 series of tens of terms costs
 * far more than a lookup, so each call site keeps the series results of
 * the model in argument 0 in an open-addressing table keyed by the exact
 * bits of an integer and three doubles: BG/NBD's and MBG/NBD's bracket by
 * (x, T, t) (it does not depend on t_x), Pareto/NBD's ln F(v) by (x, v, 0,
 * 0) (v a t_x or a T).  A hit returns the very double computed before, so
 * results are bit for bit those without the table.  An entry is valid while its stamp is the table's, which moves on
 * when the model changes (ModelSlot.gen), so a new model empties the table
 * at no cost.  The table starts at PRED_CACHE_MIN slots and doubles at
 * load 1/2 up to PRED_CACHE_MAX slots (2^17 of 40 bytes: 5 MB, 65,536
 * results); then it stops taking new summaries and keeps answering the
 * ones it has.  Called without flinfo (directly from C) nothing is kept.
 */
#define PRED_CACHE_MIN		1024
#define PRED_CACHE_MAX		(1 << 17)

typedef struct PredEntry
{
	double		t_x,
				T,
				t,
				value;
	int32		x;
	uint32		stamp;			/* valid when equal to PredCache.stamp */
} PredEntry;

typedef struct PredCache
{
	uint32		stamp;			/* > 0 */
	uint32		model_gen;		/* ModelSlot.gen of the results */
	int			nslots;			/* a power of 2 */
	int			used;			/* valid entries */
	PredEntry  *slots;
} PredCache;

static inline uint64
pred_bits(double d)
{
	uint64		u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

/* a 64-bit mix of the key (splitmix64's finalizer over a running combination) */
static inline uint32
pred_hash(int32 x, double t_x, double T, double t)
{
	uint64		h = (uint64) (uint32) x * UINT64CONST(0x9E3779B97F4A7C15);

	h ^= pred_bits(t_x) + UINT64CONST(0x9E3779B97F4A7C15) + (h << 6) + (h >> 2);
	h ^= pred_bits(T) + UINT64CONST(0x9E3779B97F4A7C15) + (h << 6) + (h >> 2);
	h ^= pred_bits(t) + UINT64CONST(0x9E3779B97F4A7C15) + (h << 6) + (h >> 2);
	h ^= h >> 30;
	h *= UINT64CONST(0xBF58476D1CE4E5B9);
	h ^= h >> 27;
	h *= UINT64CONST(0x94D049BB133111EB);
	h ^= h >> 31;
	return (uint32) h;
}

static inline bool
pred_same(const PredEntry *e, int32 x, double t_x, double T, double t)
{
	return e->x == x && pred_bits(e->t_x) == pred_bits(t_x) &&
		pred_bits(e->T) == pred_bits(T) && pred_bits(e->t) == pred_bits(t);
}

/* the first slot at or after hash h that holds no valid entry */
static inline uint32
pred_free_slot(const PredCache *c, uint32 h)
{
	uint32		j = h & (c->nslots - 1);

	while (c->slots[j].stamp == c->stamp)
		j = (j + 1) & (c->nslots - 1);
	return j;
}

/* doubles the table, keeping the valid entries */
static void
pred_cache_grow(FunctionCallInfo fcinfo, PredCache *c)
{
	PredEntry  *old = c->slots;
	int			nold = c->nslots,
				i;

	c->nslots = nold * 2;
	c->slots = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PredEntry) * c->nslots);
	for (i = 0; i < nold; i++)
	{
		PredEntry  *e = &old[i];

		if (e->stamp == c->stamp)
			c->slots[pred_free_slot(c, pred_hash(e->x, e->t_x, e->T, e->t))] = *e;
	}
	pfree(old);
}

/*
 * The entry of the key (x, t_x, T, t) (the names of the fields; callers
 * choose what they hold) for the model of argument 0, read by model_cached
 * before: *found tells whether it holds the result; a new entry is to be
 * filled by pred_cache_store.  NULL when nothing is kept (no flinfo, or the
 * table is full and the key is not in it).
 */
static PredEntry *
pred_cache_slot(FunctionCallInfo fcinfo, int32 x, double t_x, double T, double t, bool *found)
{
	ModelCache *mc;
	PredCache  *c;
	uint32		j;

	*found = false;
	if (fcinfo->flinfo == NULL)
		return NULL;
	mc = model_cache(fcinfo);
	c = mc->pred;
	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PredCache));
		c->nslots = PRED_CACHE_MIN;
		c->slots = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PredEntry) * c->nslots);
		c->stamp = 1;
		c->model_gen = mc->slots[0].gen;
		mc->pred = c;
	}
	if (c->model_gen != mc->slots[0].gen)
	{
		/* another model: every entry stale at once */
		c->model_gen = mc->slots[0].gen;
		c->used = 0;
		if (++c->stamp == 0)
		{
			memset(c->slots, 0, sizeof(PredEntry) * c->nslots);
			c->stamp = 1;
		}
	}
	j = pred_hash(x, t_x, T, t) & (c->nslots - 1);
	while (c->slots[j].stamp == c->stamp)
	{
		if (pred_same(&c->slots[j], x, t_x, T, t))
		{
			*found = true;
			return &c->slots[j];
		}
		j = (j + 1) & (c->nslots - 1);
	}
	if (2 * (c->used + 1) > c->nslots)
	{
		if (c->nslots >= PRED_CACHE_MAX)
			return NULL;		/* full: answer from what it has */
		pred_cache_grow(fcinfo, c);
		j = pred_free_slot(c, pred_hash(x, t_x, T, t));
	}
	c->slots[j].x = x;
	c->slots[j].t_x = t_x;
	c->slots[j].T = T;
	c->slots[j].t = t;
	return &c->slots[j];
}

/* keeps value in the entry of pred_cache_slot (after the prediction succeeded) */
static inline double
pred_cache_store(FunctionCallInfo fcinfo, PredEntry *e, double value)
{
	if (e != NULL)
	{
		PredCache  *c = model_cache(fcinfo)->pred;

		e->value = value;
		e->stamp = c->stamp;
		c->used++;
	}
	return value;
}

/*
 * Results by whole days, per call site, looked up by index.  The table of
 * pred_cache_slot costs a hash of four words and a probe into megabytes per
 * row, and it stops at 65,536 keys, fewer than the 1,000,000 demo customers
 * have (76,376 (x, T) and 95,348 Pareto/NBD (x, v)).  crm.rfm_summary gives
 * t_x and T as whole days over the days of its unit (1, 7, 30.4375 or
 * 365.25), so each call site also keeps a grid indexed by days: rows 0 ..
 * PRED_GRID_X - 1 hold a result by (x, v) in the row x, at the index of v
 * (v a T or a t_x, its days in [0, PRED_GRID_V)); row PRED_GRID_ROW_X a
 * result by x alone (at index x), rows PRED_GRID_ROW_V(k) results by v
 * alone (at the index of v): the logarithms a prediction takes of x and of
 * T, such as ln(b + x - 1) and ln(alpha + T).  Each call site chooses what
 * its rows hold.  The grid's unit is a day until a v is a whole number of
 * days in one of the longer units only (pred_grid_unit); then that unit's
 * for good.  A v has an index i when i / unit (the division of
 * crm.rfm_summary) gives it exactly, so no two v share an index.
 *
 * A row is cut into blocks of PRED_GRID_BLOCK values, allocated at their
 * first use (a small query touches a few), filled with the bits
 * PRED_GRID_EMPTY (memset 0xFF), and each value computed when a row first
 * needs it, as it is without the grid: a value kept is the very double
 * computed before, so results are bit for bit the same.  Results that
 * depend on the horizon t are kept for the first t of the call site (a
 * constant in the usual query: pred_grid_horizon); rows of another t, and
 * summaries outside the grid (x of PRED_GRID_X or more, v without an index,
 * v = -0), use pred_cache_slot's table.  A block is valid while its stamp
 * is the grid's, which moves on when the model of argument 0 changes
 * (ModelSlot.gen) or the unit does, so that empties the grid at no cost
 * and the blocks are filled again as used.  At most (PRED_GRID_X + 4) *
 * PRED_GRID_V values of 8 bytes (4.3 MB) and the stamps and pointers of the
 * blocks (25 kB) per call site, freed with fn_mcxt; a call without flinfo
 * (directly from C) keeps nothing.
 */
#define PRED_GRID_X			128
#define PRED_GRID_V			4096
#define PRED_GRID_BLOCK		256
#define PRED_GRID_ROW_X		PRED_GRID_X
#define PRED_GRID_ROW_V(k)	(PRED_GRID_X + 1 + (k))
#define PRED_GRID_ROWS		(PRED_GRID_X + 4)
#define PRED_GRID_EMPTY		UINT64CONST(0xFFFFFFFFFFFFFFFF)

#define PRED_GRID_BLOCKS	(PRED_GRID_ROWS * (PRED_GRID_V / PRED_GRID_BLOCK))

/*
 * The stamps of the blocks are kept apart from them, together: read at
 * every lookup, they stay in the processor's cache, where a stamp at the
 * head of each block would cost a second miss beside the value's.
 */
typedef struct PredGrid
{
	uint32		stamp;			/* > 0 */
	uint32		model_gen;		/* ModelSlot.gen of the results */
	double		unit;			/* days per unit of t_x and T: 1 until set */
	bool		unit_set;		/* unit is not a day, for good */
	bool		has_t;			/* the horizon is set: t_bits */
	uint64		t_bits;			/* the horizon of the results that depend on t */
	uint32		stamps[PRED_GRID_BLOCKS];	/* block b valid when equal to stamp */
	double	   *blocks[PRED_GRID_BLOCKS];	/* PRED_GRID_BLOCK values each */
} PredGrid;

/* every block of the grid stale at once */
static void
pred_grid_empty(PredGrid *g)
{
	if (++g->stamp == 0)
	{
		memset(g->stamps, 0, sizeof(g->stamps));
		g->stamp = 1;
	}
}

/*
 * The call site's grid for the model of argument 0, read by model_cached
 * before; NULL when nothing is kept (no flinfo)
 */
static inline PredGrid *
pred_grid(FunctionCallInfo fcinfo)
{
	ModelCache *mc;
	PredGrid   *g;

	if (fcinfo == NULL || fcinfo->flinfo == NULL)
		return NULL;
	mc = model_cache(fcinfo);
	g = mc->grid;
	if (unlikely(g == NULL))
	{
		g = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PredGrid));
		g->stamp = 1;
		g->model_gen = mc->slots[0].gen;
		g->unit = 1.0;
		mc->grid = g;
	}
	else if (unlikely(g->model_gen != mc->slots[0].gen))
	{
		/* another model: no results, and no horizon yet */
		g->model_gen = mc->slots[0].gen;
		g->has_t = false;
		pred_grid_empty(g);
	}
	return g;
}

/* the index of v in the unit's days, or -1 */
static inline int
pred_grid_days(double v, double unit)
{
	double		d = v * unit;
	int			i;

	if (!(d >= 0.0 && d < PRED_GRID_V) || signbit(v))
		return -1;
	i = (int) rint(d);
	return i < PRED_GRID_V && (double) i / unit == v ? i : -1;
}

/*
 * The index of a v that is no whole number of days while the grid's unit
 * is still a day: the first longer unit of crm.rfm_summary (week, month,
 * year) in which it is whole days becomes the grid's for good, and the
 * results by days are dropped; -1 when there is none.
 */
static pg_noinline int
pred_grid_unit(PredGrid *g, double v)
{
	static const double units[] = {7.0, 30.4375, 365.25};

	for (int k = 0; k < lengthof(units); k++)
	{
		int			i = pred_grid_days(v, units[k]);

		if (i >= 0)
		{
			g->unit = units[k];
			g->unit_set = true;
			pred_grid_empty(g);
			return i;
		}
	}
	return -1;
}

/* the index of v in the grid (t_x or T), or -1: see pred_grid */
static inline int
pred_grid_index(PredGrid *g, double v)
{
	int			i;

	if (likely(g->unit == 1.0))
	{
		if (v >= 0.0 && v < PRED_GRID_V && v == (double) (int) v && !signbit(v))
			return (int) v;
		i = -1;
	}
	else
		i = pred_grid_days(v, g->unit);
	if (i < 0 && !g->unit_set)
		i = pred_grid_unit(g, v);
	return i;
}

/*
 * Whether results at horizon t are kept in the grid: t is its horizon (the
 * first t asked, by exact bits)
 */
static inline bool
pred_grid_horizon(PredGrid *g, double t)
{
	if (unlikely(!g->has_t))
	{
		g->t_bits = pred_bits(t);
		g->has_t = true;
	}
	return g->t_bits == pred_bits(t);
}

/* block b allocated if new, emptied, for the grid's model */
static pg_noinline double *
pred_grid_block(FunctionCallInfo fcinfo, PredGrid *g, int b)
{
	if (g->blocks[b] == NULL)
		g->blocks[b] = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, PRED_GRID_BLOCK * sizeof(double));
	memset(g->blocks[b], 0xFF, PRED_GRID_BLOCK * sizeof(double));
	g->stamps[b] = g->stamp;
	return g->blocks[b];
}

/* the place of the value at (row, i) of the grid; pred_grid_known tells whether it holds one */
static inline double *
pred_grid_at(FunctionCallInfo fcinfo, PredGrid *g, int row, int i)
{
	int			b = row * (PRED_GRID_V / PRED_GRID_BLOCK) + i / PRED_GRID_BLOCK;
	double	   *blk = g->blocks[b];

	if (unlikely(g->stamps[b] != g->stamp))
		blk = pred_grid_block(fcinfo, g, b);
	return &blk[i % PRED_GRID_BLOCK];
}

static inline bool
pred_grid_known(const double *place)
{
	return pred_bits(*place) != PRED_GRID_EMPTY;
}

/*
 * ln(arg), kept at (row, i) of the grid: the logarithms a prediction takes
 * of x alone (row PRED_GRID_ROW_X, i = x) or of T alone (rows
 * PRED_GRID_ROW_V(k), i the index of T); g NULL or i < 0: not kept
 */
static inline double
pred_grid_log(FunctionCallInfo fcinfo, PredGrid *g, int row, int i, double arg)
{
	double	   *place;

	if (g == NULL || i < 0)
		return log(arg);
	place = pred_grid_at(fcinfo, g, row, i);
	if (!pred_grid_known(place))
		*place = log(arg);
	return *place;
}

/* the index of x in the grid's row PRED_GRID_ROW_X, or -1 */
static inline int
pred_grid_x(int32 x)
{
	return x < PRED_GRID_X ? x : -1;
}

/* a BG/NBD (or MBG/NBD) model of parameters v = (r, alpha, a, b) */
static BgnbdModel
bgnbd_params(const double *v)
{
	return (BgnbdModel) {.r = v[0], .alpha = v[1], .a = v[2], .b = v[3], .la = log(v[2])};
}

/* ln a, the constant of P(alive), kept with the parameters */
static void
bgnbd_constants(const double *v, double *k)
{
	k[0] = log(v[2]);
}

static BgnbdModel
bgnbd_cached(FunctionCallInfo fcinfo, int argno, const char *fit)
{
	const ModelSlot *slot = model_cached(fcinfo, argno, fit, "r alpha a b", bgnbd_constants);

	return (BgnbdModel) {.r = slot->v[0], .alpha = slot->v[1], .a = slot->v[2], .b = slot->v[3],
	.la = slot->k[0]};
}

static BgnbdModel
bgnbd_model(FunctionCallInfo fcinfo, int argno)
{
	return bgnbd_cached(fcinfo, argno, "bgnbd_fit");
}

/*
 * Sum of the series sum_{k>=1} u_k with u_1 = sign e^lfirst and
 * u_{k+1} / u_k = (p + k)(q + k - 1) / ((s + k)(k + 1)) * z.  A term of
 * ordinary size (e^-600 .. e^600) gives the next as its product with the
 * ratio; one beyond, or one whose product would leave 1e-270 .. 1e270, is
 * carried as sign and logarithm, so no term overflows before the sum does
 * and none underflows while later ones grow (e^lfirst can be tiny where the
 * terms rise first).  The products cost a multiplication a term where the
 * logarithms cost an exp and a log.  Stops when a term is below
 * CLV_SERIES_EPS of the sum and the terms shrink; a series that needs more
 * than CLV_SERIES_MAX terms is an error (see the domain in
 * bgnbd_alive_expectation).  *magnitude is sum k |u_k|, the scale of the
 * rounding error of the sum (each term carries the rounding of its k
 * products).
 */
static double
hyper_series(double lfirst, double sign, double p, double q, double s, double z, const char *who,
			 double *magnitude)
{
	double		sum = 0.0,
				mag = 0.0,
				lterm = lfirst,
				lz = log(fabs(z)),
				term = 0.0;
	bool		direct = false; /* term is the term itself, not sign e^lterm */
	int64		k;

	*magnitude = 0.0;
	if (z == 0.0)
		return 0.0;
	for (k = 1; k <= CLV_SERIES_MAX; k++)
	{
		double		ratio_num = (p + k) * (q + k - 1),
					ratio;

		if (!direct)
		{
			term = sign * exp(lterm);
			direct = fabs(lterm) < 600.0;
		}
		sum += term;
		/* each term carries the rounding of its k products: weigh it by k */
		mag += fabs(term) * k;
		*magnitude = mag;
		if (ratio_num == 0.0)
			return sum;			/* a finite sum: p is a negative integer */
		ratio = ratio_num / ((s + k) * (k + 1.0));
		if (fabs(term) <= CLV_SERIES_EPS * fabs(sum) && fabs(ratio * z) < 1.0)
			return sum;
		if (direct)
		{
			double		next = term * ratio * z;

			if (fabs(next) > 1e-270 && fabs(next) < 1e270)
			{
				term = next;
				if ((k & 0xFFFF) == 0)
					CHECK_FOR_INTERRUPTS();
				continue;
			}
			/* leaving the ordinary range: on in logarithms */
			direct = false;
			sign = term < 0.0 ? -1.0 : 1.0;
			lterm = log(fabs(term));
		}
		if (ratio < 0.0)
			sign = -sign;
		if (z < 0.0)
			sign = -sign;
		lterm += log(fabs(ratio)) + lz;
		if (lterm < -745.0 && fabs(ratio * z) < 1.0 && sum != 0.0)
			return sum;			/* the rest underflows */
		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("the hypergeometric series does not converge within %d terms", CLV_SERIES_MAX),
			 errhint("The horizon t is too long for the time scale alpha + T of the model (t / (alpha + T) above about 10^5).")));
	return 0.0;					/* keep the compiler quiet */
}

/*
 * Gauss-Kronrod 15-point rule (QUADPACK's qk15): nodes on [-1, 1] (the
 * odd-numbered ones and 0 are the 7-point Gauss rule's), Kronrod weights,
 * Gauss weights.
 */
static const double gk15_x[8] = {
	0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
	0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
	0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
	0.207784955007898467600689403773245, 0.0
};
static const double gk15_wk[8] = {
	0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
	0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
	0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
	0.204432940075298892414161999234649, 0.209482141084727828012999174891714
};
static const double gk15_wg[4] = {
	0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
	0.381830050505118944950369775488975, 0.417959183673469387755102040816327
};

/* relative tolerance of a panel's Kronrod-Gauss difference, and bisections at most */
#define BETA_MEAN_TOL		1e-15
#define BETA_MEAN_DEPTH		40
/* the integration stops where the Beta density is below e^-BETA_MEAN_DROP of its mode */
#define BETA_MEAN_DROP		42.0

/*
 * E[(1 - (1 + p s)^-n) / p] for p ~ Beta(a, b): the integrand in y =
 * ln(p / (1-p)), where the density is p^a (1-p)^b up to a constant (smooth,
 * log-concave, its mode at y = ln(a/b)), scaled by its value at the mode.
 */
typedef struct BetaMean
{
	double		a,
				b,
				n,
				s,
				lmode;			/* a ln p + b ln(1-p) at the mode */
} BetaMean;

/* ln of the scaled density at y */
static inline double
beta_mean_ldensity(const BetaMean *q, double y)
{
	return -q->a * softplus(-y) - q->b * softplus(y) - q->lmode;
}

/* the density g and f g at y, f(p) = -expm1(-n log1p(p s)) / p (no cancellation) */
static inline void
beta_mean_point(const BetaMean *q, double y, double *g, double *fg)
{
	double		lp = -softplus(-y),
				p = exp(lp),
				f;

	*g = exp(beta_mean_ldensity(q, y));
	if (p < 1e-290 || p * q->s < 1e-300)
		f = q->n * q->s;		/* the limit p -> 0, to a relative n p s */
	else
		f = -expm1(-q->n * log1p(p * q->s)) / p;
	*fg = f * *g;
}

/* GK15 over [lo, hi]: out = {int g, |K - G| of g, int f g, |K - G| of f g} */
static void
beta_mean_gk15(const BetaMean *q, double lo, double hi, double *out)
{
	double		c = 0.5 * (lo + hi),
				h = 0.5 * (hi - lo),
				kg,
				kf,
				gg,
				gf,
				g,
				fg;
	int			j;

	beta_mean_point(q, c, &g, &fg);
	kg = gk15_wk[7] * g;
	kf = gk15_wk[7] * fg;
	gg = gk15_wg[3] * g;
	gf = gk15_wg[3] * fg;
	for (j = 0; j < 7; j++)
	{
		double		g1,
					f1,
					g2,
					f2;

		beta_mean_point(q, c - h * gk15_x[j], &g1, &f1);
		beta_mean_point(q, c + h * gk15_x[j], &g2, &f2);
		kg += gk15_wk[j] * (g1 + g2);
		kf += gk15_wk[j] * (f1 + f2);
		if (j & 1)
		{
			gg += gk15_wg[j / 2] * (g1 + g2);
			gf += gk15_wg[j / 2] * (f1 + f2);
		}
	}
	out[0] = kg * h;
	out[1] = fabs(kg - gg) * h;
	out[2] = kf * h;
	out[3] = fabs(kf - gf) * h;
}

/* adds the integrals over [lo, hi] (its GK15 in whole) to sum, bisecting to the tolerances */
static void
beta_mean_adapt(const BetaMean *q, double lo, double hi, const double *whole,
				double tol_g, double tol_fg, int depth, double *sum)
{
	double		mid = 0.5 * (lo + hi),
				left[4],
				right[4];

	if ((whole[1] <= tol_g && whole[3] <= tol_fg) || depth >= BETA_MEAN_DEPTH ||
		mid <= lo || mid >= hi)
	{
		sum[0] += whole[0];
		sum[1] += whole[2];
		return;
	}
	beta_mean_gk15(q, lo, mid, left);
	beta_mean_gk15(q, mid, hi, right);
	beta_mean_adapt(q, lo, mid, left, tol_g, tol_fg, depth + 1, sum);
	beta_mean_adapt(q, mid, hi, right, tol_g, tol_fg, depth + 1, sum);
}

/*
 * E[(1 - (1 + p s)^-n) / p] for p ~ Beta(a, b), n, s > 0, by adaptive
 * Gauss-Kronrod quadrature in y = logit p.  The line is cut at the mode
 * and at distances h, 2h, 4h, ... on either side (h the smaller of 1 and
 * the density's width sqrt(1/a + 1/b)) until the density is below
 * e^-BETA_MEAN_DROP of its mode (further still on the left, where f grows
 * to n s), so each panel's content changes on the scale of the panel; a
 * panel is bisected until GK15's Kronrod-Gauss difference is within
 * BETA_MEAN_TOL of the whole, for both the density and f times it.  The
 * expectation is the ratio of the two integrals, so the Beta function is
 * never needed (and its lgamma differences never lose digits when a or b
 * is large).  Every integrand value is positive: no cancellation.
 */
static double
beta_mean_expectation(double a, double b, double n, double s)
{
	BetaMean	q = {.a = a,.b = b,.n = n,.s = s};
	double		mode = log(a) - log(b),
				h = Min(1.0, sqrt(1.0 / a + 1.0 / b)),
				drop_left = BETA_MEAN_DROP + log1p(n * s),
				cuts[2 * 64 + 1],
				panels[2 * 64][4],
				total[2] = {0.0, 0.0},
				sum[2] = {0.0, 0.0};
	int			nl = 0,
				nr = 0,
				ncuts,
				i;

	q.lmode = 0.0;
	q.lmode = beta_mean_ldensity(&q, mode);
	/* cuts to the left (reversed below), the mode, cuts to the right */
	while (nl < 64)
	{
		double		y = mode - h * ldexp(1.0, nl);

		cuts[nl++] = y;
		if (beta_mean_ldensity(&q, y) < -drop_left)
			break;
	}
	for (i = 0; i < nl / 2; i++)
	{
		double		tmp = cuts[i];

		cuts[i] = cuts[nl - 1 - i];
		cuts[nl - 1 - i] = tmp;
	}
	cuts[nl] = mode;
	while (nr < 64)
	{
		double		y = mode + h * ldexp(1.0, nr);

		cuts[nl + 1 + nr++] = y;
		if (beta_mean_ldensity(&q, y) < -BETA_MEAN_DROP)
			break;
	}
	ncuts = nl + 1 + nr;
	for (i = 0; i + 1 < ncuts; i++)
	{
		beta_mean_gk15(&q, cuts[i], cuts[i + 1], panels[i]);
		total[0] += panels[i][0];
		total[1] += panels[i][2];
	}
	for (i = 0; i + 1 < ncuts; i++)
		beta_mean_adapt(&q, cuts[i], cuts[i + 1], panels[i],
						BETA_MEAN_TOL * total[0], BETA_MEAN_TOL * total[1], 0, sum);
	return sum[1] / sum[0];
}

/*
 * the relative error of a series result below which it is kept; a
 * larger estimate sends the prediction to beta_mean_expectation
 */
#define CLV_SERIES_REL_ERR	1e-13

/*
 * E[purchases in (T, T + t] | alive at T, x] of the BG/NBD model: the
 * bracket of FHL 2005 eq. 10,
 *
 *	 (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)]
 *
 * with z = t / (alpha+T+t).  With A = r+x, C = a+b+x-1 and s = t/(alpha+T)
 * it equals E[(1 - (1 + p s)^-A) / p] for p ~ Beta(a, b+x) (alive at T,
 * her purchase rate is Gamma(r+x, alpha+T) and her dropout probability
 * Beta(a, b+x); E[X(t) | lambda, p] = (1 - e^(-lambda p t)) / p, averaged
 * over lambda), which transformations of 2F1 turn into series that never
 * divide by C (zero when a + b = 1 and x = 0), and by a-1 only when a >= 2:
 *
 *	 Pfaff, w = -s: sum_{k>=1} -(A)_k (a)_{k-1} / ((C+1)_{k-1} k!) w^k, used
 *	 when its terms at least halve from the start (s small);
 *
 *	 a >= 2, FHL's own form: C/(a-1) [1 - (1+s)^-A (1 + sum_{k>=1}
 *	 (A)_k (b+x)_k / ((C)_k k!) z^k)], whose terms shrink at once when a is
 *	 large (the Euler series would need about a terms there);
 *
 *	 otherwise Euler: C ln(1+s) (e^y - 1)/y - (1+s)^(1-a) sum_{k>=1}
 *	 (C-A)_k (a)_{k-1} / ((C+1)_{k-1} k!) z^k, with y = (1-a) ln(1+s),
 *	 smooth through a = 1.
 *
 * Terms are carried as logarithms (hyper_series), so none overflows.  The
 * z series converge for every z < 1 but need about 35 (1 + s) terms, more
 * when r is huge: the domain is t / (alpha + T) up to about 10^5 for
 * ordinary parameters (CLV_SERIES_MAX terms), beyond which the function
 * reports an error instead of a guess.
 *
 * The last two subtract: when r + x is large the FHL form is 1 minus
 * nearly 1, and the Euler series alternates (C - A < 0) with terms far
 * larger than its sum, and they lost every digit (r = 1000, x = 0: 169.9
 * for 7.107).  So each branch estimates its rounding error, DBL_EPSILON
 * times the magnitudes it adds (a term weighed by its number, the products
 * it took) over the result, and when that is above CLV_SERIES_REL_ERR the
 * expectation is taken by quadrature over the Beta density instead
 * (beta_mean_expectation, whose integrand is positive).  Ordinary
 * parameters keep the series and their results.  Checked against mpmath's
 * hyp2f1 at 50 digits (test/reference/clv_accuracy.py): over r in {0.24,
 * 10, 1000, 1e4}, alpha in {4.4, 100}, a in {0.8, 3, 50}, b in {2.4, 100},
 * x in {0, 5, 100, 1000}, t in {0.1, 1, 10} T (T = 38, t_x = 0.95 T) the
 * largest relative error is 2.5e-13 for BG/NBD and 2.2e-13 for MBG/NBD
 * (crm 1.0: 1e+238 for 42.3, 0 for 5.71); see sql/clv_accuracy.sql,
 * sql/clv.sql and sql/mbgnbd.sql.  A prediction by quadrature costs about
 * 0.1 ms, one by a series a few microseconds.
 */
static double
bgnbd_alive_expectation(const BgnbdModel *m, double x, double T, double t, const char *who)
{
	double		A = m->r + x,
				C = m->a + m->b + x - 1.0,
				s = t / (m->alpha + T),
				bound,
				result,
				mag,
				err;

	if (t == 0.0)
		return 0.0;
	bound = s * Max(1.0, (A + 1.0) / 2.0) * Max(1.0, m->a / (C + 1.0));
	if (s <= 0.5 && bound <= 0.5)
	{
		result = -hyper_series(log(A) + log(s), -1.0, A, m->a, C, -s, who, &mag);
		err = mag;
	}
	else if (m->a >= 2.0)
	{
		/*
		 * a >= 2: FHL's own form, C/(a-1) [1 - (1+s)^-A - (1+s)^-A S] with
		 * S = 2F1(A, b+x; C; z) - 1; its terms shrink at once when a (so C)
		 * is large, where the Euler series would need about a terms.  The
		 * factor (1+s)^-A is carried inside the terms, so they stay finite.
		 */
		double		L = log1p(s),
					z = s / (1.0 + s),
					B = m->b + x,
					first = -expm1(-A * L),
					series;

		series = hyper_series(log(A) + log(B) - log(C) + log(z) - A * L, 1.0, A, B + 1.0, C, z, who, &mag);
		result = C / (m->a - 1.0) * (first - series);
		err = C / (m->a - 1.0) * (first + mag);
	}
	else
	{
		double		L = log1p(s),
					z = s / (1.0 + s),
					first,
					series = 0.0;

		first = C * L * expm1_over((1.0 - m->a) * L);
		mag = 0.0;
		if (C - A != 0.0)
			series = hyper_series(log(fabs(C - A)) + log(z) + (1.0 - m->a) * L,
								  C - A > 0.0 ? 1.0 : -1.0, C - A, m->a, C, z, who, &mag);
		result = first - series;
		err = fabs(first) + mag;
	}
	if (result > 0.0 && DBL_EPSILON * err <= CLV_SERIES_REL_ERR * result)
		return result;
	return beta_mean_expectation(m->a, m->b + x, A, s);
}

/* 1 / (1 + e^lodds), without overflow: the logistic of P(alive) */
static inline double
alive_logistic(double lodds)
{
	double		e;

	if (lodds > 0.0)
	{
		e = exp(-lodds);
		return e / (1.0 + e);
	}
	return 1.0 / (1.0 + exp(lodds));
}

/*
 * BG/NBD's P(alive) of bgnbd_alive for x > 0, lb = ln(b + x - 1) (MBG/NBD's:
 * lb = ln(b + x))
 */
static inline double
bgnbd_alive_at(const BgnbdModel *m, double lb, double x, double t_x, double T)
{
	return alive_logistic(m->la - lb + (m->r + x) * log1p((T - t_x) / (m->alpha + t_x)));
}

/*
 * P(alive at T | x, t_x, T), FHL 2005 eq. 11, as a logistic of the log odds;
 * ln((alpha+T)/(alpha+t_x)) as log1p((T - t_x)/(alpha + t_x)), exact where
 * the difference of two logarithms would lose about r+x units of 1e-16
 * (r = 10^4: 1e-12)
 */
static double
bgnbd_alive(const BgnbdModel *m, double x, double t_x, double T)
{
	if (x == 0.0)
		return 1.0;
	return bgnbd_alive_at(m, log(m->b + x - 1.0), x, t_x, T);
}

/*
 * ln(b + x - 1) of BG/NBD's P(alive) (shift -1.0) or ln(b + x) of MBG/NBD's
 * (shift 0.0), kept by x in the grid's row PRED_GRID_ROW_X (g NULL: not
 * kept)
 */
static inline double
bgnbd_log_b_kept(FunctionCallInfo fcinfo, PredGrid *g, const BgnbdModel *m, int32 x, double shift)
{
	return pred_grid_log(fcinfo, g, PRED_GRID_ROW_X, pred_grid_x(x), m->b + x + shift);
}

/*
 * bgnbd_alive with ln(b + x - 1) kept by x in the grid (g NULL: not kept);
 * the same doubles, so the same result
 */
static inline double
bgnbd_alive_kept(FunctionCallInfo fcinfo, PredGrid *g, const BgnbdModel *m, int32 x, double t_x, double T)
{
	if (x == 0)
		return 1.0;
	return bgnbd_alive_at(m, bgnbd_log_b_kept(fcinfo, g, m, x, -1.0), x, t_x, T);
}

/*
 * BG/NBD's bracket of the expectation (bgnbd_alive_expectation of m;
 * MBG/NBD passes its model with b + 1), which does not depend on t_x: kept
 * by (x, T, t), in the grid's row x when T is an index of it and t its
 * horizon, else in pred_cache_slot's table (fcinfo NULL: not kept)
 */
static double
bgnbd_bracket_kept(FunctionCallInfo fcinfo, PredGrid *g, const BgnbdModel *m, int32 x, double T,
				   double t, const char *who)
{
	PredEntry  *e = NULL;
	bool		found = false;
	int			i;

	if (g != NULL && x < PRED_GRID_X && (i = pred_grid_index(g, T)) >= 0 && pred_grid_horizon(g, t))
	{
		double	   *place = pred_grid_at(fcinfo, g, x, i);

		if (!pred_grid_known(place))
			*place = bgnbd_alive_expectation(m, x, T, t, who);
		return *place;
	}
	if (fcinfo != NULL)
		e = pred_cache_slot(fcinfo, x, T, t, 0.0, &found);
	return found ? e->value : pred_cache_store(fcinfo, e, bgnbd_alive_expectation(m, x, T, t, who));
}

PG_FUNCTION_INFO_V1(crm_bgnbd_expected_purchases);
Datum
crm_bgnbd_expected_purchases(PG_FUNCTION_ARGS)
{
	const char *who = "bgnbd_expected_purchases";
	BgnbdModel	m = bgnbd_model(fcinfo, 0);
	double		t = PG_GETARG_FLOAT8(1);
	int32		x = PG_GETARG_INT32(2);
	double		t_x = PG_GETARG_FLOAT8(3);
	double		T = PG_GETARG_FLOAT8(4);
	PredGrid   *g;
	double		bracket;

	check_horizon(who, "t", t);
	check_summary(who, x, t_x, T);
	g = pred_grid(fcinfo);
	bracket = bgnbd_bracket_kept(fcinfo, g, &m, x, T, t, who);
	PG_RETURN_FLOAT8(bgnbd_alive_kept(fcinfo, g, &m, x, t_x, T) * bracket);
}

PG_FUNCTION_INFO_V1(crm_bgnbd_p_alive);
Datum
crm_bgnbd_p_alive(PG_FUNCTION_ARGS)
{
	const char *who = "bgnbd_p_alive";
	BgnbdModel	m = bgnbd_model(fcinfo, 0);
	int32		x = PG_GETARG_INT32(1);
	double		t_x = PG_GETARG_FLOAT8(2);
	double		T = PG_GETARG_FLOAT8(3);

	check_summary(who, x, t_x, T);
	PG_RETURN_FLOAT8(bgnbd_alive_kept(fcinfo, pred_grid(fcinfo), &m, x, t_x, T));
}

/* E[X(t)], FHL 2005 eq. 9: the conditional expectation of a customer just acquired */
PG_FUNCTION_INFO_V1(crm_bgnbd_expected_purchases_unconditional);
Datum
crm_bgnbd_expected_purchases_unconditional(PG_FUNCTION_ARGS)
{
	const char *who = "bgnbd_expected_purchases_unconditional";
	BgnbdModel	m = bgnbd_model(fcinfo, 0);
	double		t = PG_GETARG_FLOAT8(1);

	check_horizon(who, "t", t);
	PG_RETURN_FLOAT8(bgnbd_alive_expectation(&m, 0.0, 0.0, t, who));
}

/* n of a probability of n purchases: not negative */
static void
check_count(int32 n)
{
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must not be negative"),
				 errdetail("Given: %d.", n),
				 errhint("n is the number of purchases whose probability is wanted: 0, 1, 2, ...")));
}

/*
 * P(X(t) = n), FHL 2005 eq. 8:
 *	 B(a, b+n)/B(a, b) NB(n; r, alpha/(alpha+t))
 *	 + [n > 0] B(a+1, b+n-1)/B(a, b) P(NB >= n)
 * where NB is the negative binomial of the purchases of a customer who
 * never drops out.  Its upper tail 1 - sum_{j<n} NB(j) is the regularized
 * incomplete beta I_q(n, r), q = t/(alpha+t), computed directly so that it
 * does not cancel when it is small.
 *
 * Conditional on a customer's history (x, t_x, T): if she is alive at T
 * (probability P(alive), eq. 11), her lambda is Gamma(r+x, alpha+T), her p
 * Beta(a, b+x), and from T on the story starts afresh; if not, she buys
 * nothing.  So P(Y(t) = n | x, t_x, T) = P(alive) times eq. 8 with r+x,
 * alpha+T and b+x in place of r, alpha and b, plus 1 - P(alive) at n = 0
 * (x = t_x = T = 0 is eq. 8 itself).  Every term is a positive product
 * taken in logarithms, so large x and T neither overflow nor cancel.
 */
static double
bgnbd_p_count(const BgnbdModel *m, double t, int32 n, double x, double t_x, double T)
{
	double		alive = bgnbd_alive(m, x, t_x, T),
				R = m->r + x,
				A = m->alpha + T,
				B = m->b + x,
				lp0,
				p;

	if (t == 0.0)
		return n == 0 ? 1.0 : 0.0;
	lp0 = lbeta(m->a, B + n) - lbeta(m->a, B) +
		lgamma(R + n) - lgamma(R) - lgamma(n + 1.0) - R * log1p(t / A);
	if (n > 0)
		lp0 += n * (log(t) - log(A + t));
	p = exp(lp0);
	if (n > 0)
		p += exp(lbeta(m->a + 1.0, B + n - 1.0) - lbeta(m->a, B)) *
			incomplete_beta(n, R, t / (A + t));
	p *= alive;
	if (n == 0)
		p += 1.0 - alive;
	return Min(Max(p, 0.0), 1.0);
}

/*
 * Arguments (model, t, n [, x, t_x, T]): without a history the
 * probability for a customer just acquired (eq. 8), with one the
 * conditional probability.
 */
PG_FUNCTION_INFO_V1(crm_bgnbd_p_purchases);
Datum
crm_bgnbd_p_purchases(PG_FUNCTION_ARGS)
{
	const char *who = "bgnbd_p_purchases";
	BgnbdModel	m = bgnbd_model(fcinfo, 0);
	double		t = PG_GETARG_FLOAT8(1);
	int32		n = PG_GETARG_INT32(2);
	int32		x = 0;
	double		t_x = 0.0,
				T = 0.0;

	check_horizon(who, "t", t);
	check_count(n);
	if (PG_NARGS() > 3)
	{
		x = PG_GETARG_INT32(3);
		t_x = PG_GETARG_FLOAT8(4);
		T = PG_GETARG_FLOAT8(5);
		check_summary(who, x, t_x, T);
	}
	PG_RETURN_FLOAT8(bgnbd_p_count(&m, t, n, x, t_x, T));
}

/* ---------------------------------------------------------------------
 * Gamma-Gamma
 * ---------------------------------------------------------------------
 */

/* data: records (x, mean, weight) sorted by x, with per-record ln(mean x) */
typedef struct GgData
{
	int64		n;
	int64		nx;
	double	   *xv;
	double	   *wx;				/* total weight of x group */
	double	   *wlmx;			/* sum of weight * ln(m x) of the group */
	int64	   *start;
	double	   *mx;				/* m x of each record */
	double	   *w;
	double		total;
} GgData;

/*
 * Log-likelihood per record: lgamma(px+q) - lgamma(px) - lgamma(q)
 * + q ln gamma + (px-1) ln(mx) + ln x - (px+q) ln(gamma + mx); gradient
 *	d/dp	 = x (psi(px+q) - psi(px) + ln(mx) - ln(gamma + mx))
 *	d/dq	 = psi(px+q) - psi(q) + ln gamma - ln(gamma + mx)
 *	d/dgamma = q/gamma - (px+q)/(gamma + mx)
 */
static double
gg_loglik(void *arg, const double *theta, double *grad)
{
	GgData	   *data = (GgData *) arg;
	double		p = theta[0],
				q = theta[1],
				g = theta[2];
	double		ll = 0.0,
				gp = 0.0,
				gq = 0.0,
				gg = 0.0,
				lg = log(g),
				lgq = lgamma(q),
				psq = digamma(q);
	int64		i,
				k;

	for (k = 0; k < data->nx; k++)
	{
		double		x = data->xv[k],
					W = data->wx[k],
					P = p * x,
					sl = 0.0,
					si = 0.0;

		for (i = data->start[k]; i < data->start[k + 1]; i++)
		{
			sl += data->w[i] * log(g + data->mx[i]);
			si += data->w[i] / (g + data->mx[i]);
		}
		ll += W * (lgamma(P + q) - lgamma(P) - lgq + q * lg + log(x)) +
			(P - 1.0) * data->wlmx[k] - (P + q) * sl;
		if (grad)
		{
			double		psPq = digamma(P + q);

			gp += x * (W * (psPq - digamma(P)) + data->wlmx[k] - sl);
			gq += W * (psPq - psq + lg) - sl;
			gg += W * q / g - (P + q) * si;
		}
	}
	if (grad)
	{
		grad[0] = gp;
		grad[1] = gq;
		grad[2] = gg;
	}
	return ll;
}

/*
 * Transition: (state, x, mean_amount [, penalty]).  Rows that cannot enter
 * the fit are counted in the header's reserved slot ("skipped"): x = 0 (no
 * repeat purchase, so no repeat spend; their mean is NULL in rfm_summary)
 * and rows with x or mean_amount NULL.  A repeat buyer whose mean is not
 * positive is an error: the model's spend is Gamma distributed, positive.
 */
PG_FUNCTION_INFO_V1(crm_gammagamma_trans);
Datum
crm_gammagamma_trans(PG_FUNCTION_ARGS)
{
	ExpandedArrayHeader *eah;
	double		penalty;
	float8		rec[GG_RECORD];
	int32		x;
	double		mean;

	penalty = penalty_arg(fcinfo, 3, "gammagamma_fit");
	if (!PG_ARGISNULL(1) && PG_GETARG_INT32(1) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x must not be negative"),
				 errdetail("Given: %d.", PG_GETARG_INT32(1)),
				 errhint("x is the number of repeat purchases (purchase days after the first).")));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_GETARG_INT32(1) == 0)
	{
		/* skipped: counted, not fitted */
		eah = state_arg(fcinfo, CLV_FORMAT_GG, GG_RECORD, penalty);
		state_values(eah)[3] += 1.0;
		eah->flat_size = 0;
		PG_RETURN_DATUM(EOHPGetRWDatum(&eah->hdr));
	}
	x = PG_GETARG_INT32(1);
	mean = PG_GETARG_FLOAT8(2);
	if (!(mean > 0.0) || isinf(mean))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mean_amount must be positive and finite for a repeat buyer"),
				 errdetail("Given: %g with x = %d.", mean, x),
				 errhint("The Gamma-Gamma model needs positive spend: leave out customers whose repeat purchases are free (WHERE mean_amount > 0).")));
	rec[0] = x;
	rec[1] = mean;
	rec[2] = 1.0;
	PG_RETURN_DATUM(state_append(fcinfo, CLV_FORMAT_GG, GG_RECORD, penalty, rec));
}

PG_FUNCTION_INFO_V1(crm_gammagamma_combine);
Datum
crm_gammagamma_combine(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(state_combine(fcinfo, CLV_FORMAT_GG, GG_RECORD));
}

PG_FUNCTION_INFO_V1(crm_gammagamma_final);
Datum
crm_gammagamma_final(PG_FUNCTION_ARGS)
{
	int64		n,
				i,
				k = -1;
	double		penalty,
				skipped;
	float8	   *rec = state_final_records(fcinfo, CLV_FORMAT_GG, GG_RECORD, &n, &penalty, &skipped);
	GgData		data;
	double		starts[2][CLV_MAX_PARAMS];
	double		theta[3],
				cov[9],
				sum_m = 0.0;
	int			iterations;
	bool		converged,
				has_cov;
	Datum		values[9];
	bool		nulls[9] = {false};
	TupleDesc	tupdesc = crm_result_tupdesc(fcinfo);

	if (!(skipped >= 0.0) || isinf(skipped))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("not a Gamma-Gamma fitting state"),
				 errdetail("The count of skipped rows is %g.", skipped),
				 errhint("Pass only states made by crm.gammagamma_fit_trans and crm.gammagamma_fit_combine.")));
	memset(&data, 0, sizeof(data));
	data.n = n;
	data.xv = palloc(Max(n, 1) * sizeof(double));
	data.wx = palloc0(Max(n, 1) * sizeof(double));
	data.wlmx = palloc0(Max(n, 1) * sizeof(double));
	data.start = palloc((n + 1) * sizeof(int64));
	data.mx = palloc(Max(n, 1) * sizeof(double));
	data.w = palloc(Max(n, 1) * sizeof(double));
	for (i = 0; i < n; i++)
	{
		const float8 *r = rec + i * GG_RECORD;

		if (!(r[0] >= 1 && r[0] <= PG_INT32_MAX && r[0] == floor(r[0])) ||
			!(r[1] > 0.0) || isinf(r[1]) || !(r[2] > 0.0) || isinf(r[2]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("bad record (x = %g, mean = %g, weight = %g) in the state", r[0], r[1], r[2]),
					 errhint("Pass only states made by crm.gammagamma_fit_trans and crm.gammagamma_fit_combine.")));
		if (k < 0 || data.xv[k] != r[0])
		{
			k++;
			data.xv[k] = r[0];
			data.start[k] = i;
		}
		data.mx[i] = r[0] * r[1];
		data.w[i] = r[2];
		data.wx[k] += r[2];
		data.wlmx[k] += r[2] * log(data.mx[i]);
		data.total += r[2];
		sum_m += r[1] * r[2];
	}
	data.nx = k + 1;
	data.start[data.nx] = n;
	if (n == 0)
	{
		/* no repeat buyer: no fit, but say how many rows were skipped */
		if (skipped == 0)
			PG_RETURN_NULL();
		nulls[0] = nulls[1] = nulls[2] = nulls[3] = nulls[8] = true;
		values[4] = Float8GetDatum(0.0);
		values[5] = Float8GetDatum(skipped);
		values[6] = Int32GetDatum(0);
		values[7] = BoolGetDatum(false);
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	}

	/* start: p = 1, q = 2, gamma = mean spend (so that p gamma/(q-1) = mean) */
	starts[0][0] = 0.0;
	starts[0][1] = log(2.0);
	starts[0][2] = log(sum_m / data.total);
	starts[1][0] = log(4.0);
	starts[1][1] = log(4.0);
	starts[1][2] = log(sum_m / data.total * 3.0 / 4.0);
	converged = fit_parameters(gg_loglik, &data, 3, data.total, penalty, n, "gammagamma_fit",
							   starts, theta, &iterations, cov, &has_cov);
	values[0] = Float8GetDatum(theta[0]);
	values[1] = Float8GetDatum(theta[1]);
	values[2] = Float8GetDatum(theta[2]);
	values[3] = Float8GetDatum(gg_loglik(&data, theta, NULL));
	values[4] = Float8GetDatum(data.total);
	values[5] = Float8GetDatum(skipped);
	values[6] = Int32GetDatum(iterations);
	values[7] = BoolGetDatum(converged);
	/* a 1.0 catalog not yet updated has no covariance attribute */
	if (tupdesc->natts > 8 && has_cov)
		values[8] = covariance_datum(cov, 3);
	else
		nulls[8] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * E[mean spend | x, m] = p (gamma + x m) / (p x + q - 1) (Fader, Hardie &
 * Lee 2005, "RFM and CLV", eq. 5): a weighted mean of the population mean
 * p gamma / (q - 1) and the customer's own mean.  x = 0 (or a NULL mean,
 * as rfm_summary gives without repeat purchases) gives the population mean.
 * gg_spend_check reads the model's (p, q, gamma) into pqg and checks the
 * arguments, making x = 0 and mean 0 for "no repeat purchase";
 * gg_spend computes.
 */
static void
gg_spend_check(FunctionCallInfo fcinfo, int argno, int32 *x, double *mean, bool mean_null, double *pqg)
{
	memcpy(pqg, model_cached(fcinfo, argno, "gammagamma_fit", "p q gamma", NULL)->v, 3 * sizeof(double));
	if (*x < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x must not be negative"),
				 errdetail("Given: %d.", *x),
				 errhint("x is the number of repeat purchases (purchase days after the first).")));
	if (*x == 0 || mean_null)
		*x = 0, *mean = 0.0;
	else if (!(*mean > 0.0) || isinf(*mean))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mean_amount must be positive and finite"),
				 errdetail("Given: %g.", *mean),
				 errhint("mean_amount is the mean value of the customer's repeat purchases; pass NULL when there is none.")));
	if (!(pqg[0] * *x + pqg[1] > 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the expected spend is infinite for p x + q <= 1 (p = %g, q = %g, x = %d)", pqg[0], pqg[1], *x),
				 errhint("The population mean spend p gamma / (q - 1) exists only for q > 1.")));
}

static double
gg_spend(const double *pqg, int32 x, double mean)
{
	return pqg[0] * (pqg[2] + x * mean) / (pqg[0] * x + pqg[1] - 1.0);
}

static double
gg_expected_spend(FunctionCallInfo fcinfo, int32 x, double mean, bool mean_null, const char *who)
{
	double		pqg[3];

	gg_spend_check(fcinfo, 0, &x, &mean, mean_null, pqg);
	return gg_spend(pqg, x, mean);
}

PG_FUNCTION_INFO_V1(crm_gammagamma_expected_spend);
Datum
crm_gammagamma_expected_spend(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(gg_expected_spend(fcinfo, PG_GETARG_INT32(1),
									   PG_ARGISNULL(2) ? 0.0 : PG_GETARG_FLOAT8(2), PG_ARGISNULL(2),
									   "gammagamma_expected_spend"));
}

/* the arguments of crm.clv and crm.clv_interval after their checks */
typedef struct ClvArgs
{
	BgnbdModel	m;
	double		pqg[3];			/* the Gamma-Gamma model */
	int32		x;
	double		t_x,
				T,
				mean,			/* 0 when there is no repeat purchase */
				discount,
				unit;
	int32		months;
} ClvArgs;

/*
 * Read and check the arguments model, spend, x, t_x, T, mean_amount,
 * months, monthly_discount, weeks_per_month; false when one that must not
 * be NULL is (the result is NULL then).
 */
static bool
clv_args(FunctionCallInfo fcinfo, ClvArgs *c)
{
	const char *who = "clv";
	int			i;

	for (i = 0; i < 9; i++)
		if (i != 5 && PG_ARGISNULL(i))
			return false;
	c->m = bgnbd_model(fcinfo, 0);
	c->x = PG_GETARG_INT32(2);
	c->t_x = PG_GETARG_FLOAT8(3);
	c->T = PG_GETARG_FLOAT8(4);
	c->months = PG_GETARG_INT32(6);
	c->discount = PG_GETARG_FLOAT8(7);
	c->unit = PG_GETARG_FLOAT8(8);
	check_summary(who, c->x, c->t_x, c->T);
	if (c->months < 0 || c->months > CLV_MAX_MONTHS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("months must be between 0 and %d", CLV_MAX_MONTHS),
				 errdetail("Given: %d.", c->months),
				 errhint("The horizon is at most %d months (100 years); a lifetime value is usually taken over 12 to 120 months.",
						 CLV_MAX_MONTHS)));
	if (!(c->discount >= 0.0) || isinf(c->discount))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("monthly_discount must be finite and not negative"),
				 errdetail("Given: %g.", c->discount),
				 errhint("A yearly rate of 10 %% is a monthly_discount of 1.1^(1/12) - 1 = 0.00797.")));
	if (!(c->unit > 0.0) || isinf(c->unit))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weeks_per_month must be positive and finite"),
				 errdetail("Given: %g.", c->unit),
				 errhint("It is the model's time units per month: 4.348125 for a model fitted in weeks, 30.4375 in days.")));
	c->mean = PG_ARGISNULL(5) ? 0.0 : PG_GETARG_FLOAT8(5);
	gg_spend_check(fcinfo, 1, &c->x, &c->mean, PG_ARGISNULL(5), c->pqg);
	/* gg_spend_check made x 0 for a NULL mean: the purchase model keeps it */
	c->x = PG_GETARG_INT32(2);
	return true;
}

/*
 * The discounted expected purchases of the clv sum for BG/NBD model m:
 * sum_{k=1..months} (E[Y(k u)] - E[Y((k-1) u)]) / (1 + d)^k; times the
 * expected spend it is the clv.
 */
static double
clv_discounted_purchases(const ClvArgs *c, const BgnbdModel *m)
{
	double		alive = bgnbd_alive(m, c->x, c->t_x, c->T),
				previous = 0.0,
				total = 0.0;
	int32		month;

	for (month = 1; month <= c->months; month++)
	{
		double		e = alive * bgnbd_alive_expectation(m, c->x, c->T, month * c->unit, "clv");

		total += (e - previous) / pow(1.0 + c->discount, month);
		previous = e;
		CHECK_FOR_INTERRUPTS();
	}
	return total;
}

/* the expected spend of the customer of c under Gamma-Gamma parameters pqg */
static double
clv_spend(const ClvArgs *c, const double *pqg)
{
	return gg_spend(pqg, c->mean > 0.0 ? c->x : 0, c->mean);
}

/*
 * clv = sum_{m=1..months} spend (E[Y(m u)] - E[Y((m-1) u)]) / (1 + d)^m,
 * u = model time units per month (weeks_per_month), E the conditional
 * expectation of BG/NBD and spend the Gamma-Gamma expected mean spend.
 * Arguments: model, spend, x, t_x, T, mean_amount, months, monthly_discount,
 * weeks_per_month.  NULL mean_amount: as for gammagamma_expected_spend.
 */
PG_FUNCTION_INFO_V1(crm_clv);
Datum
crm_clv(PG_FUNCTION_ARGS)
{
	ClvArgs		c;

	if (!clv_args(fcinfo, &c))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(clv_spend(&c, c.pqg) * clv_discounted_purchases(&c, &c.m));
}

/*
 * crm.clv_net: the value net of the cost to serve.  The cost is modelled
 * per purchase: each expected purchase brings the expected spend and costs
 * cost_per_purchase (visits, discounts, support scale with activity; see
 * crm.service_cost_per_purchase for the customer's own rate from
 * crm.service_costs), so
 *
 *	 clv_net = sum_{m=1..months} (spend - cost_per_purchase)
 *			   (E[Y(m u)] - E[Y((m-1) u)]) / (1 + d)^m,
 *
 * negative for a customer who costs more per purchase than she spends.
 * Arguments: model, spend, x, t_x, T, mean_amount, cost_per_purchase,
 * months, monthly_discount, weeks_per_month (the order of crm.clv with the
 * cost before the horizon).
 */
PG_FUNCTION_INFO_V1(crm_clv_net);
Datum
crm_clv_net(PG_FUNCTION_ARGS)
{
	LOCAL_FCINFO(inner, 9);
	ClvArgs		c;
	double		cost;
	int			i;

	if (PG_ARGISNULL(6))
		PG_RETURN_NULL();
	cost = PG_GETARG_FLOAT8(6);
	if (!(cost >= 0.0) || isinf(cost))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cost_per_purchase must be finite and not negative"),
				 errdetail("Given: %g.", cost),
				 errhint("It is the cost to serve per purchase in the currency of mean_amount, e.g. from crm.service_cost_per_purchase; 0 gives crm.clv.")));
	/* the arguments of crm.clv: all but the cost */
	InitFunctionCallInfoData(*inner, fcinfo->flinfo, 9, fcinfo->fncollation, NULL, NULL);
	for (i = 0; i < 9; i++)
	{
		int			from = i < 6 ? i : i + 1;

		inner->args[i] = fcinfo->args[from];
	}
	if (!clv_args(inner, &c))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((clv_spend(&c, c.pqg) - cost) * clv_discounted_purchases(&c, &c.m));
}

/*
 * The covariance attribute of a fitted model into cov (dim x dim,
 * row-major); false when it is NULL (a model made by hand).  A covariance
 * of another shape, with NULLs, not finite, or with a negative variance is
 * an error: only the fits make it.
 */
static bool
model_covariance(HeapTupleHeader model, int dim, const char *fit, double *cov)
{
	bool		isnull;
	Datum		d = GetAttributeByName(model, "covariance", &isnull);
	ArrayType  *a;
	int			nelems;
	float8	   *v;
	int			i;

	if (isnull)
		return false;
	a = DatumGetArrayTypeP(d);
	if (ARR_NDIM(a) != 2 || ARR_DIMS(a)[0] != dim || ARR_DIMS(a)[1] != dim ||
		ARR_HASNULL(a) || ARR_ELEMTYPE(a) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model covariance must be a %d x %d float8[] without NULLs", dim, dim),
				 errdetail("Given: %s.",
						   ARR_HASNULL(a) ? "an array with NULLs" :
						   ARR_NDIM(a) == 2 ? psprintf("%d x %d", ARR_DIMS(a)[0], ARR_DIMS(a)[1]) :
						   psprintf("%d dimension(s)", ARR_NDIM(a))),
				 errhint("Use the result of crm.%s, or NULL for a model without standard errors.", fit)));
	v = (float8 *) ARR_DATA_PTR(a);
	nelems = dim * dim;
	for (i = 0; i < nelems; i++)
	{
		if (!isfinite(v[i]) || (i % (dim + 1) == 0 && v[i] < 0.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model covariance must be finite with variances not negative"),
					 errdetail("Given: %g at element %d.", v[i], i + 1),
					 errhint("Use the result of crm.%s, or NULL for a model without standard errors.", fit)));
		cov[i] = v[i];
	}
	return true;
}

/* the 0.975 quantile of the standard normal: 95 % two-sided intervals */
#define CLV_Z95 1.959963984540054

/*
 * crm.clv_interval: the clv with its delta-method standard error and a 95 %
 * interval.  The clv is a smooth function of the 4 BG/NBD and 3
 * Gamma-Gamma parameters; its gradient is taken by central differences in
 * the BG/NBD log-parameters (step CLV_DIFF_STEP) and analytically in the
 * spend model's, and Var = g_bg' Cov_bg g_bg + g_gg' Cov_gg g_gg (the two
 * models are fitted separately, so their estimates are taken as
 * independent).  The interval is Wald on the log scale, clv exp(+-1.96
 * se / clv): positive like the clv.  A model without covariance (made by
 * hand) is an error: there is nothing to take the uncertainty from.
 */
PG_FUNCTION_INFO_V1(crm_clv_interval);
Datum
crm_clv_interval(PG_FUNCTION_ARGS)
{
	ClvArgs		c;
	double		cov_bg[16],
				cov_gg[9],
				g_bg[4],
				g_gg[3],
				theta[4],
				spend,
				purchases,
				value,
				var = 0.0,
				se,
				A,
				D;
	Datum		values[4];
	bool		nulls[4] = {false};
	TupleDesc	tupdesc;
	int			i,
				j;

	if (!clv_args(fcinfo, &c))
		PG_RETURN_NULL();
	tupdesc = crm_result_tupdesc_at(fcinfo, &model_cache(fcinfo)->result);
	if (!model_covariance(PG_GETARG_HEAPTUPLEHEADER(0), 4, "bgnbd_fit", cov_bg) ||
		!model_covariance(PG_GETARG_HEAPTUPLEHEADER(1), 3, "gammagamma_fit", cov_gg))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a model without covariance has no uncertainty to give an interval"),
				 errhint("Use models made by crm.bgnbd_fit and crm.gammagamma_fit (crm 1.1 or later), whose covariance is not NULL.")));
	spend = clv_spend(&c, c.pqg);
	purchases = clv_discounted_purchases(&c, &c.m);
	value = spend * purchases;

	/* purchases: central differences in ln r, ln alpha, ln a, ln b */
	theta[0] = c.m.r;
	theta[1] = c.m.alpha;
	theta[2] = c.m.a;
	theta[3] = c.m.b;
	for (i = 0; i < 4; i++)
	{
		double		th[4],
					up,
					down;
		BgnbdModel	m;

		memcpy(th, theta, sizeof(th));
		th[i] = theta[i] * exp(CLV_DIFF_STEP);
		m = bgnbd_params(th);
		up = clv_discounted_purchases(&c, &m);
		th[i] = theta[i] * exp(-CLV_DIFF_STEP);
		m = bgnbd_params(th);
		down = clv_discounted_purchases(&c, &m);
		g_bg[i] = spend * (up - down) / (2.0 * CLV_DIFF_STEP * theta[i]);
	}

	/*
	 * spend = p (gamma + x m) / (p x + q - 1) = p A / D: d/dp = A (q - 1) /
	 * D^2, d/dq = -p A / D^2, d/dgamma = p / D
	 */
	A = c.pqg[2] + (c.mean > 0.0 ? c.x * c.mean : 0.0);
	D = c.pqg[0] * (c.mean > 0.0 ? c.x : 0) + c.pqg[1] - 1.0;
	g_gg[0] = purchases * A * (c.pqg[1] - 1.0) / (D * D);
	g_gg[1] = -purchases * c.pqg[0] * A / (D * D);
	g_gg[2] = purchases * c.pqg[0] / D;

	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++)
			var += g_bg[i] * g_bg[j] * cov_bg[i * 4 + j];
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			var += g_gg[i] * g_gg[j] * cov_gg[i * 3 + j];
	se = sqrt(Max(var, 0.0));
	values[0] = Float8GetDatum(value);
	values[1] = Float8GetDatum(se);
	if (value > 0.0)
	{
		values[2] = Float8GetDatum(value * exp(-CLV_Z95 * se / value));
		values[3] = Float8GetDatum(value * exp(CLV_Z95 * se / value));
	}
	else
	{
		/* no purchase expected (months = 0): nothing uncertain */
		values[2] = Float8GetDatum(0.0);
		values[3] = Float8GetDatum(0.0);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * crm.fit_parameters(model): one row per parameter of a fitted model (the
 * attributes before log_likelihood) with its estimate, standard error (the
 * square root of the covariance's diagonal) and a 95 % Wald interval on the
 * log scale, estimate exp(+-1.96 se / estimate): the fits work in
 * log-parameters, and the interval stays positive as the parameter must
 * (lifetimes gives estimate +- 1.96 se, which can go below 0).  Standard
 * error and interval are NULL when the model has no covariance.  One C
 * function serves every model type: the overloads differ only in the type.
 */
PG_FUNCTION_INFO_V1(crm_fit_parameters);
Datum
crm_fit_parameters(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HeapTupleHeader model = PG_GETARG_HEAPTUPLEHEADER(0);
	TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(model),
											  HeapTupleHeaderGetTypMod(model));
	const char *type_name = format_type_be(HeapTupleHeaderGetTypeId(model));
	double		cov[CLV_MAX_PARAMS * CLV_MAX_PARAMS];
	bool		has_cov;
	int			dim = 0,
				i;
	char	   *fit;
	NameData	names[CLV_MAX_PARAMS];

	while (dim < desc->natts && dim < CLV_MAX_PARAMS &&
		   strcmp(NameStr(TupleDescAttr(desc, dim)->attname), "log_likelihood") != 0)
	{
		names[dim] = TupleDescAttr(desc, dim)->attname;
		dim++;
	}
	ReleaseTupleDesc(desc);
	/* crm.bgnbd -> bgnbd_fit, for hints */
	fit = psprintf("%s_fit", strrchr(type_name, '.') ? strrchr(type_name, '.') + 1 : type_name);
	has_cov = model_covariance(model, dim, fit, cov);

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < dim; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false};
		bool		isnull;
		double		est = DatumGetFloat8(GetAttributeByNum(model, i + 1, &isnull));

		values[0] = CStringGetTextDatum(NameStr(names[i]));
		if (isnull)
			nulls[1] = nulls[2] = nulls[3] = nulls[4] = true;
		else
		{
			values[1] = Float8GetDatum(est);
			if (!has_cov)
				nulls[2] = nulls[3] = nulls[4] = true;
			else
			{
				double		se = sqrt(cov[i * (dim + 1)]);

				if (!(est > 0.0) || isinf(est))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("model parameter %s must be positive and finite", NameStr(names[i])),
							 errdetail("Given: %g.", est),
							 errhint("Use the result of crm.%s.", fit)));
				values[2] = Float8GetDatum(se);
				values[3] = Float8GetDatum(est * exp(-CLV_Z95 * se / est));
				values[4] = Float8GetDatum(est * exp(CLV_Z95 * se / est));
			}
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ---------------------------------------------------------------------
 * Gauss hypergeometric function with positive terms
 * ---------------------------------------------------------------------
 */

/*
 * ln 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1, where every term of
 * the Gauss series sum_k (a)_k (b)_k / ((c)_k k!) z^k is positive.  The sum
 * is kept scaled by a power of 10^250 so that large terms (large a and b)
 * do not overflow; it stops when the rest of the series, bounded by the
 * geometric series of the largest later term ratio (each factor of
 * (a+k)/(c+k) (b+k)/(k+1), or of (a+k)/(k+1) (b+k)/(c+k), moves
 * monotonically towards 1), is below CLV_SERIES_EPS of the sum.  NaN when that takes more than max_terms terms (z very close
 * to 1): the callers turn it into an error or a rejected step.
 */
static double
log_hyp2f1_positive(double a, double b, double c, double z, int64 max_terms)
{
	double		sum = 1.0,
				term = 1.0,
				lscale = 0.0;
	int64		k;

	if (z == 0.0)
		return 0.0;
	for (k = 0; k < max_terms; k++)
	{
		term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
		sum += term;
		if (sum > 1e250)
		{
			sum *= 1e-250;
			term *= 1e-250;
			lscale += 250.0 * M_LN10;
		}

		/*
		 * The bound rho is at least z, so its test cannot pass unless the
		 * same test with z does: that one first, and the bound's four
		 * divisions only when it passes (where the sum stops is the same).
		 */
		if (term * z <= CLV_SERIES_EPS * (1.0 - z) * sum)
		{
			/* either pairing of the ratio's factors bounds it: take the tighter */
			double		rho = z * Min(Max(1.0, (a + k + 1.0) / (c + k + 1.0)) * Max(1.0, (b + k + 1.0) / (k + 2.0)),
									  Max(1.0, (a + k + 1.0) / (k + 2.0)) * Max(1.0, (b + k + 1.0) / (c + k + 1.0)));

			if (rho < 1.0 && term * rho <= CLV_SERIES_EPS * (1.0 - rho) * sum)
				return log(sum) + lscale;
		}
		if ((k & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	return NAN;
}

/* ln(1 - e^u) for u < 0 (Maechler's log1mexp) */
static inline double
log1mexp(double u)
{
	return u > -M_LN2 ? log(-expm1(u)) : log1p(-exp(u));
}

/* ln(e^p + e^q) */
static inline double
logaddexp(double p, double q)
{
	if (p == -INFINITY)
		return q;
	return p > q ? p + softplus(q - p) : q + softplus(p - q);
}

/* ---------------------------------------------------------------------
 * Pareto/NBD
 * ---------------------------------------------------------------------
 */

/*
 * The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): while alive a
 * customer buys at Poisson rate lambda ~ Gamma(r, alpha) and dies after an
 * exponential lifetime of rate mu ~ Gamma(s, beta).  Fader & Hardie's note
 * "A note on deriving the Pareto/NBD model and related expressions" (2005)
 * gives the likelihood of (x, t_x, T) as
 *
 *	 L = G(r+x) alpha^r beta^s / G(r) [ 1 / ((alpha+T)^(r+x) (beta+T)^s)
 *									   + s / (r+s+x) A0 ]
 *	 A0 = F(t_x) - F(T),  F(v) = 2F1(r+s+x, b2; r+s+x+1; |alpha-beta| / (m+v)) / (m+v)^(r+s+x)
 *
 * with m = max(alpha, beta) and b2 = s+1 when alpha >= beta, r+x when
 * alpha < beta (the choice that keeps the argument of 2F1 in [0, 1), as
 * BTYD's pnbd.LL does).  All of it is computed in logarithms:
 * ln L = part1 + logaddexp(part2, part3) with part1 = ln G(r+x) - ln G(r)
 * + r ln alpha + s ln beta, part2 = -(r+x) ln(alpha+T) - s ln(beta+T),
 * part3 = ln s - ln(r+s+x) + ln F(t_x) + log1mexp(ln F(T) - ln F(t_x)), and
 * the 2F1 as a scaled sum (log_hyp2f1_positive), so x = 200 and T = 1000
 * stay finite.  F(t_x) - F(T) cancels when t_x is near T, but part3 is then
 * small beside part2 in the same proportion, so ln L keeps its precision.
 *
 * P(alive) = e^part2 / (e^part2 + e^part3), and the conditional expectation
 * (Fader & Hardie's note, eq. 22) is
 *	 E[Y(t) | x, t_x, T] = P(alive) (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]
 * and the unconditional one E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)];
 * both are written as ln(1 + t/(beta+T)) times expm1_over, smooth through s = 1.
 *
 * The fit uses the state and optimizer of BG/NBD (the same records, format
 * 3) with the analytic gradient: the 2F1 series is differentiated term by
 * term in its parameters and its argument in the loop that sums it
 * (pnbd_log_f_grad), so a gradient costs about one likelihood rather than
 * the nine of central differences (BENCHMARKS.md).
 */

/*
 * The fit gives up on a likelihood whose 2F1 needs more terms than this
 * (alpha and beta about 10^5 apart): the step is rejected, at a cost of
 * milliseconds rather than the predictions' CLV_SERIES_MAX terms, which a
 * line search would pay many times.
 */
#define PNBD_FIT_SERIES_MAX 1000000

typedef struct PnbdModel
{
	double		r,
				alpha,
				s,
				beta,
				ls;				/* ln s, of P(alive): pnbd_model */
} PnbdModel;

/*
 * ln F(v) of the model comment for a = r+s+x; NaN when 2F1 does not
 * converge within max_terms.  Euler's transformation 2F1(a, b2; a+1; z) =
 * (1-z)^(1-b2) 2F1(1, a+1-b2; a+1; z) gives a series whose term ratios are
 * below z from the first: the direct one grows for about b2 z / (1-z)
 * terms first, which for b2 = r+x is forever at x = 10^9.  1 - z is
 * (min(alpha, beta) + v) / (max(alpha, beta) + v), taken as a difference of
 * logarithms so that it does not cancel.
 */
static double
pnbd_log_f(const PnbdModel *m, double x, double v, int64 max_terms)
{
	double		a = m->r + m->s + x,
				mx = Max(m->alpha, m->beta),
				mn = Min(m->alpha, m->beta),
				b2 = m->alpha >= m->beta ? m->s + 1.0 : m->r + x,
				z = (mx - mn) / (mx + v),
				lmx = log(mx + v);

	return (1.0 - b2) * (log(mn + v) - lmx) +
		log_hyp2f1_positive(1.0, a + 1.0 - b2, a + 1.0, z, max_terms) - a * lmx;
}

/*
 * ln F(v) of pnbd_log_f, kept by (x, v) in the call site's grid (row x, at
 * index v) or, for an x or v outside it, table (fcinfo NULL: not kept): a v
 * is a t_x of some customers and a T of others
 */
static double
pnbd_log_f_kept(FunctionCallInfo fcinfo, PredGrid *g, const PnbdModel *m, int32 x, double v)
{
	PredEntry  *e = NULL;
	bool		found = false;
	int			i;

	if (g != NULL && x < PRED_GRID_X && (i = pred_grid_index(g, v)) >= 0)
	{
		double	   *place = pred_grid_at(fcinfo, g, x, i);

		if (!pred_grid_known(place))
			*place = pnbd_log_f(m, x, v, CLV_SERIES_MAX);
		return *place;
	}
	if (fcinfo != NULL)
		e = pred_cache_slot(fcinfo, x, v, 0.0, 0.0, &found);
	return found ? e->value : pred_cache_store(fcinfo, e, pnbd_log_f(m, x, v, CLV_SERIES_MAX));
}

/*
 * part2 and part3 of the model comment (part3 = -infinity when t_x = T),
 * the ln F kept by (x, v), ln(alpha + T) and ln(beta + T) by T (grid rows
 * PRED_GRID_ROW_V(0) and (1)) and ln(r + s + x) by x (PRED_GRID_ROW_X) in
 * the call site's grid or table (g and fcinfo NULL: not kept)
 */
static void
pnbd_parts(FunctionCallInfo fcinfo, PredGrid *g, const PnbdModel *m, int32 x, double t_x, double T,
		   double *part2, double *part3)
{
	int			i = g != NULL ? pred_grid_index(g, T) : -1;

	*part2 = -(m->r + x) * pred_grid_log(fcinfo, g, PRED_GRID_ROW_V(0), i, m->alpha + T)
		- m->s * pred_grid_log(fcinfo, g, PRED_GRID_ROW_V(1), i, m->beta + T);
	if (t_x >= T)
		*part3 = -INFINITY;
	else
	{
		double		f1 = pnbd_log_f_kept(fcinfo, g, m, x, t_x),
					f2 = pnbd_log_f_kept(fcinfo, g, m, x, T);

		*part3 = m->ls - pred_grid_log(fcinfo, g, PRED_GRID_ROW_X, pred_grid_x(x), m->r + m->s + x)
			+ f1 + log1mexp(f2 - f1);
	}
}

/*
 * The fit's ln F(v) are those of the distinct (x, v) of the data: a value of
 * v (a t_x or a T) recurs among the customers of one x, the more so the
 * more customers (days or weeks as units).  They are computed once per x
 * group and call, in arrays over the distinct values v, valid while their
 * stamp is the group's number (pgen).
 */
static void
pnbd_cache_init(BgnbdData *data)
{
	if (data->pf == NULL)
	{
		data->pf = palloc(data->nv * sizeof(double));
		data->pd = palloc(4 * data->nv * sizeof(double));
		data->pstamp = palloc0(data->nv * sizeof(int64));
	}
}

static double
pnbd_cached_f(BgnbdData *data, const PnbdModel *m, double x, int32 iv, int64 gen)
{
	if (data->pstamp[iv] != gen)
	{
		data->pf[iv] = pnbd_log_f(m, x, data->v[iv], PNBD_FIT_SERIES_MAX);
		/* the derivatives are not there: a gradient call uses other stamps */
		data->pstamp[iv] = gen;
	}
	return data->pf[iv];
}

/* the log-likelihood of the data at theta = (r, alpha, s, beta) */
static double
pnbd_loglik_at(void *arg, const double *theta)
{
	BgnbdData  *data = (BgnbdData *) arg;
	PnbdModel	m = {theta[0], theta[1], theta[2], theta[3]};
	double		ll = 0.0,
				common = m.r * log(m.alpha) + m.s * log(m.beta) - lgamma(m.r);
	int64		i,
				k;

	pnbd_cache_init(data);
	for (k = 0; k < data->nx; k++)
	{
		double		x = data->xv[k],
					sll = 0.0;
		int64		gen = ++data->pgen;

		for (i = data->start[k]; i < data->start[k + 1]; i++)
		{
			double		T = data->v[data->iT[i]],
						part2 = -(m.r + x) * log(m.alpha + T) - m.s * log(m.beta + T),
						part3 = -INFINITY;

			/* as pnbd_parts, with ln F of each (x, v) computed once */
			if (data->it_x[i] != data->iT[i])
			{
				double		f1 = pnbd_cached_f(data, &m, x, data->it_x[i], gen),
							f2 = pnbd_cached_f(data, &m, x, data->iT[i], gen);

				part3 = log(m.s) - log(m.r + m.s + x) + f1 + log1mexp(f2 - f1);
			}
			sll += data->w[i] * logaddexp(part3, part2);
		}
		ll += sll + data->wx[k] * (lgamma(m.r + x) + common);
		if ((k & 0xFF) == 0xFF)
			CHECK_FOR_INTERRUPTS();
	}
	return ll;
}

/*
 * ln F(v) of pnbd_log_f and its derivatives by r, alpha, s, beta (in d),
 * for the analytic gradient of the fit.  With a = r+s+x, b2, mx, mn and
 * z = (mx-mn)/(mx+v) as there, ln F = (1-b2) (ln(mn+v) - ln(mx+v)) + ln H
 * - a ln(mx+v), H = sum_k h_k, h_0 = 1, h_{k+1} = h_k (c+k)/(d+k) z with
 * c = a+1-b2, d = a+1.  The series is differentiated term by term in the
 * same loop: dH/dc = sum h_k sum_{j<k} 1/(c+j), dH/dd = -sum h_k
 * sum_{j<k} 1/(d+j), dH/dz = sum k h_k / z; the terms fall at least as z^k,
 * so no term overflows (H <= 1/(1-z)).  The chain rule then maps (a, b2,
 * mx, mn) to (r, alpha, s, beta): a grows with r and s, b2 with s (alpha >=
 * beta) or r (alpha < beta), and mx, mn are alpha and beta in the order of
 * their size.  NaN when the series needs more than max_terms terms.
 */
static double
pnbd_log_f_grad(const PnbdModel *m, double x, double v, int64 max_terms, double *d)
{
	bool		alpha_max = m->alpha >= m->beta;
	double		a = m->r + m->s + x,
				mx = alpha_max ? m->alpha : m->beta,
				mn = alpha_max ? m->beta : m->alpha,
				b2 = alpha_max ? m->s + 1.0 : m->r + x,
				lmx = log(mx + v),
				lmn = log(mn + v),
				z = (mx - mn) / (mx + v),
				c = a + 1.0 - b2,
				dd = a + 1.0,
				h = 1.0,
				H = 1.0,
				Hc = 0.0,
				Hd = 0.0,
				Hz = 0.0,
				sc = 0.0,
				sd = 0.0,
				fa,
				fb2,
				fmx,
				fmn,
				hz_over_H;
	int64		k;

	if (z > 0.0)
	{
		for (k = 0; k < max_terms; k++)
		{
			/* h_{k+1} from h_k; the running sums belong to index k+1 */
			sc += 1.0 / (c + k);
			sd += 1.0 / (dd + k);
			h *= (c + k) / (dd + k) * z;
			H += h;
			Hc += h * sc;
			Hd -= h * sd;
			Hz += (k + 1.0) * h;
			/* the rest of sum (j+1) h_j is below h (k + 2 + 1/(1-z)) z/(1-z) */
			if (h * (k + 2.0 + 1.0 / (1.0 - z)) * z / (1.0 - z) <= CLV_SERIES_EPS * H)
				break;
			if ((k & 0xFFFF) == 0xFFFF)
				CHECK_FOR_INTERRUPTS();
		}
		if (k == max_terms)
			return NAN;
		hz_over_H = Hz / z / H;
	}
	else
		hz_over_H = c / dd;		/* dH/dz at z = 0 */
	fa = (Hc + Hd) / H - lmx;
	fb2 = -(lmn - lmx) - Hc / H;
	/* dz/dmx = (mn+v)/(mx+v)^2, dz/dmn = -1/(mx+v) */
	fmx = -(1.0 - b2) / (mx + v) + hz_over_H * (mn + v) / ((mx + v) * (mx + v)) - a / (mx + v);
	fmn = (1.0 - b2) / (mn + v) - hz_over_H / (mx + v);
	d[0] = fa + (alpha_max ? 0.0 : fb2);
	d[1] = alpha_max ? fmx : fmn;
	d[2] = fa + (alpha_max ? fb2 : 0.0);
	d[3] = alpha_max ? fmn : fmx;
	return (1.0 - b2) * (lmn - lmx) + log(H) - a * lmx;
}

/*
 * The log-likelihood of the data at theta = (r, alpha, s, beta) and its
 * analytic gradient: per record ln L = part1 + logaddexp(part2, part3)
 * (model comment), so d ln L = d part1 + (1-w3) d part2 + w3 d part3 with
 * w3 = the share of part3, and
 *	 d part3 = [d ln s] - d ln(r+s+x) + d f1 - (d f2 - d f1) / expm1(f1 - f2)
 * with f1 = ln F(t_x), f2 = ln F(T) (pnbd_log_f_grad).  Without grad the
 * value is pnbd_loglik_at's, the one the fit reports.
 */
static double
pnbd_loglik(void *arg, const double *theta, double *grad)
{
	BgnbdData  *data = (BgnbdData *) arg;
	PnbdModel	m = {theta[0], theta[1], theta[2], theta[3]};
	double		ll = 0.0,
				g[4] = {0.0, 0.0, 0.0, 0.0},
				common,
				lalpha = log(m.alpha),
				lbeta_ = log(m.beta),
				psr = digamma(m.r);
	int64		i,
				k;

	if (grad == NULL)
		return pnbd_loglik_at(arg, theta);
	common = m.r * lalpha + m.s * lbeta_ - lgamma(m.r);
	pnbd_cache_init(data);
	/* ln(alpha + v) and ln(beta + v) once per distinct v */
	for (i = 0; i < data->nv; i++)
	{
		data->lv[i] = log(m.alpha + data->v[i]);
		data->iv[i] = log(m.beta + data->v[i]);
	}
	for (k = 0; k < data->nx; k++)
	{
		double		x = data->xv[k],
					W = data->wx[k],
					R = m.r + x,
					lsx = log(m.s) - log(m.r + m.s + x),
					isx = 1.0 / (m.r + m.s + x);
		int64		gen = ++data->pgen;

		for (i = data->start[k]; i < data->start[k + 1]; i++)
		{
			double		t_x = data->v[data->it_x[i]],
						T = data->v[data->iT[i]],
						w = data->w[i],
						la = data->lv[data->iT[i]],
						lb = data->iv[data->iT[i]],
						part2 = -R * la - m.s * lb,
						d2[4] = {-la, -R / (m.alpha + T), -lb, -m.s / (m.beta + T)},
						w3 = 0.0,
						lli = part2;

			if (t_x < T)
			{
				int32		i1 = data->it_x[i],
							i2 = data->iT[i];
				double		d3[4],
							f1,
							f2,
							q;
				const double *d1,
						   *dT;
				int			j;

				/* ln F and its derivatives once per (x, v) (pnbd_cached_f) */
				if (data->pstamp[i1] != gen)
				{
					data->pf[i1] = pnbd_log_f_grad(&m, x, t_x, PNBD_FIT_SERIES_MAX, data->pd + 4 * i1);
					data->pstamp[i1] = gen;
				}
				if (data->pstamp[i2] != gen)
				{
					data->pf[i2] = pnbd_log_f_grad(&m, x, T, PNBD_FIT_SERIES_MAX, data->pd + 4 * i2);
					data->pstamp[i2] = gen;
				}
				f1 = data->pf[i1];
				f2 = data->pf[i2];
				d1 = data->pd + 4 * i1;
				dT = data->pd + 4 * i2;

				if (isnan(f1) || isnan(f2))
				{
					for (j = 0; j < 4; j++)
						grad[j] = NAN;
					return NAN;
				}
				/*
				 * part3 = lsx + f1 + ln g with g = 1 - e^u, u = f2 - f1 < 0,
				 * and q = e^u / g = 1 / expm1(f1 - f2), from one exponential;
				 * ln L = logaddexp(part2, part3) and part3's share w3 from
				 * one more and one logarithm, without forming ln g (part3
				 * is lsx + f1 + ln g only where it is the larger)
				 */
				{
					double		u = f2 - f1,
								g3,
								b = lsx + f1;

					if (u > -M_LN2)
					{
						double		E = expm1(u);

						g3 = -E;
						q = (1.0 + E) / g3;
					}
					else
					{
						double		eu = exp(u);

						g3 = 1.0 - eu;
						q = eu / g3;
					}
					if (part2 >= b)
					{
						double		t = exp(b - part2) * g3;

						lli = part2 + log1p(t);
						w3 = t / (1.0 + t);
					}
					else
					{
						double		h = exp(part2 - b);

						lli = b + log(g3 + h);
						w3 = g3 / (g3 + h);
					}
				}
				for (j = 0; j < 4; j++)
					d3[j] = d1[j] - (dT[j] - d1[j]) * q;
				d3[0] -= isx;
				d3[2] += 1.0 / m.s - isx;
				for (j = 0; j < 4; j++)
					g[j] += w * w3 * d3[j];
			}
			ll += w * lli;
			for (int j = 0; j < 4; j++)
				g[j] += w * (1.0 - w3) * d2[j];
		}
		ll += W * (lgamma(R) + common);
		g[0] += W * (digamma(R) - psr + lalpha);
		g[1] += W * m.r / m.alpha;
		g[2] += W * lbeta_;
		g[3] += W * m.s / m.beta;
		if ((k & 0xFF) == 0xFF)
			CHECK_FOR_INTERRUPTS();
	}
	memcpy(grad, g, sizeof(g));
	return ll;
}

PG_FUNCTION_INFO_V1(crm_paretonbd_trans);
Datum
crm_paretonbd_trans(PG_FUNCTION_ARGS)
{
	return summary_trans(fcinfo, CLV_FORMAT_PNBD, "paretonbd_fit");
}

PG_FUNCTION_INFO_V1(crm_paretonbd_combine);
Datum
crm_paretonbd_combine(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(state_combine(fcinfo, CLV_FORMAT_PNBD, BGNBD_RECORD));
}

/*
 * Start at r = s = 1 with alpha matching the mean purchase rate and beta =
 * alpha; the second start assumes heavier heterogeneity in both rates.  The
 * log-likelihood reported is pnbd_loglik's, whose gradient is not needed.
 */
PG_FUNCTION_INFO_V1(crm_paretonbd_final);
Datum
crm_paretonbd_final(PG_FUNCTION_ARGS)
{
	static const double base[2][4] = {{0.0, 0.0, 0.0, 0.0},
	{-0.69314718055994531, -0.69314718055994531, -0.69314718055994531, 0.69314718055994531}};	/* ln 1/2, ln 1/2, ln 1/2, ln 2 */
	static const bool timescale[4] = {false, true, false, true};

	return summary_fit(fcinfo, CLV_FORMAT_PNBD, "paretonbd_fit", pnbd_loglik, base, timescale);
}

/* ln s, the constant of P(alive), kept with the parameters (r, alpha, s, beta) */
static void
pnbd_constants(const double *v, double *k)
{
	k[0] = log(v[2]);
}

static PnbdModel
pnbd_model(FunctionCallInfo fcinfo)
{
	const ModelSlot *slot = model_cached(fcinfo, 0, "paretonbd_fit", "r alpha s beta", pnbd_constants);

	return (PnbdModel) {.r = slot->v[0], .alpha = slot->v[1], .s = slot->v[2], .beta = slot->v[3],
	.ls = slot->k[0]};
}

/*
 * P(alive at T | x, t_x, T) = 1 / (1 + e^(part3 - part2)), its logarithms
 * kept in the call site's grid g or table (fcinfo and g NULL: not kept)
 */
static double
pnbd_alive(FunctionCallInfo fcinfo, PredGrid *g, const PnbdModel *m, int32 x, double t_x, double T)
{
	double		part2,
				part3;

	pnbd_parts(fcinfo, g, m, x, t_x, T, &part2, &part3);
	if (isnan(part3))
		series_limit_error(psprintf("Given: alpha = %g, beta = %g, t_x = %g.", m->alpha, m->beta, t_x),
						   "The model's alpha and beta are too far apart for the time scale of the summary (|alpha - beta| / (max(alpha, beta) + t_x) within about 1e-6 of 1).");
	return alive_logistic(part3 - part2);
}

/* [1 - (1 + t/h)^-(s-1)] / (s-1), smooth through s = 1: h is beta + T */
static double
pnbd_lifetime_factor(double s, double h, double t)
{
	double		L = log1p(t / h);

	return L * expm1_over(-(s - 1.0) * L);
}

PG_FUNCTION_INFO_V1(crm_paretonbd_p_alive);
Datum
crm_paretonbd_p_alive(PG_FUNCTION_ARGS)
{
	PnbdModel	m = pnbd_model(fcinfo);
	int32		x = PG_GETARG_INT32(1);
	double		t_x = PG_GETARG_FLOAT8(2);
	double		T = PG_GETARG_FLOAT8(3);


	check_summary("paretonbd_p_alive", x, t_x, T);
	PG_RETURN_FLOAT8(pnbd_alive(fcinfo, pred_grid(fcinfo), &m, x, t_x, T));
}

PG_FUNCTION_INFO_V1(crm_paretonbd_expected_purchases);
Datum
crm_paretonbd_expected_purchases(PG_FUNCTION_ARGS)
{
	const char *who = "paretonbd_expected_purchases";
	PnbdModel	m = pnbd_model(fcinfo);
	double		t = PG_GETARG_FLOAT8(1);
	int32		x = PG_GETARG_INT32(2);
	double		t_x = PG_GETARG_FLOAT8(3);
	double		T = PG_GETARG_FLOAT8(4);
	PredGrid   *g;
	double		alive,
				factor;
	int			i;

	check_horizon(who, "t", t);
	check_summary(who, x, t_x, T);
	g = pred_grid(fcinfo);
	alive = pnbd_alive(fcinfo, g, &m, x, t_x, T);
	if (t == 0.0 || alive == 0.0)
		PG_RETURN_FLOAT8(0.0);
	/* the lifetime factor kept by T at the grid's horizon (row PRED_GRID_ROW_V(2)) */
	if (g != NULL && (i = pred_grid_index(g, T)) >= 0 && pred_grid_horizon(g, t))
	{
		double	   *place = pred_grid_at(fcinfo, g, PRED_GRID_ROW_V(2), i);

		if (!pred_grid_known(place))
			*place = pnbd_lifetime_factor(m.s, m.beta + T, t);
		factor = *place;
	}
	else
		factor = pnbd_lifetime_factor(m.s, m.beta + T, t);
	PG_RETURN_FLOAT8(alive * (m.r + x) / (m.alpha + T) * (m.beta + T) * factor);
}

PG_FUNCTION_INFO_V1(crm_paretonbd_expected_purchases_unconditional);
Datum
crm_paretonbd_expected_purchases_unconditional(PG_FUNCTION_ARGS)
{
	PnbdModel	m = pnbd_model(fcinfo);
	double		t = PG_GETARG_FLOAT8(1);

	check_horizon("paretonbd_expected_purchases_unconditional", "t", t);
	PG_RETURN_FLOAT8(m.r / m.alpha * m.beta * pnbd_lifetime_factor(m.s, m.beta, t));
}

/*
 * P(Y(t) = n | x, t_x, T) of the Pareto/NBD model.  Alive at T (probability
 * P(alive)) her rates are independent, lambda ~ Gamma(R, A) and mu ~
 * Gamma(s, B) with R = r+x, A = alpha+T, B = beta+T (Fader & Hardie's
 * note), and the lifetime is memoryless, so from T on
 *
 *	 P(n | alive) = NB(n; R, A/(A+t)) (B/(B+t))^s
 *				  + int_0^t s B^s / (B+tau)^(s+1) NB(n; R, A/(A+tau)) dtau
 *
 * (alive throughout with n purchases, or dead at tau after n purchases),
 * NB(n; R, q) = G(R+n)/(G(R) n!) q^R (1-q)^n the negative binomial of a
 * Poisson count with a gamma rate; dead at T she buys nothing.  So
 * P(Y(t) = n | x, t_x, T) = P(alive) P(n | alive) + [n = 0] (1 - P(alive)),
 * and x = t_x = T = 0 gives P(X(t) = n) of a new customer.  The integrand
 * is positive (no cancellation, unlike the closed form with 2F1 terms of
 * the note, which subtracts a partial sum) and taken in logarithms; the
 * integral is 10-point Gauss-Legendre on panels uniform in ln(A+tau), as
 * many as (R+n+s+1) ln((A+t)/A) (at least 8), so that the logarithm of the
 * integrand changes by about 1 per panel; more than PNBD_PANELS_MAX panels
 * (t long beside A with large n) is an error rather than a guess.
 */
#define PNBD_PANELS_MAX 200000

static const double gl10_x[5] = {0.14887433898163121088, 0.4333953941292471908,
	0.67940956829902440623, 0.86506336668898451073, 0.97390652851717172008};
static const double gl10_w[5] = {0.29552422471475287017, 0.26926671930999635509,
	0.219086362515982044, 0.14945134915058059315, 0.066671344308688137594};

/* ln NB(n; R, A/(A+tau)) without its constant lgamma part */
static inline double
pnbd_lnb(double R, double A, int32 n, double tau)
{
	double		l = -R * log1p(tau / A);

	if (n > 0)
		l += n * (log(tau) - log(A + tau));
	return l;
}

static double
pnbd_p_count(const PnbdModel *m, double t, int32 n, double x, double t_x, double T)
{
	double		alive = pnbd_alive(NULL, NULL, m, (int32) x, t_x, T),
				R = m->r + x,
				A = m->alpha + T,
				B = m->beta + T,
				s = m->s,
				lc = lgamma(R + n) - lgamma(R) - lgamma(n + 1.0),
				v0 = log(A),
				v1,
				width,
				panels_d,
				sum = 0.0,
				p;
	int64		panels,
				k;

	if (t == 0.0)
		return n == 0 ? 1.0 : 0.0;
	v1 = v0 + log1p(t / A);
	panels_d = ceil((R + n + s + 1.0) * (v1 - v0));
	if (!(panels_d <= PNBD_PANELS_MAX))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the probability of %d purchases in t = %g needs more than %d quadrature panels", n, t, PNBD_PANELS_MAX),
				 errdetail("(r + x + n + s + 1) ln(1 + t / (alpha + T)) is %g.", panels_d),
				 errhint("Use a shorter horizon t, or a smaller n.")));
	panels = Max((int64) panels_d, 8);
	width = (v1 - v0) / panels;
	for (k = 0; k < panels; k++)
	{
		double		mid = v0 + (k + 0.5) * width;

		for (int j = 0; j < 5; j++)
			for (int sgn = -1; sgn <= 1; sgn += 2)
			{
				double		v = mid + sgn * gl10_x[j] * width / 2.0,
							tau = Min(expm1(v - v0) * A, t);	/* e^v - A, without cancelling */

				/* d tau = (A + tau) dv = e^v dv */
				sum += gl10_w[j] * exp(log(s) + s * (log(B) - log(B + tau)) - log1p(tau / B) +
									   lc + pnbd_lnb(R, A, n, tau) + v - log(B));
			}
		if ((k & 0x3FF) == 0x3FF)
			CHECK_FOR_INTERRUPTS();
	}
	p = sum * width / 2.0 + exp(lc + pnbd_lnb(R, A, n, t) - s * log1p(t / B));
	p *= alive;
	if (n == 0)
		p += 1.0 - alive;
	return Min(Max(p, 0.0), 1.0);
}

/*
 * crm.paretonbd_p_purchases(model, t, n [, x, t_x, T]): the probability of
 * n purchases in the next t time units, of a customer just acquired or,
 * with her history, conditional on it.
 */
PG_FUNCTION_INFO_V1(crm_paretonbd_p_purchases);
Datum
crm_paretonbd_p_purchases(PG_FUNCTION_ARGS)
{
	const char *who = "paretonbd_p_purchases";
	PnbdModel	m = pnbd_model(fcinfo);
	double		t = PG_GETARG_FLOAT8(1);
	int32		n = PG_GETARG_INT32(2);
	int32		x = 0;
	double		t_x = 0.0,
				T = 0.0;

	check_horizon(who, "t", t);
	check_count(n);
	if (PG_NARGS() > 3)
	{
		x = PG_GETARG_INT32(3);
		t_x = PG_GETARG_FLOAT8(4);
		T = PG_GETARG_FLOAT8(5);
		check_summary(who, x, t_x, T);
	}
	PG_RETURN_FLOAT8(pnbd_p_count(&m, t, n, x, t_x, T));
}

/* ---------------------------------------------------------------------
 * Shifted-beta-geometric (sBG) contract retention
 * ---------------------------------------------------------------------
 */

/*
 * The sBG model (Fader & Hardie 2007, "How to project customer retention",
 * Journal of Interactive Marketing 21(1)): at the end of each period a
 * customer under contract churns with probability theta ~ Beta(alpha,
 * beta), the same every period for her.  Then
 *
 *	 P(T = t) = B(alpha+1, beta+t-1) / B(alpha, beta)	(churns in period t >= 1)
 *	 S(t)	  = B(alpha, beta+t) / B(alpha, beta)		(still a customer after t periods)
 *	 r(t)	  = S(t) / S(t-1) = (beta+t-1) / (alpha+beta+t-1)  (retention rate of period t)
 *
 * A contract observed for t periods contributes ln P(T = t) when it churned
 * in period t and ln S(t) when it is still running; the gradient is in
 * digammas (sbg_loglik).  The discounted expected residual lifetime of a
 * customer who has renewed n times (Fader & Hardie 2010, "Customer-base
 * valuation in a contractual setting: the perils of ignoring
 * heterogeneity", Marketing Science 29(1), eq. 6 with n - 1 renewals
 * there) counts the payments she is still expected to make, the next one
 * (due now, at her renewal) undiscounted:
 *
 *	 DERL(d | n) = sum_{k>=0} S(n+k+1)/S(n) / (1+d)^k
 *				 = (beta+n)/(alpha+beta+n) 2F1(1, beta+n+1; alpha+beta+n+1; 1/(1+d)).
 *
 * The fit is an aggregate over contracts (periods, churned [, weight]) with
 * the same float8[] state as the other fits (format 4, records of periods,
 * churned 0/1, weight; no penalty).
 */

typedef struct SbgData
{
	int64		n;
	const float8 *rec;			/* merged records: periods, churned, weight */
	double		total;
} SbgData;

static double
sbg_loglik(void *arg, const double *theta, double *grad)
{
	SbgData    *data = (SbgData *) arg;
	double		a = theta[0],
				b = theta[1],
				lb = lgamma(a + b) - lgamma(b),
				psab = digamma(a + b),
				psb = digamma(b),
				ll = 0.0,
				ga = 0.0,
				gb = 0.0;
	int64		i;

	for (i = 0; i < data->n; i++)
	{
		const float8 *r = data->rec + i * SBG_RECORD;
		double		t = r[0],
					w = r[2],
					psabt = digamma(a + b + t);

		if (r[1] != 0.0)
		{
			/* ln P(T = t) = ln a + ln G(b+t-1) + ln G(a+b) - ln G(b) - ln G(a+b+t) */
			ll += w * (log(a) + lgamma(b + t - 1.0) + lb - lgamma(a + b + t));
			ga += w * (1.0 / a + psab - psabt);
			gb += w * (digamma(b + t - 1.0) + psab - psb - psabt);
		}
		else
		{
			/* ln S(t) = ln G(b+t) + ln G(a+b) - ln G(b) - ln G(a+b+t) */
			ll += w * (lgamma(b + t) + lb - lgamma(a + b + t));
			ga += w * (psab - psabt);
			gb += w * (digamma(b + t) + psab - psb - psabt);
		}
	}
	if (grad)
	{
		grad[0] = ga;
		grad[1] = gb;
	}
	return ll;
}

/*
 * Transition: (state, periods, churned [, weight]).  periods counts the
 * periods the contract ran: the period it ended in when churned (>= 1),
 * else the periods completed so far (>= 0).  Rows with a NULL are left out.
 */
PG_FUNCTION_INFO_V1(crm_sbg_trans);
Datum
crm_sbg_trans(PG_FUNCTION_ARGS)
{
	float8		rec[SBG_RECORD];
	int32		periods;
	bool		churned;

	if (row_has_null(fcinfo, 3))
		return state_unchanged(fcinfo);
	periods = PG_GETARG_INT32(1);
	churned = PG_GETARG_BOOL(2);
	if (periods < (churned ? 1 : 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("periods must be at least 1 for a churned contract and 0 for a running one"),
				 errdetail("Given: periods = %d, churned = %s.", periods, churned ? "true" : "false"),
				 errhint("periods is the period the contract ended in (churned) or the periods it has completed (running).")));
	rec[0] = periods;
	rec[1] = churned ? 1.0 : 0.0;
	rec[2] = PG_NARGS() > 3 ? PG_GETARG_FLOAT8(3) : 1.0;
	check_weight(rec[2], "A weight is the number of contracts sharing (periods, churned), e.g. 1; leave out rows of weight 0.");
	PG_RETURN_DATUM(state_append(fcinfo, CLV_FORMAT_SBG, SBG_RECORD, 0.0, rec));
}

PG_FUNCTION_INFO_V1(crm_sbg_combine);
Datum
crm_sbg_combine(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(state_combine(fcinfo, CLV_FORMAT_SBG, SBG_RECORD));
}

PG_FUNCTION_INFO_V1(crm_sbg_final);
Datum
crm_sbg_final(PG_FUNCTION_ARGS)
{
	int64		n,
				i;
	double		penalty,
				reserved;
	float8	   *rec = state_final_records(fcinfo, CLV_FORMAT_SBG, SBG_RECORD, &n, &penalty, &reserved);
	SbgData		data = {n, rec, 0.0};
	bool		churn = false,
				survival = false;
	double		starts[2][CLV_MAX_PARAMS] = {{0.0, 0.0}, {log(0.5), log(2.0)}};
	double		theta[2],
				cov[4];
	int			iterations;
	bool		converged,
				has_cov;

	if (n == 0)
		PG_RETURN_NULL();
	for (i = 0; i < n; i++)
	{
		const float8 *r = rec + i * SBG_RECORD;

		/* a state from a user could hold anything: records are checked again */
		if (!(r[0] >= (r[1] != 0.0 ? 1 : 0) && r[0] <= PG_INT32_MAX && r[0] == floor(r[0])) ||
			!(r[1] == 0.0 || r[1] == 1.0) || !(r[2] > 0.0) || isinf(r[2]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("bad record (periods = %g, churned = %g, weight = %g) in the state", r[0], r[1], r[2]),
					 errhint("Pass only states made by crm.sbg_fit_trans and crm.sbg_fit_combine.")));
		data.total += r[2];
		churn |= r[1] != 0.0;
		survival |= r[0] >= (r[1] != 0.0 ? 2 : 1);
	}
	converged = fit_parameters(sbg_loglik, &data, 2, data.total, penalty, n, "sbg_fit",
							   starts, theta, &iterations, cov, &has_cov);

	/*
	 * Without a churned contract the likelihood rises towards alpha / beta
	 * -> 0, and without one that lasted a period towards alpha / beta -> oo:
	 * the gradient flattens along the way, which is no maximum.
	 */
	if (!churn || !survival)
		converged = false;
	PG_RETURN_DATUM(fit_result(fcinfo, theta, 2, sbg_loglik(&data, theta, NULL), data.total,
							   iterations, converged, cov, has_cov));
}

/* ln G(alpha + beta) and ln G(beta), of S(t) */
static void
sbg_constants(const double *v, double *k)
{
	k[0] = lgamma(v[0] + v[1]);
	k[1] = lgamma(v[1]);
}

/* the model's alpha and beta, and its slot for the constants */
static const ModelSlot *
sbg_model(FunctionCallInfo fcinfo, double *a, double *b)
{
	const ModelSlot *slot = model_cached(fcinfo, 0, "sbg_fit", "alpha beta", sbg_constants);

	*a = slot->v[0];
	*b = slot->v[1];
	return slot;
}

static void
check_periods(const char *what, int32 t, int32 least)
{
	if (t < least)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be at least %d", what, least),
				 errdetail("Given: %d.", t),
				 errhint("Periods are counted from the start of the contract: 0 at signing, 1 after the first renewal decision.")));
}

/* S(t) = B(alpha, beta+t) / B(alpha, beta) */
PG_FUNCTION_INFO_V1(crm_sbg_survival);
Datum
crm_sbg_survival(PG_FUNCTION_ARGS)
{
	double		a,
				b;
	int32		t = PG_GETARG_INT32(1);
	const ModelSlot *slot = sbg_model(fcinfo, &a, &b);

	check_periods("t", t, 0);
	PG_RETURN_FLOAT8(exp(lgamma(b + t) + slot->k[0] - slot->k[1] - lgamma(a + b + t)));
}

/* r(t) = (beta+t-1) / (alpha+beta+t-1) */
PG_FUNCTION_INFO_V1(crm_sbg_retention_rate);
Datum
crm_sbg_retention_rate(PG_FUNCTION_ARGS)
{
	double		a,
				b;
	int32		t = PG_GETARG_INT32(1);

	sbg_model(fcinfo, &a, &b);
	check_periods("t", t, 1);
	PG_RETURN_FLOAT8((b + t - 1.0) / (a + b + t - 1.0));
}

/* DERL(d | n), the model comment above */
PG_FUNCTION_INFO_V1(crm_sbg_derl);
Datum
crm_sbg_derl(PG_FUNCTION_ARGS)
{
	double		a,
				b,
				d = PG_GETARG_FLOAT8(1),
				l2f1;
	int32		n = PG_GETARG_INT32(2);

	sbg_model(fcinfo, &a, &b);
	if (!(d > 0.0) || isinf(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount must be positive and finite"),
				 errdetail("Given: %g.", d),
				 errhint("discount is the rate per period, e.g. 0.1 for 10 %% a year with yearly renewals.")));
	check_periods("periods_survived", n, 0);
	l2f1 = log_hyp2f1_positive(1.0, b + n + 1.0, a + b + n + 1.0, 1.0 / (1.0 + d), CLV_SERIES_MAX);
	if (isnan(l2f1))
		series_limit_error(psprintf("Given: discount = %g.", d),
						   "Use a discount rate of at least 1e-6 per period.");
	PG_RETURN_FLOAT8((b + n) / (a + b + n) * exp(l2f1));
}

/* ---------------------------------------------------------------------
 * BG/BB: discrete opportunities
 * ---------------------------------------------------------------------
 */

/*
 * The beta-geometric/beta-Bernoulli model (Fader, Hardie & Shang 2010,
 * "Customer-base analysis in a discrete-time noncontractual setting",
 * Marketing Science 29(6)): at each of n opportunities a living customer
 * transacts with probability p ~ Beta(alpha, beta) and, after it, dies with
 * probability theta ~ Beta(gamma, delta).  With x transactions, the last at
 * opportunity t_x, the likelihood (their eq. 5) is
 *
 *	 L = B(alpha+x, beta+n-x)/B(alpha, beta) B(gamma, delta+n)/B(gamma, delta)
 *	   + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha, beta)
 *							 B(gamma+1, delta+t_x+i)/B(gamma, delta),
 *
 * the sum's terms from the first by their ratios (a running product, two
 * log-betas per summary), added to the first in logarithms (log-sum-exp);
 * the fit's gradient is analytic (bgbb_loglik: digammas and running sums
 * beside the running product).  Records (x, t_x, n, weight) use the state
 * of the other fits (format 5).  Predictions, conditional on the alive term
 * of L: P(alive at n+1) = B(alpha+x, beta+n-x)/B(alpha, beta)
 * B(gamma, delta+n+1)/B(gamma, delta) / L (their eq. 11), and the expected
 * transactions in the next m opportunities
 *
 *	 B(alpha+x+1, beta+n-x)/B(alpha, beta) / L sum_{k=1}^{m} B(gamma, delta+n+k)/B(gamma, delta)
 *
 * (the sum of their eq. 13's closed form, which divides by gamma - 1).
 */
#define BGBB_MAX_PERIODS 100000	/* opportunities of a summary or a horizon */

typedef struct BgbbData
{
	int64		n;
	const float8 *rec;
	double		total;
} BgbbData;

/* the periods of a BG/BB prediction: 0..BGBB_MAX_PERIODS, or an error with hint */
static void
check_bgbb_periods(int32 periods, const char *hint)
{
	if (periods < 0 || periods > BGBB_MAX_PERIODS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("periods must be between 0 and %d", BGBB_MAX_PERIODS),
				 errdetail("Given: %d.", periods),
				 errhint("%s", hint)));
}

/* a BG/BB summary: 0 <= x <= t_x <= n, t_x = 0 when x = 0, n <= BGBB_MAX_PERIODS */
static void
check_bgbb_summary(double x, double t_x, double n)
{
	if (!(x >= 0 && x <= t_x && t_x <= n && n <= BGBB_MAX_PERIODS) || (x == 0 && t_x != 0) ||
		x != floor(x) || t_x != floor(t_x) || n != floor(n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("need whole numbers 0 <= x <= t_x <= n <= %d, and t_x = 0 when x = 0", BGBB_MAX_PERIODS),
				 errdetail("Given: x = %g, t_x = %g, n = %g.", x, t_x, n),
				 errhint("x counts the opportunities with a transaction, t_x is the last of them, n the opportunities observed.")));
}

/*
 * ln L of one summary at theta, and ln of its alive term (the first) in
 * *alive; lab and lgd are ln B(alpha, beta) and ln B(gamma, delta), the
 * same for every summary.
 */
static double
bgbb_log_l(const double *theta, double lab, double lgd, double x, double t_x, double n,
		   double *alive)
{
	double		a = theta[0],
				b = theta[1],
				g = theta[2],
				d = theta[3],
				ll;
	int64		i;

	ll = *alive = lbeta(a + x, b + n - x) - lab + lbeta(g, d + n) - lgd;
	if (n > t_x)
	{
		/*
		 * The terms of the sum, T_i, from the first by their ratios:
		 * T_{i+1}/T_i = (b+t_x-x+i)/(a+b+t_x+i) (d+t_x+i)/(g+d+1+t_x+i),
		 * each below 1, so the running product cannot overflow; two
		 * log-betas per summary instead of two per term.
		 */
		double		lt0 = lbeta(a + x, b + t_x - x) - lab + lbeta(g + 1.0, d + t_x) - lgd,
					term = 1.0,
					sum = 1.0;
		int64		m = (int64) (n - t_x);

		for (i = 1; i < m; i++)
		{
			double		j = t_x + i - 1;

			term *= (b + j - x) / (a + b + j) * ((d + j) / (g + d + 1.0 + j));
			sum += term;
		}
		ll = logaddexp(ll, lt0 + log(sum));
	}
	return ll;
}

static double
bgbb_loglik_at(void *arg, const double *theta)
{
	BgbbData   *data = (BgbbData *) arg;
	double		ll = 0.0,
				lab = lbeta(theta[0], theta[1]),
				lgd = lbeta(theta[2], theta[3]),
				alive;
	int64		i;

	for (i = 0; i < data->n; i++)
	{
		const float8 *r = data->rec + i * BGBB_RECORD;

		ll += r[3] * bgbb_log_l(theta, lab, lgd, r[0], r[1], r[2], &alive);
		if ((i & 0xFF) == 0xFF)
			CHECK_FOR_INTERRUPTS();
	}
	return ll;
}

/*
 * The log-likelihood and its analytic gradient in (alpha, beta, gamma,
 * delta).  Per summary ln L = logaddexp(A, B + ln S): A the alive term, B
 * the first term of the sum, S = sum_i P_i the sum relative to it (P_0 = 1,
 * P_i = P_{i-1} rho_{i-1}, bgbb_log_l).  The log-betas differentiate into
 * digammas, d ln B(p, q)/dp = psi(p) - psi(p+q); the running product into
 * running sums, d P_i = P_i sum_{j<i} d ln rho_j with d ln rho_j/d alpha =
 * -1/(a+b+J), /d beta = 1/(b+J-x) - 1/(a+b+J), /d gamma = -1/(g+d+1+J),
 * /d delta = 1/(d+J) - 1/(g+d+1+J), J = t_x + j.  Then d ln L = wA dA + (1
 * - wA) (dB + dS/S), wA the share of the alive term.
 */
static double
bgbb_loglik(void *arg, const double *theta, double *grad)
{
	BgbbData   *data = (BgbbData *) arg;
	double		a = theta[0],
				b = theta[1],
				g = theta[2],
				d = theta[3],
				lab = lbeta(a, b),
				lgd = lbeta(g, d),
				pa = digamma(a),
				pb = digamma(b),
				pab = digamma(a + b),
				pg = digamma(g),
				pd = digamma(d),
				pgd = digamma(g + d),
				pg1 = digamma(g + 1.0),
				ll = 0.0,
				G[4] = {0.0, 0.0, 0.0, 0.0};
	int64		i;

	if (grad == NULL)
		return bgbb_loglik_at(arg, theta);
	for (i = 0; i < data->n; i++)
	{
		const float8 *r = data->rec + i * BGBB_RECORD;
		double		x = r[0],
					t_x = r[1],
					n = r[2],
					w = r[3],
					A = lbeta(a + x, b + n - x) - lab + lbeta(g, d + n) - lgd,
					pabn = digamma(a + b + n),
					pgdn = digamma(g + d + n),
					pax = digamma(a + x),
					dA[4],
					lli = A;
		int			k;

		dA[0] = pax - pabn - (pa - pab);
		dA[1] = digamma(b + n - x) - pabn - (pb - pab);
		dA[2] = pgd - pgdn;
		dA[3] = digamma(d + n) - pgdn - (pd - pgd);
		if (n > t_x)
		{
			double		B = lbeta(a + x, b + t_x - x) - lab + lbeta(g + 1.0, d + t_x) - lgd,
						pabt = digamma(a + b + t_x),
						pgdt = digamma(g + d + 1.0 + t_x),
						dB[4],
						term = 1.0,
						S = 1.0,
						D[4] = {0.0, 0.0, 0.0, 0.0},
						dS[4] = {0.0, 0.0, 0.0, 0.0},
						lB,
						wA;
			int64		m = (int64) (n - t_x),
						j;

			dB[0] = pax - pabt - (pa - pab);
			dB[1] = digamma(b + t_x - x) - pabt - (pb - pab);
			dB[2] = pg1 - pgdt - (pg - pgd);
			dB[3] = digamma(d + t_x) - pgdt - (pd - pgd);
			for (j = 1; j < m; j++)
			{
				double		J = t_x + j - 1,
							i1 = 1.0 / (a + b + J),
							i2 = 1.0 / (b + J - x),
							i3 = 1.0 / (g + d + 1.0 + J),
							i4 = 1.0 / (d + J);

				term *= (b + J - x) / (a + b + J) * ((d + J) / (g + d + 1.0 + J));
				S += term;
				D[0] -= i1;
				D[1] += i2 - i1;
				D[2] -= i3;
				D[3] += i4 - i3;
				for (k = 0; k < 4; k++)
					dS[k] += term * D[k];
			}
			lB = B + log(S);
			lli = logaddexp(A, lB);
			wA = exp(A - lli);
			for (k = 0; k < 4; k++)
				G[k] += w * (wA * dA[k] + (1.0 - wA) * (dB[k] + dS[k] / S));
		}
		else
			for (k = 0; k < 4; k++)
				G[k] += w * dA[k];
		ll += w * lli;
		if ((i & 0xFF) == 0xFF)
			CHECK_FOR_INTERRUPTS();
	}
	memcpy(grad, G, sizeof(G));
	return ll;
}

/* Transition: (state, x, t_x, n [, weight]); rows with a NULL are left out. */
PG_FUNCTION_INFO_V1(crm_bgbb_trans);
Datum
crm_bgbb_trans(PG_FUNCTION_ARGS)
{
	float8		rec[BGBB_RECORD];

	if (row_has_null(fcinfo, 4))
		return state_unchanged(fcinfo);
	rec[0] = PG_GETARG_INT32(1);
	rec[1] = PG_GETARG_INT32(2);
	rec[2] = PG_GETARG_INT32(3);
	rec[3] = PG_NARGS() > 4 ? PG_GETARG_FLOAT8(4) : 1.0;
	check_bgbb_summary(rec[0], rec[1], rec[2]);
	check_weight(rec[3], "A weight is the number of customers sharing the summary (x, t_x, n), e.g. 1; leave out rows of weight 0.");
	PG_RETURN_DATUM(state_append(fcinfo, CLV_FORMAT_BGBB, BGBB_RECORD, 0.0, rec));
}

PG_FUNCTION_INFO_V1(crm_bgbb_combine);
Datum
crm_bgbb_combine(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(state_combine(fcinfo, CLV_FORMAT_BGBB, BGBB_RECORD));
}

/* start at alpha = beta = gamma = delta = 1, then at (0.5, 2, 0.5, 2) */
PG_FUNCTION_INFO_V1(crm_bgbb_final);
Datum
crm_bgbb_final(PG_FUNCTION_ARGS)
{
	int64		n,
				i;
	double		penalty,
				reserved;
	float8	   *rec = state_final_records(fcinfo, CLV_FORMAT_BGBB, BGBB_RECORD, &n, &penalty, &reserved);
	BgbbData	data = {n, rec, 0.0};
	double		starts[2][CLV_MAX_PARAMS] = {{0.0, 0.0, 0.0, 0.0},
	{-0.69314718055994531, 0.69314718055994531, -0.69314718055994531, 0.69314718055994531}};
	double		theta[4],
				cov[16];
	int			iterations;
	bool		converged,
				has_cov;

	if (n == 0)
		PG_RETURN_NULL();
	for (i = 0; i < n; i++)
	{
		/* a state from a user could hold anything: records are checked again */
		check_bgbb_summary(rec[i * BGBB_RECORD], rec[i * BGBB_RECORD + 1], rec[i * BGBB_RECORD + 2]);
		check_weight(rec[i * BGBB_RECORD + 3], "Pass only states made by crm.bgbb_fit_trans and crm.bgbb_fit_combine.");
		data.total += rec[i * BGBB_RECORD + 3];
	}
	converged = fit_parameters(bgbb_loglik, &data, 4, data.total, penalty, n, "bgbb_fit",
							   starts, theta, &iterations, cov, &has_cov);
	PG_RETURN_DATUM(fit_result(fcinfo, theta, 4, bgbb_loglik_at(&data, theta), data.total,
							   iterations, converged, cov, has_cov));
}

/* ln B(alpha, beta) and ln B(gamma, delta), in every prediction */
static void
bgbb_constants(const double *v, double *k)
{
	k[0] = lbeta(v[0], v[1]);
	k[1] = lbeta(v[2], v[3]);
}

/* the model's (alpha, beta, gamma, delta), and its slot for the constants */
static const ModelSlot *
bgbb_model(FunctionCallInfo fcinfo, double *theta)
{
	const ModelSlot *slot = model_cached(fcinfo, 0, "bgbb_fit", "alpha beta gamma delta", bgbb_constants);

	memcpy(theta, slot->v, 4 * sizeof(double));
	return slot;
}

PG_FUNCTION_INFO_V1(crm_bgbb_p_alive);
Datum
crm_bgbb_p_alive(PG_FUNCTION_ARGS)
{
	double		theta[4],
				alive,
				ll,
				p;
	double		x = PG_GETARG_INT32(1),
				t_x = PG_GETARG_INT32(2),
				n = PG_GETARG_INT32(3);
	const ModelSlot *slot;

	slot = bgbb_model(fcinfo, theta);
	check_bgbb_summary(x, t_x, n);

	ll = bgbb_log_l(theta, slot->k[0], slot->k[1], x, t_x, n, &alive);
	/* alive at n+1: the alive term with delta + n + 1 in place of delta + n */
	p = exp(alive - lbeta(theta[2], theta[3] + n) + lbeta(theta[2], theta[3] + n + 1.0) - ll);
	/*
	 * At extreme parameters (1e6 beside 1e-6) the log-beta differences lose
	 * their last digits, and how many depends on the C library's lgamma:
	 * the ratio can come out a few ulps above 1.  A probability it is.
	 */
	PG_RETURN_FLOAT8(p > 1.0 ? 1.0 : p);
}

PG_FUNCTION_INFO_V1(crm_bgbb_expected_purchases);
Datum
crm_bgbb_expected_purchases(PG_FUNCTION_ARGS)
{
	double		theta[4],
				alive,
				ll,
				lfront,
				sum = 0.0;
	int32		m = PG_GETARG_INT32(1);
	double		x = PG_GETARG_INT32(2),
				t_x = PG_GETARG_INT32(3),
				n = PG_GETARG_INT32(4);
	int32		k;
	const ModelSlot *slot;

	slot = bgbb_model(fcinfo, theta);
	check_bgbb_periods(m, "periods is the number of future opportunities, e.g. 5 for the next five years of a yearly campaign.");
	check_bgbb_summary(x, t_x, n);
	ll = bgbb_log_l(theta, slot->k[0], slot->k[1], x, t_x, n, &alive);
	lfront = lbeta(theta[0] + x + 1.0, theta[1] + n - x) - slot->k[0] - ll - slot->k[1];
	for (k = 1; k <= m; k++)
	{
		sum += exp(lfront + lbeta(theta[2], theta[3] + n + k));
		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_FLOAT8(sum);
}

/*
 * E[X(m)], the expected transactions of a new customer in her first m
 * opportunities (FHS 2010's E[X(n)], alpha/(alpha+beta) delta/(gamma-1) [1 -
 * G(gamma+delta) G(1+delta+m) / (G(gamma+delta+m) G(1+delta))]), as the
 * sum it closes: she transacts at opportunity t with mean probability
 * alpha/(alpha+beta) if she is alive there, E[(1-theta)^t] = B(gamma,
 * delta+t)/B(gamma, delta) = prod_{j<t} (delta+j)/(gamma+delta+j).  The
 * running product has no cancellation and no division by gamma - 1; it is
 * the conditional expectation at x = t_x = n = 0.
 */
PG_FUNCTION_INFO_V1(crm_bgbb_expected_purchases_unconditional);
Datum
crm_bgbb_expected_purchases_unconditional(PG_FUNCTION_ARGS)
{
	double		theta[4],
				alive = 1.0,
				sum = 0.0;
	int32		m = PG_GETARG_INT32(1);
	int32		t;

	bgbb_model(fcinfo, theta);
	check_bgbb_periods(m, "periods is the number of opportunities from the first, e.g. 6 for six years of a yearly campaign.");
	for (t = 1; t <= m && alive > 0.0; t++)
	{
		alive *= (theta[3] + t - 1) / (theta[2] + theta[3] + t - 1);
		sum += alive;
		if ((t & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_FLOAT8(theta[0] / (theta[0] + theta[1]) * sum);
}

/* ---------------------------------------------------------------------
 * MBG/NBD
 * ---------------------------------------------------------------------
 */

/*
 * The modified BG/NBD model (Batislam, Denizel & Filiztekin 2007,
 * "Empirical validation and comparison of models for customer base
 * analysis", IJRM 24(3); lifetimes' ModifiedBetaGeoFitter, BTYDplus'
 * mbgnbd): as BG/NBD, but a customer may also drop out right at her first
 * purchase, so a customer without repeat purchases can be dead.  Her
 * likelihood is
 *
 *	 L = B(a, b+x+1)/B(a, b) G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
 *	   + B(a+1, b+x)/B(a, b) G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))
 *
 * for every x (x = 0 included), in logarithms as for BG/NBD: ln L = A1 +
 * A2 + A3 + softplus(A4) with A2 = ln B(a, b+x+1) - ln B(a, b), A3 =
 * -(r+x) ln(alpha+T), A4 = ln a - ln(b+x) + (r+x) (ln(alpha+T) -
 * ln(alpha+t_x)); gradient as BG/NBD's with b+x+1 and b+x in place of b+x
 * and b+x-1.  Alive at T, her dropout probability is Beta(a, b+x+1): she has
 * survived x+1 purchases.  So P(alive) = 1 / (1 + e^A4), and the expected
 * purchases in (T, T+t] are P(alive) times BG/NBD's bracket with b+1 in
 * place of b, (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
 * 2F1(r+x, b+x+1; a+b+x; z)] (lifetimes' formula), by the series of
 * bgnbd_alive_expectation; E[X(t)] of a new customer is that at x = t_x =
 * T = 0, b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))].
 * The fit shares BG/NBD's state records (format 6), data layout and
 * optimizer.
 */
static double
mbgnbd_loglik(void *arg, const double *theta, double *grad)
{
	BgnbdData  *data = (BgnbdData *) arg;
	double		r = theta[0],
				alpha = theta[1],
				a = theta[2],
				b = theta[3];
	double		ll = 0.0,
				gr = 0.0,
				galpha = 0.0,
				ga = 0.0,
				gb = 0.0;
	double		lalpha = log(alpha),
				lgr = lgamma(r),
				lgb = lgamma(b),
				lgab = lgamma(a + b),
				psr = digamma(r),
				psb = digamma(b),
				psab = digamma(a + b),
				la = log(a);
	int64		i,
				k;

	for (i = 0; i < data->nv; i++)
	{
		data->lv[i] = log(alpha + data->v[i]);
		data->iv[i] = 1.0 / (alpha + data->v[i]);
	}
	for (k = 0; k < data->nx; k++)
	{
		double		x = data->xv[k],
					W = data->wx[k],
					R = r + x,
					c = la - log(b + x);
		double		sr = 0.0,
					salpha = 0.0,
					s4 = 0.0,
					sll = 0.0;

		for (i = data->start[k]; i < data->start[k + 1]; i++)
		{
			double		lT = data->lv[data->iT[i]],
						ltx = data->lv[data->it_x[i]],
						dd = c + R * (lT - ltx),
						e,
						w4,
						wi = data->w[i];

			/* A3 + softplus(A4), w4 = sigmoid(A4) (see bgnbd_loglik) */
			if (dd > 0.0)
			{
				e = exp(-dd);
				sll += wi * (dd + log(1.0 + e) - R * lT);
				w4 = 1.0 / (1.0 + e);
			}
			else
			{
				e = exp(dd);
				sll += wi * (log(1.0 + e) - R * lT);
				w4 = e / (1.0 + e);
			}
			sr -= wi * ((1.0 - w4) * lT + w4 * ltx);
			salpha -= wi * ((1.0 - w4) * data->iv[data->iT[i]] + w4 * data->iv[data->it_x[i]]);
			s4 += wi * w4;
		}
		ll += sll + W * (lgamma(R) - lgr + r * lalpha +
						 lgab + lgamma(b + x + 1.0) - lgb - lgamma(a + b + x + 1.0));
		if (grad)
		{
			double		psabx = digamma(a + b + x + 1.0);

			gr += sr + W * (digamma(R) - psr + lalpha);
			galpha += R * salpha + W * r / alpha;
			ga += W * (psab - psabx) + s4 / a;
			gb += W * (psab + digamma(b + x + 1.0) - psb - psabx) - s4 / (b + x);
		}
		if ((k & 0xFF) == 0xFF)
			CHECK_FOR_INTERRUPTS();
	}
	if (grad)
	{
		grad[0] = gr;
		grad[1] = galpha;
		grad[2] = ga;
		grad[3] = gb;
	}
	return ll;
}

PG_FUNCTION_INFO_V1(crm_mbgnbd_trans);
Datum
crm_mbgnbd_trans(PG_FUNCTION_ARGS)
{
	return summary_trans(fcinfo, CLV_FORMAT_MBGNBD, "mbgnbd_fit");
}

PG_FUNCTION_INFO_V1(crm_mbgnbd_combine);
Datum
crm_mbgnbd_combine(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(state_combine(fcinfo, CLV_FORMAT_MBGNBD, BGNBD_RECORD));
}

/* the starts of BG/NBD */
PG_FUNCTION_INFO_V1(crm_mbgnbd_final);
Datum
crm_mbgnbd_final(PG_FUNCTION_ARGS)
{
	static const double base[2][4] = {{0.0, 0.0, 0.0, 0.0},
	{-1.3862943611198906, -1.3862943611198906, -0.69314718055994531, 1.3862943611198906}};	/* ln 1/4, ln 1/4, ln 1/2, ln 4 */
	static const bool timescale[4] = {false, true, false, false};

	return summary_fit(fcinfo, CLV_FORMAT_MBGNBD, "mbgnbd_fit", mbgnbd_loglik, base, timescale);
}

static BgnbdModel
mbgnbd_model(FunctionCallInfo fcinfo)
{
	return bgnbd_cached(fcinfo, 0, "mbgnbd_fit");
}

/* P(alive at T | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)) */
static inline double
mbgnbd_alive(FunctionCallInfo fcinfo, PredGrid *g, const BgnbdModel *m, int32 x, double t_x, double T)
{
	return bgnbd_alive_at(m, bgnbd_log_b_kept(fcinfo, g, m, x, 0.0), x, t_x, T);
}

/*
 * E[purchases in (T, T+t] | x, t_x, T]: P(alive) times BG/NBD's bracket at
 * b+1, the bracket kept by (x, T, t) and ln(b + x) by x in the call site's
 * grid or table (fcinfo NULL: not kept)
 */
static double
mbgnbd_expected(FunctionCallInfo fcinfo, const BgnbdModel *m, double t, int32 x, double t_x,
				double T, const char *who)
{
	BgnbdModel	shifted = *m;
	PredGrid   *g = pred_grid(fcinfo);
	double		bracket;

	shifted.b = m->b + 1.0;
	bracket = bgnbd_bracket_kept(fcinfo, g, &shifted, x, T, t, who);
	return mbgnbd_alive(fcinfo, g, m, x, t_x, T) * bracket;
}

PG_FUNCTION_INFO_V1(crm_mbgnbd_p_alive);
Datum
crm_mbgnbd_p_alive(PG_FUNCTION_ARGS)
{
	BgnbdModel	m = mbgnbd_model(fcinfo);
	int32		x = PG_GETARG_INT32(1);
	double		t_x = PG_GETARG_FLOAT8(2);
	double		T = PG_GETARG_FLOAT8(3);

	check_summary("mbgnbd_p_alive", x, t_x, T);
	PG_RETURN_FLOAT8(mbgnbd_alive(fcinfo, pred_grid(fcinfo), &m, x, t_x, T));
}

PG_FUNCTION_INFO_V1(crm_mbgnbd_expected_purchases);
Datum
crm_mbgnbd_expected_purchases(PG_FUNCTION_ARGS)
{
	const char *who = "mbgnbd_expected_purchases";
	BgnbdModel	m = mbgnbd_model(fcinfo);
	double		t = PG_GETARG_FLOAT8(1);
	int32		x = PG_GETARG_INT32(2);
	double		t_x = PG_GETARG_FLOAT8(3);
	double		T = PG_GETARG_FLOAT8(4);


	check_horizon(who, "t", t);
	check_summary(who, x, t_x, T);
	PG_RETURN_FLOAT8(mbgnbd_expected(fcinfo, &m, t, x, t_x, T, who));
}

PG_FUNCTION_INFO_V1(crm_mbgnbd_expected_purchases_unconditional);
Datum
crm_mbgnbd_expected_purchases_unconditional(PG_FUNCTION_ARGS)
{
	const char *who = "mbgnbd_expected_purchases_unconditional";
	BgnbdModel	m = mbgnbd_model(fcinfo);
	double		t = PG_GETARG_FLOAT8(1);

	check_horizon(who, "t", t);
	PG_RETURN_FLOAT8(mbgnbd_expected(NULL, &m, t, 0, 0.0, 0.0, who));
}
