/*
 * duplicates.c: name and phone normalization and name similarity for
 * duplicate detection (duplicates.sql).
 *
 * normalize_name maps a Latin or Chinese company name to a key on which
 * spelling variants of one company agree:
 *   1. UTF-8 is decoded; malformed bytes are dropped (never read past the
 *      end, never emitted).
 *   2. Full-width forms U+FF01..U+FF5E become their ASCII counterparts,
 *      the ideographic space U+3000 a space.
 *   3. Case folding: ASCII and Latin-1 letters to lower case.
 *   4. Punctuation and symbols (ASCII punctuation, Latin-1 punctuation,
 *      General Punctuation U+2000..U+206F, CJK punctuation U+3001..U+303F,
 *      half-width CJK punctuation U+FF61..U+FF65) become spaces; runs of
 *      spaces collapse to one; leading and trailing spaces go.
 *   5. Legal-form suffixes are stripped from the end, repeatedly, as long as
 *      something remains: the words of crm_legal_words (co, ltd, inc, llc,
 *      gmbh, group, ...) and the Chinese endings of crm_legal_cjk (有限公司,
 *      股份有限公司, 有限责任公司, 集团, 公司, and the Japanese 株式会社, ...),
 *      which need no space before them.  A name that is nothing but a legal
 *      form ("Co., Ltd.", "有限公司") keeps its last word or stays whole.  "Acme Trading Co., Ltd." and "ACME TRADING LTD" both give
 *      "acme trading"; "上海华信贸易股份有限公司" gives "上海华信贸易".
 *
 * name_similarity is the Levenshtein similarity 1 - d / max(length) of two
 * normalized names, on code points (the first 256 of each), in [0, 1].
 * jaro_winkler (prefix scale 0.1, at most 4 prefix characters) is offered
 * too, but duplicate detection does not use it: it rewards a long common
 * prefix so much that "Evergreen Machinery" and "Evergreen Pharma" score
 * 0.90, and so do 南京新世纪贸易 and 北京新世纪贸易 (two cities, two
 * companies); their Levenshtein similarities are 0.53 and 0.86.
 *
 * The pure functions (no palloc, no ereport) come first so that the fuzz
 * harness in test/fuzz/ can compile them outside the server with
 * CRM_STANDALONE defined.
 */
#ifndef CRM_STANDALONE
#include "postgres.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"			/* VARDATA, VARSIZE: in postgres.h before 16 */
#endif

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#else
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdbool.h>
#endif

/* the longest name (bytes) normalized; longer input is cut there */
#define CRM_NAME_MAX 4096

/* English, German, French and Dutch legal forms, after punctuation removal */
static const char *const crm_legal_words[] = {
	"co", "ltd", "limited", "inc", "incorporated", "corp", "corporation",
	"company", "llc", "llp", "lp", "plc", "group", "holding", "holdings",
	"gmbh", "ag", "kg", "ug", "mbh", "se", "sa", "sarl", "sas", "bv", "nv",
	"pte", "pty", "oy", "ab", "spa", "srl", NULL
};

/* Chinese legal forms (UTF-8), longest first */
static const char *const crm_legal_cjk[] = {
	"股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "分公司",
	"集团", "公司", "株式会社", "有限会社", NULL
};

/*
 * Decode one UTF-8 code point from s[0..len); returns the number of bytes
 * consumed (at least 1) and sets *cp, or -1 in *cp for a malformed sequence.
 */
