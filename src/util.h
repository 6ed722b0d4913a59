/*
 * util.h: helpers shared by the C files of crm.
 *
 * Money is handled as exact integers of CRM_MONEY_SCALE units per currency
 * unit (0.0001), summed in int128, so aggregates reproduce SQL's numeric
 * sums exactly and never lose a cent to floating point.
 */
#ifndef CRM_UTIL_H
#define CRM_UTIL_H

#include "fmgr.h"

#define CRM_MONEY_DIGITS 4
#define CRM_MONEY_SCALE INT64CONST(10000)

/* decimal places of a numeric value as written (its display scale) */
extern int	crm_numeric_dscale(Datum num);

/* a numeric or float8 amount in units of 0.0001; what names the argument */
extern int64 crm_numeric_to_money(Datum num, const char *what);
extern int64 crm_float8_to_money(double value, const char *what);

/* an amount in units of 0.0001 as numeric with dscale decimals (0..4; < 0: as few as needed) */
extern Datum crm_money_to_numeric(int128 value, int dscale);

/* a day number (DateADT) of a date or a timestamptz in the session time zone */
extern int32 crm_day_of(Datum value, Oid type, const char *what);

#endif
