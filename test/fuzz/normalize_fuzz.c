/*
 * normalize_fuzz.c: libFuzzer harness for the parsing code of duplicates.c
 * (UTF-8 decoding, name normalization with legal-form stripping, phone
 * keys, Jaro-Winkler), compiled outside the server with CRM_STANDALONE.
 *
 *   bash scripts/fuzz.sh            (builds with clang -fsanitize=fuzzer,address,undefined)
 *
 * The input is split at the first 0xFF byte into two names (a and b).  Each
 * is normalized into a buffer sized exactly as the server wrapper sizes it,
 * with a guard region after it that must stay untouched; the result must be
 * valid UTF-8 without control characters, double or edge spaces, must not
 * grow, and normalizing twice must give the same key (idempotence); the
 * similarities (Levenshtein, Jaro-Winkler) must lie in [0, 1] and be 1 for
 * equal strings, Levenshtein exactly symmetric.  Any violation aborts, which libFuzzer reports as a crash.
 *
 * Further parsers (a model type's text input, say) get a harness of their
 * own beside this one and a line in scripts/fuzz.sh.
 */
#define CRM_STANDALONE
#include "../../src/duplicates.c"

#include <stdlib.h>
#include <math.h>

#define GUARD 64

static void
check(bool ok)
{
	if (!ok)
		abort();
}

/* a well-formed UTF-8 string of code points >= U+0020 */
static bool
valid_key(const unsigned char *s, size_t n)
{
	size_t		pos = 0;

	while (pos < n)
	{
		int32_t		cp;
		int			k = crm_utf8_next(s + pos, n - pos, &cp);

		if (cp < 0x20)
			return false;
		pos += k;
	}
	return true;
}

static size_t
normalize_checked(const unsigned char *in, size_t len, unsigned char **result)
{
	size_t		cut = len > CRM_NAME_MAX ? CRM_NAME_MAX : len;
	size_t		size = 4 * cut + 1;
	unsigned char *out = malloc(size + GUARD);
	size_t		n,
				i;

	memset(out + size, 0xA5, GUARD);
	n = crm_normalize_name_buf(in, len, out);
	for (i = 0; i < GUARD; i++)
		check(out[size + i] == 0xA5);
	check(n <= cut);
	check(out[n] == '\0');
	check(valid_key(out, n));
	check(n == 0 || (out[0] != ' ' && out[n - 1] != ' '));
	for (i = 1; i < n; i++)
		check(!(out[i] == ' ' && out[i - 1] == ' '));
	*result = out;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *sep = memchr(data, 0xFF, size);
	size_t		la = sep ? (size_t) (sep - data) : size;
	const unsigned char *b = sep ? sep + 1 : data;
	size_t		lb = sep ? size - la - 1 : size;
	unsigned char *na,
			   *nb,
			   *again;
	size_t		ka,
				kb,
				k2;
	char	   *phone;
	double		s1,
				s2;

	ka = normalize_checked(data, la, &na);
	kb = normalize_checked(b, lb, &nb);

	/* normalizing a key again changes nothing */
	k2 = normalize_checked(na, ka, &again);
	check(k2 == ka && memcmp(again, na, ka) == 0);
	free(again);

	/* phone key: digits only, at most as long as the input */
	phone = malloc((la > CRM_NAME_MAX ? CRM_NAME_MAX : la) + 1);
	k2 = crm_normalize_phone_buf(data, la, phone);
	check(k2 == 0 || k2 >= 6);
	check(phone[k2] == '\0');
	for (size_t i = 0; i < k2; i++)
		check(phone[i] >= '0' && phone[i] <= '9');
	free(phone);

	/* similarity */
	s1 = crm_similarity_buf(na, ka, nb, kb);
	s2 = crm_similarity_buf(nb, kb, na, ka);
	check(s1 >= 0.0 && s1 <= 1.0 + 1e-12 && !isnan(s1));
	check(s1 == s2);			/* edit distance is symmetric */
	check(crm_similarity_buf(na, ka, na, ka) == 1.0);
	s1 = crm_jaro_winkler_buf(na, ka, nb, kb);
	check(s1 >= 0.0 && s1 <= 1.0 + 1e-12 && !isnan(s1));
	check(crm_jaro_winkler_buf(na, ka, na, ka) == 1.0);
	/* raw bytes too (the server passes unnormalized text when asked) */
	s1 = crm_similarity_buf(data, la, b, lb);
	check(s1 >= 0.0 && s1 <= 1.0 + 1e-12);

	free(na);
	free(nb);
	return 0;
}