static int
crm_utf8_next(const unsigned char *s, size_t len, int32_t *cp)
{
	unsigned char c = s[0];
	int			n;
	int32_t		v;
	int			i;

	if (c < 0x80)
	{
		*cp = c;
		return 1;
	}
	if ((c & 0xE0) == 0xC0)
	{
		n = 2;
		v = c & 0x1F;
	}
	else if ((c & 0xF0) == 0xE0)
	{
		n = 3;
		v = c & 0x0F;
	}
	else if ((c & 0xF8) == 0xF0)
	{
		n = 4;
		v = c & 0x07;
	}
	else
	{
		*cp = -1;
		return 1;
	}
	if ((size_t) n > len)
	{
		*cp = -1;
		return 1;
	}
	for (i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
		{
			*cp = -1;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3F);
	}
	/* overlong forms, surrogates and values past U+10FFFF are malformed */
	if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
		(v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
	{
		*cp = -1;
		return 1;
	}
	*cp = v;
	return n;
}

/* Encode cp as UTF-8 into out (room for 4 bytes); returns the length. */
static int
crm_utf8_put(int32_t cp, unsigned char *out)
{
	if (cp < 0x80)
	{
		out[0] = (unsigned char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = 0xC0 | (cp >> 6);
		out[1] = 0x80 | (cp & 0x3F);
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = 0xE0 | (cp >> 12);
		out[1] = 0x80 | ((cp >> 6) & 0x3F);
		out[2] = 0x80 | (cp & 0x3F);
		return 3;
	}
	out[0] = 0xF0 | (cp >> 18);
	out[1] = 0x80 | ((cp >> 12) & 0x3F);
	out[2] = 0x80 | ((cp >> 6) & 0x3F);
	out[3] = 0x80 | (cp & 0x3F);
	return 4;
}

/* Steps 2-4 for one code point: the folded code point, or ' ' for punctuation. */
static int32_t
crm_fold(int32_t cp)
{
	if (cp >= 0xFF01 && cp <= 0xFF5E)
		cp -= 0xFEE0;
	else if (cp == 0x3000)
		return ' ';
	if (cp < 0x80)
	{
		if (cp >= 'A' && cp <= 'Z')
			return cp + ('a' - 'A');
		if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
			return cp;
		return ' ';				/* controls, space, punctuation, symbols */
	}
	if (cp < 0xC0)
		return ' ';				/* Latin-1 controls, punctuation, symbols */
	if (cp <= 0xDE && cp != 0xD7)
		return cp + 0x20;		/* Latin-1 capitals */
	if (cp == 0xD7 || cp == 0xF7)
		return ' ';
	if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3001 && cp <= 0x303F) ||
		(cp >= 0xFF5F && cp <= 0xFF65) || (cp >= 0xFE10 && cp <= 0xFE6F))
		return ' ';
	return cp;
}

static bool
crm_is_legal_word(const unsigned char *w, size_t len)
{
	int			i;

	for (i = 0; crm_legal_words[i] != NULL; i++)
		if (strlen(crm_legal_words[i]) == len && memcmp(crm_legal_words[i], w, len) == 0)
			return true;
	return false;
}

/*
 * Normalize in[0..len) into out (room for 4 * min(len, CRM_NAME_MAX) + 1
 * bytes suffices: folding never lengthens a code point's encoding by more
 * than 3 bytes, and malformed bytes produce nothing); returns the length,
 * out is NUL-terminated.
 */
static size_t
crm_normalize_name_buf(const unsigned char *in, size_t len, unsigned char *out)
{
	size_t		pos = 0;
	size_t		n = 0;
	bool		stripped;

	if (len > CRM_NAME_MAX)
		len = CRM_NAME_MAX;
	while (pos < len)
	{
		int32_t		cp;

		pos += crm_utf8_next(in + pos, len - pos, &cp);
		if (cp < 0)
			continue;
		cp = crm_fold(cp);
		if (cp == ' ')
		{
			if (n > 0 && out[n - 1] != ' ')
				out[n++] = ' ';
			continue;
		}
		n += crm_utf8_put(cp, out + n);
	}
	if (n > 0 && out[n - 1] == ' ')
		n--;

	/* step 5: strip legal forms from the end while something remains */
	do
	{
		size_t		start;
		int			i;

		stripped = false;
		/* the last word */
		start = n;
		while (start > 0 && out[start - 1] != ' ')
			start--;
		if (start > 0 && crm_is_legal_word(out + start, n - start))
		{
			n = start - 1;		/* drop the word and the space before it */
			stripped = true;
			continue;
		}
		/* a Chinese ending, glued to the name */
		for (i = 0; crm_legal_cjk[i] != NULL; i++)
		{
			size_t		sl = strlen(crm_legal_cjk[i]);

			if (n >= sl && memcmp(out + n - sl, crm_legal_cjk[i], sl) == 0)
			{
				/* a name that is nothing but a legal form stays as it is */
				if (n == sl)
					break;
				n -= sl;
				while (n > 0 && out[n - 1] == ' ')
					n--;
				stripped = n > 0;
				break;
			}
		}
	} while (stripped && n > 0);
	out[n] = '\0';
	return n;
}

