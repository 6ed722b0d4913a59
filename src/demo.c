/*
 * demo.c: deterministic random numbers and purchase histories for the demo
 * data generator (crm.generate_demo_data, declared in demo.sql).
 *
 * Random numbers are counter-based: demo_uniform(seed, stream, key) hashes the
 * three integers with SplitMix64 (Steele, Lea & Flood 2014), so any row can
 * draw its own numbers in any order, in parallel, and the same seed always
 * gives the same data on every platform.
 *
 * Purchase histories follow the generative story of the BG/NBD model (Fader,
 * Hardie & Lee 2005, "Counting your customers the easy way") and of the
 * Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"):
 *
 *	- each customer buys at a Poisson rate lambda ~ Gamma(r, alpha) per day;
 *	- after each repeat purchase the customer drops out for good with
 *	  probability p ~ Beta(a, b);
 *	- each order's value is z ~ Gamma(p_s, nu) with nu ~ Gamma(q, gamma),
 *	  so the customer's mean spend is p_s / nu.
 *
 * The population parameters are the DEMO_* constants below: a model fitted
 * on the demo data should recover them (with days as the time unit).
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

/* BG/NBD purchase and dropout process, time unit = day */
#define DEMO_R			0.9
#define DEMO_ALPHA		27.0
#define DEMO_A			0.8
#define DEMO_B			6.0
/* Gamma-Gamma spend per order, before the customer's spend scale */
#define DEMO_P			6.0
#define DEMO_Q			3.5
#define DEMO_GAMMA		15.0

/* safety cap: no customer gets more orders than this */
#define DEMO_MAX_ORDERS 1000

static const char *const demo_products[] = {
	"software", "hardware", "services", "support", "training", "consumables"
};

#define DEMO_NPRODUCTS lengthof(demo_products)

