#!/usr/bin/env bash
# Exchange with scikit-learn (run by scripts/test.sh; prints TAP): train a
# DecisionTreeClassifier (max_depth 5) on mlc_churn (../shared/data; on
# generated data of the same shape when the file is absent), convert it with
# scripts/sklearn_to_crm_tree.py, import the JSON as crm.tree, and check on
# every row that crm.tree_predict and crm.tree_score give scikit-learn's
# predict and predict_proba, that crm.tree_importance gives its
# feature_importances_, and that the crm.tree_to_sql CASE expression agrees.
# Expects PGHOST, PGPORT, PGUSER of a running cluster with crm installed in
# its library; needs /usr/bin/python3 with python3-sklearn.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data=$root/../shared/data/mlc_churn.csv
work=$(mktemp -d "${TMPDIR:-/tmp}/crm-sklearn.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"; dropdb --if-exists crm_sklearn >/dev/null 2>&1 || true' EXIT
q() { psql -X -q -v ON_ERROR_STOP=1 -d crm_sklearn "$@"; }

echo "1..5"
dropdb --if-exists crm_sklearn >/dev/null 2>&1 || true
createdb crm_sklearn
q -c 'CREATE EXTENSION crm'
q <<'SQL'
CREATE TABLE churn_raw (state text, account_length integer, area_code text, international_plan text,
	voice_mail_plan text, number_vmail_messages integer, total_day_minutes float8, total_day_calls integer,
	total_day_charge float8, total_eve_minutes float8, total_eve_calls integer, total_eve_charge float8,
	total_night_minutes float8, total_night_calls integer, total_night_charge float8, total_intl_minutes float8,
	total_intl_calls integer, total_intl_charge float8, number_customer_service_calls integer, churn text);
SQL
if [ -f "$data" ]; then
	q -c "\\copy churn_raw FROM '$data' CSV HEADER"
	echo "# data: $data"
else
	# the same columns, generated: churn follows day minutes, service calls and the plan
	q <<'SQL'
INSERT INTO churn_raw
SELECT 'XX', 1 + g % 200, 'area_code_415', CASE WHEN g % 10 = 0 THEN 'yes' ELSE 'no' END,
	   CASE WHEN g % 4 = 0 THEN 'yes' ELSE 'no' END, (g * 7) % 50, ((g * 7919) % 3500) / 10.0, (g * 13) % 160,
	   0, ((g * 104729) % 3600) / 10.0, (g * 17) % 170, 0, ((g * 1299709) % 3900) / 10.0, (g * 19) % 175, 0,
	   ((g * 15485863) % 200) / 10.0, g % 20, 0, (g * 31) % 9,
	   CASE WHEN ((g * 7919) % 3500) > 2700 OR (g * 31) % 9 >= 4 OR (g % 10 = 0 AND ((g * 15485863) % 200) > 130)
			THEN 'yes' ELSE 'no' END
  FROM generate_series(0::bigint, 4999) g;
SQL
	echo "# data: generated (the mlc_churn file $data is absent)"
fi
q <<'SQL'
CREATE TABLE churn AS
SELECT row_number() OVER () - 1 AS i, account_length, (international_plan = 'yes')::integer AS international_plan,
	   (voice_mail_plan = 'yes')::integer AS voice_mail_plan, number_vmail_messages, total_day_minutes,
	   total_day_calls, total_eve_minutes, total_eve_calls, total_night_minutes, total_night_calls,
	   total_intl_minutes, total_intl_calls, number_customer_service_calls, churn
  FROM churn_raw;
SQL
q -c "\\copy churn TO '$work/rows.csv' CSV HEADER"
/usr/bin/python3 "$root/test/sklearn_exchange.py" "$work/rows.csv" "$work/model.json" "$work/pred.csv" "$work/imp.csv"

model=$(cat "$work/model.json")
if echo "CREATE TABLE m AS SELECT :'model'::crm.tree AS m;" | q -v model="$model" 2>"$work/err"; then
	echo "ok 1 - scikit-learn tree imported as crm.tree ($(q -At -c "SELECT crm.tree_info(m)->>'nodes' FROM m") nodes)"
else
	echo "not ok 1 - scikit-learn tree rejected: $(cat "$work/err")"
	exit 1
fi
q <<SQL
CREATE TABLE sk (i bigint, predicted text, probability float8);
\\copy sk FROM '$work/pred.csv' CSV
CREATE TABLE sk_importance (feature text, importance float8);
\\copy sk_importance FROM '$work/imp.csv' CSV
SQL

tap() {
	local n=$1 what=$2 sql=$3 result
	result=$(q -At -c "$sql")
	if [ "${result%%|*}" = t ]; then
		echo "ok $n - $what (${result#*|})"
	else
		echo "not ok $n - $what (${result#*|})"
	fi
}
tap 2 "crm.tree_predict = scikit-learn predict on every row" \
	"SELECT count(*) FILTER (WHERE crm.tree_predict(m, c) IS DISTINCT FROM s.predicted) = 0 AND count(*) = (SELECT count(*) FROM churn),
			count(*) || ' rows, ' || count(*) FILTER (WHERE crm.tree_predict(m, c) IS DISTINCT FROM s.predicted) || ' differ'
	   FROM churn c JOIN sk s USING (i), m"
tap 3 "crm.tree_score = scikit-learn predict_proba on every row" \
	"SELECT count(*) FILTER (WHERE crm.tree_score(m, c) IS DISTINCT FROM s.probability) = 0,
			count(*) || ' rows, ' || count(*) FILTER (WHERE crm.tree_score(m, c) IS DISTINCT FROM s.probability) || ' differ; holdout AUC '
			|| round(crm.auc(crm.tree_score(m, c), c.churn = 'yes') FILTER (WHERE c.i % 10 >= 7)::numeric, 4)
	   FROM churn c JOIN sk s USING (i), m"
tap 4 "crm.tree_importance = scikit-learn feature_importances_" \
	"SELECT coalesce(max(abs(t.importance - s.importance)), 1) < 1e-12 AND count(*) = (SELECT count(*) FROM sk_importance),
			'largest difference ' || coalesce(max(abs(t.importance - s.importance)), 1)
	   FROM m, crm.tree_importance(m) t JOIN sk_importance s USING (feature)"
case_sql=$(q -At -c "SELECT crm.tree_to_sql(m, 'c') FROM m")
tap 5 "crm.tree_to_sql CASE expression = crm.tree_score on every row" \
	"SELECT count(*) FILTER (WHERE ($case_sql) IS DISTINCT FROM crm.tree_score(m, c)) = 0,
			count(*) || ' rows, ' || count(*) FILTER (WHERE ($case_sql) IS DISTINCT FROM crm.tree_score(m, c)) || ' differ'
	   FROM churn c, m"