/*
 * Phone key: the digits (ASCII and full-width), a leading 00 or a leading
 * +-country code kept as digits; fewer than 6 digits is no usable key (0).
 */
static size_t
crm_normalize_phone_buf(const unsigned char *in, size_t len, char *out)
{
	size_t		pos = 0;
	size_t		n = 0;

	if (len > CRM_NAME_MAX)
		len = CRM_NAME_MAX;
	while (pos < len)
	{
		int32_t		cp;

		pos += crm_utf8_next(in + pos, len - pos, &cp);
		if (cp >= 0xFF10 && cp <= 0xFF19)
			cp -= 0xFEE0;
		if (cp >= '0' && cp <= '9')
			out[n++] = (char) cp;
	}
	out[n] = '\0';
	/* "00 86 ..." and "+86 ..." are the same number */
	if (n >= 2 && out[0] == '0' && out[1] == '0')
	{
		memmove(out, out + 2, n - 1);
		n -= 2;
	}
	if (n < 6)
	{
		out[0] = '\0';
		return 0;
	}
	return n;
}

/* Decode a NUL-free UTF-8 string into code points; returns their number. */
static int
crm_codepoints(const unsigned char *s, size_t len, int32_t *cps, int max)
{
	size_t		pos = 0;
	int			n = 0;

	while (pos < len && n < max)
	{
		int32_t		cp;

		pos += crm_utf8_next(s + pos, len - pos, &cp);
		if (cp >= 0)
			cps[n++] = cp;
	}
	return n;
}

/* the longest name compared, in code points; the rest is ignored */
#define CRM_JW_MAX 256

/* Jaro-Winkler similarity of two code point strings, in [0, 1]. */
static double
crm_jaro_winkler(const int32_t *a, int la, const int32_t *b, int lb)
{
	bool		ma[CRM_JW_MAX];
	bool		mb[CRM_JW_MAX];
	int			window;
	int			matches = 0;
	int			transpositions = 0;
	int			prefix = 0;
	int			i,
				j,
				k;
	double		jaro;

	if (la == 0 && lb == 0)
		return 1.0;
	if (la == 0 || lb == 0)
		return 0.0;
	window = (la > lb ? la : lb) / 2 - 1;
	if (window < 0)
		window = 0;
	memset(ma, 0, sizeof(bool) * la);
	memset(mb, 0, sizeof(bool) * lb);
	for (i = 0; i < la; i++)
	{
		int			lo = i - window > 0 ? i - window : 0;
		int			hi = i + window + 1 < lb ? i + window + 1 : lb;

		for (j = lo; j < hi; j++)
		{
			if (!mb[j] && a[i] == b[j])
			{
				ma[i] = mb[j] = true;
				matches++;
				break;
			}
		}
	}
	if (matches == 0)
		return 0.0;
	for (i = 0, k = 0; i < la; i++)
	{
		if (!ma[i])
			continue;
		while (!mb[k])
			k++;
		if (a[i] != b[k])
			transpositions++;
		k++;
	}
	jaro = ((double) matches / la + (double) matches / lb +
			(matches - transpositions / 2.0) / matches) / 3.0;
	while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix])
		prefix++;
	return jaro + prefix * 0.1 * (1.0 - jaro);
}

/*
 * Levenshtein similarity of two code point strings: 1 - d / max(la, lb), d
 * the edit distance (insertions, deletions, substitutions), in [0, 1].  One
 * row of the dynamic programme at a time: O(la * lb) time, O(lb) memory.
 */
static double
crm_levenshtein_similarity(const int32_t *a, int la, const int32_t *b, int lb)
{
	int			row[CRM_JW_MAX + 1];
	int			i,
				j;

	if (la == 0 && lb == 0)
		return 1.0;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++)
	{
		int			diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++)
		{
			int			up = row[j];
			int			best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return 1.0 - (double) row[lb] / (la > lb ? la : lb);
}

/* Similarity of two UTF-8 strings (already normalized): Levenshtein or Jaro-Winkler. */
static double
crm_similarity_buf(const unsigned char *a, size_t la, const unsigned char *b, size_t lb)
{
	int32_t		ca[CRM_JW_MAX];
	int32_t		cb[CRM_JW_MAX];
	int			na = crm_codepoints(a, la, ca, CRM_JW_MAX);
	int			nb = crm_codepoints(b, lb, cb, CRM_JW_MAX);

	return crm_levenshtein_similarity(ca, na, cb, nb);
}