/* SplitMix64 finalizer: a bijective 64-bit mix */
static inline uint64
splitmix64_mix(uint64 z)
{
	z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

#define SPLITMIX64_GAMMA UINT64CONST(0x9e3779b97f4a7c15)

/* the key of (seed, stream, key): distinct triples give unrelated streams */
static uint64
demo_key(int64 seed, int64 stream, int64 key)
{
	uint64		h = splitmix64_mix((uint64) seed * SPLITMIX64_GAMMA + 1);

	h = splitmix64_mix(h ^ ((uint64) stream * SPLITMIX64_GAMMA));
	return splitmix64_mix(h ^ ((uint64) key * SPLITMIX64_GAMMA));
}

/* uniform in [0, 1) from the top 53 bits */
static inline double
bits_to_unit(uint64 x)
{
	return (double) (x >> 11) * (1.0 / 9007199254740992.0);
}

/* A SplitMix64 sequence: the generator for one customer's history */
typedef struct DemoRng
{
	uint64		state;
} DemoRng;

static inline double
rng_uniform(DemoRng *rng)
{
	rng->state += SPLITMIX64_GAMMA;
	return bits_to_unit(splitmix64_mix(rng->state));
}

/* uniform in (0, 1): safe for log() */
static inline double
rng_open_uniform(DemoRng *rng)
{
	double		u;

	do
		u = rng_uniform(rng);
	while (u == 0.0);
	return u;
}

static double
rng_normal(DemoRng *rng)
{
	/* Box-Muller; the second variate is discarded for simplicity */
	double		u1 = rng_open_uniform(rng);
	double		u2 = rng_uniform(rng);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/*
 * Gamma(shape, scale = 1) by Marsaglia & Tsang (2000); for shape < 1 the
 * usual boost Gamma(shape) = Gamma(shape + 1) * U^(1/shape).
 */
static double
rng_gamma(DemoRng *rng, double shape)
{
	double		d,
				c;

	if (shape < 1.0)
		return rng_gamma(rng, shape + 1.0) * pow(rng_open_uniform(rng), 1.0 / shape);

	d = shape - 1.0 / 3.0;
	c = 1.0 / sqrt(9.0 * d);
	for (;;)
	{
		double		x,
					v,
					u;

		do
		{
			x = rng_normal(rng);
			v = 1.0 + c * x;
		} while (v <= 0.0);
		v = v * v * v;
		u = rng_open_uniform(rng);
		if (u < 1.0 - 0.0331 * x * x * x * x ||
			log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
			return d * v;
	}
}

static double
rng_beta(DemoRng *rng, double a, double b)
{
	double		x = rng_gamma(rng, a);
	double		y = rng_gamma(rng, b);

	return x / (x + y);
}

/*
 * crm.demo_uniform(seed, stream, key) -> float8 in [0, 1)
 *
 * The same arguments always give the same number; different streams of one
 * key are independent.
 */
PG_FUNCTION_INFO_V1(crm_demo_uniform);
Datum
crm_demo_uniform(PG_FUNCTION_ARGS)
{
	int64		seed = PG_GETARG_INT64(0);
	int32		stream = PG_GETARG_INT32(1);
	int64		key = PG_GETARG_INT64(2);

	PG_RETURN_FLOAT8(bits_to_unit(demo_key(seed, stream, key)));
}

/*
 * crm.demo_normal(seed, stream, key) -> standard normal float8, as
 * deterministic as demo_uniform.
 */
PG_FUNCTION_INFO_V1(crm_demo_normal);
Datum
crm_demo_normal(PG_FUNCTION_ARGS)
{
	DemoRng		rng;

	rng.state = demo_key(PG_GETARG_INT64(0), PG_GETARG_INT32(1), PG_GETARG_INT64(2));
	PG_RETURN_FLOAT8(rng_normal(&rng));
}

/*
 * crm.demo_pick(seed, stream, key, choices) -> one element of a
 * one-dimensional array, chosen uniformly by demo_uniform(seed, stream, key);
 * NULL for an empty array.
 */
PG_FUNCTION_INFO_V1(crm_demo_pick);
Datum
crm_demo_pick(PG_FUNCTION_ARGS)
{
	ArrayType  *choices = PG_GETARG_ARRAYTYPE_P(3);
	double		u = bits_to_unit(demo_key(PG_GETARG_INT64(0), PG_GETARG_INT32(1), PG_GETARG_INT64(2)));
	int			n;
	int			index;
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	bool		isnull;
	Datum		element;

	if (ARR_NDIM(choices) == 0)
		PG_RETURN_NULL();
	if (ARR_NDIM(choices) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("choices must be a one-dimensional array"),
				 errdetail("Given: %d dimensions.", ARR_NDIM(choices)),
				 errhint("Pass a list such as '{north,east,south}'.")));

	n = ARR_DIMS(choices)[0];
	index = ARR_LBOUND(choices)[0] + (int) (u * n);
	get_typlenbyvalalign(ARR_ELEMTYPE(choices), &elmlen, &elmbyval, &elmalign);
	element = array_get_element(PointerGetDatum(choices), 1, &index, -1,
								elmlen, elmbyval, elmalign, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(element);
}

/*
 * crm.demo_orders(seed, customer_id, first_purchase, until, spend_scale,
 *				   dropout_scale)
 *	 -> SETOF (n, ordered_at, amount, quantity, product)
 *
 * One customer's purchase history: the first purchase at first_purchase,
 * then repeat purchases until the customer drops out or until is reached.
 * spend_scale multiplies order values (business customers buy more);
 * dropout_scale multiplies the dropout probability (unhappy customers leave
 * sooner).  Amounts are rounded to cents.
 */
PG_FUNCTION_INFO_V1(crm_demo_orders);
Datum
crm_demo_orders(PG_FUNCTION_ARGS)
{
	int64		seed = PG_GETARG_INT64(0);
	int64		customer_id = PG_GETARG_INT64(1);
	TimestampTz first = PG_GETARG_TIMESTAMPTZ(2);
	TimestampTz until = PG_GETARG_TIMESTAMPTZ(3);
	double		spend_scale = PG_GETARG_FLOAT8(4);
	double		dropout_scale = PG_GETARG_FLOAT8(5);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DemoRng		rng;
	double		lambda,
				p,
				nu;
	double		t;				/* days since the first purchase */
	double		horizon;
	int			n;

	if (!(spend_scale > 0.0) || !(dropout_scale >= 0.0) || isinf(spend_scale) || isinf(dropout_scale))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("spend_scale must be positive and dropout_scale non-negative"),
				 errdetail("Given: %g and %g.",
						spend_scale, dropout_scale),
				 errhint("Pass finite scales, e.g. 1.0 and 1.0 for an average customer.")));
	if (TIMESTAMP_NOT_FINITE(first) || TIMESTAMP_NOT_FINITE(until))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("first_purchase and until must be finite timestamps"),
				 errhint("Pass real points in time, e.g. '2023-01-01' and '2025-12-31'.")));

	InitMaterializedSRF(fcinfo, 0);
	if (until < first)
		return (Datum) 0;

	rng.state = demo_key(seed, 1000, customer_id);
	lambda = rng_gamma(&rng, DEMO_R) / DEMO_ALPHA;
	p = Min(1.0, rng_beta(&rng, DEMO_A, DEMO_B) * dropout_scale);
	nu = rng_gamma(&rng, DEMO_Q) / DEMO_GAMMA;
	horizon = (double) (until - first) / USECS_PER_DAY;

	t = 0.0;
	for (n = 1; n <= DEMO_MAX_ORDERS; n++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		double		amount;

		CHECK_FOR_INTERRUPTS();

		amount = rint(rng_gamma(&rng, DEMO_P) / nu * spend_scale * 100.0) / 100.0;
		values[0] = Int32GetDatum(n);
		values[1] = TimestampTzGetDatum(first + (TimestampTz) rint(t * USECS_PER_DAY));
		values[2] = Float8GetDatum(amount);
		values[3] = Int32GetDatum(1 + (int) (rng_uniform(&rng) * rng_uniform(&rng) * 10.0));
		values[4] = CStringGetTextDatum(demo_products[(int) (rng_uniform(&rng) * DEMO_NPRODUCTS)]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);

		/* after a repeat purchase the customer may leave for good */
		if (n > 1 && rng_uniform(&rng) < p)
			break;
		if (lambda <= 0.0)
			break;
		t += -log(rng_open_uniform(&rng)) / lambda;
		if (t > horizon)
			break;
	}
	return (Datum) 0;
}