static double
crm_jaro_winkler_buf(const unsigned char *a, size_t la, const unsigned char *b, size_t lb)
{
	int32_t		ca[CRM_JW_MAX];
	int32_t		cb[CRM_JW_MAX];
	int			na = crm_codepoints(a, la, ca, CRM_JW_MAX);
	int			nb = crm_codepoints(b, lb, cb, CRM_JW_MAX);

	return crm_jaro_winkler(ca, na, cb, nb);
}

#ifndef CRM_STANDALONE

PG_FUNCTION_INFO_V1(crm_normalize_name);
PG_FUNCTION_INFO_V1(crm_normalize_phone);
PG_FUNCTION_INFO_V1(crm_name_similarity);
PG_FUNCTION_INFO_V1(crm_jaro_winkler_sql);

/* The code assumes UTF-8; other server encodings are refused. */
static void
crm_require_utf8(void)
{
	if (GetDatabaseEncoding() != PG_UTF8)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("crm name normalization needs a UTF8 database, this one is %s",
						GetDatabaseEncodingName()),
				 errhint("Create the database with ENCODING 'UTF8'.")));
}

/* crm.normalize_name(text): the duplicate-detection key of a name */
Datum
crm_normalize_name(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(t);
	unsigned char *out;
	size_t		n;

	crm_require_utf8();
	if (len > CRM_NAME_MAX)
		len = CRM_NAME_MAX;
	out = palloc(4 * len + 1);
	n = crm_normalize_name_buf((const unsigned char *) VARDATA_ANY(t), len, out);
	PG_RETURN_TEXT_P(cstring_to_text_with_len((char *) out, n));
}

/* crm.normalize_phone(text): the digits of a phone number, NULL when < 6 */
Datum
crm_normalize_phone(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(t);
	char	   *out;
	size_t		n;

	crm_require_utf8();
	if (len > CRM_NAME_MAX)
		len = CRM_NAME_MAX;
	out = palloc(len + 1);
	n = crm_normalize_phone_buf((const unsigned char *) VARDATA_ANY(t), len, out);
	if (n == 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out, n));
}

/* crm.name_similarity(a, b): Levenshtein similarity of the normalized names */
Datum
crm_name_similarity(PG_FUNCTION_ARGS)
{
	text	   *a = PG_GETARG_TEXT_PP(0);
	text	   *b = PG_GETARG_TEXT_PP(1);
	bool		normalize_first = PG_GETARG_BOOL(2);
	size_t		la = VARSIZE_ANY_EXHDR(a);
	size_t		lb = VARSIZE_ANY_EXHDR(b);
	const unsigned char *pa = (const unsigned char *) VARDATA_ANY(a);
	const unsigned char *pb = (const unsigned char *) VARDATA_ANY(b);

	crm_require_utf8();
	if (la > CRM_NAME_MAX)
		la = CRM_NAME_MAX;
	if (lb > CRM_NAME_MAX)
		lb = CRM_NAME_MAX;
	if (normalize_first)
	{
		unsigned char *na = palloc(4 * la + 1);
		unsigned char *nb = palloc(4 * lb + 1);

		la = crm_normalize_name_buf(pa, la, na);
		lb = crm_normalize_name_buf(pb, lb, nb);
		pa = na;
		pb = nb;
	}
	PG_RETURN_FLOAT8(crm_similarity_buf(pa, la, pb, lb));
}

#endif							/* CRM_STANDALONE */

#ifndef CRM_STANDALONE
/* crm.jaro_winkler(a, b): Jaro-Winkler similarity of two strings as given */
Datum
crm_jaro_winkler_sql(PG_FUNCTION_ARGS)
{
	text	   *a = PG_GETARG_TEXT_PP(0);
	text	   *b = PG_GETARG_TEXT_PP(1);
	size_t		la = VARSIZE_ANY_EXHDR(a);
	size_t		lb = VARSIZE_ANY_EXHDR(b);

	crm_require_utf8();
	PG_RETURN_FLOAT8(crm_jaro_winkler_buf((const unsigned char *) VARDATA_ANY(a), la,
										  (const unsigned char *) VARDATA_ANY(b), lb));
}
#endif
