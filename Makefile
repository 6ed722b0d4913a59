# crm: PostgreSQL extension for customer relationship analytics (PGXS build)
#
#   make && make install     build and install into the PostgreSQL of pg_config
#   make installcheck        pg_regress suite (sql/, expected/) and isolation
#                            specs (test/specs/, test/expected/) against a running server
#   make demo / make test    the README's two commands: see scripts/
#
# Each capability is one C file in src/ plus the SQL that declares it; the
# extension script crm--$(EXTVERSION).sql is those SQL files concatenated in
# the order of SQL_SOURCES.

EXTENSION = crm
EXTVERSION = 1.1

MODULE_big = crm
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

SQL_SOURCES = src/schema.sql src/states.sql src/purchase_stats.sql src/value.sql src/grades.sql src/clv.sql src/clv_checks.sql src/tree.sql src/key_accounts.sql src/market_segments.sql src/funnel.sql src/quotas.sql src/campaigns.sql src/contracts.sql src/audit.sql src/duplicates.sql src/import.sql src/assessment.sql src/pipeline.sql src/deal_score.sql src/forecast.sql src/security.sql src/distribute.sql src/demo.sql src/roles.sql
DATA_built = crm--$(EXTVERSION).sql
# released versions, frozen (releases/crm--V.sql), and the update scripts
# from each (releases/crm--A--B.sql): installed beside the current version
# so that ALTER EXTENSION crm UPDATE finds its path (test/upgrade.sh)
DATA = $(filter-out releases/crm--$(EXTVERSION).sql,$(wildcard releases/crm--*.sql))

REGRESS = setup customers opportunities approvals campaigns contracts pipeline keys purchase_stats value grades clv clv_checks clv_uncertainty clv_p_purchases clv_net clv_compare clv_accuracy paretonbd mbgnbd sbg contract_retention bgbb tree tree_errors key_accounts funnel pipeline_changes deal_score forecast quotas campaign_effectiveness contract_views aggregate_states hashagg_memory audit security access duplicates import assessment finite_values injection random_input hostile_schema upgrade distribute demo_data
# the CDNOW reference test needs the shared data beside the repository
CDNOW_DATA = ../shared/data/cdnow_sample.csv
REGRESS += $(if $(wildcard $(CDNOW_DATA)),cdnow clv_cdnow)
# the sBG reference test needs Fader & Hardie's retention data
RETENTION_DATA = ../shared/data/retention.csv
REGRESS += $(if $(wildcard $(RETENTION_DATA)),sbg_retention)
# the BG/BB reference test needs the donations data
DONATIONS_DATA = ../shared/data/donations.csv
REGRESS += $(if $(wildcard $(DONATIONS_DATA)),bgbb_donations)
# the churn holdout test needs the mlc_churn data beside the repository
CHURN_DATA = ../shared/data/mlc_churn.csv
REGRESS += $(if $(wildcard $(CHURN_DATA)),tree_churn)
REGRESS_OPTS = --inputdir=. --load-extension=crm
ISOLATION = contacts_cycle refresh_grades
ISOLATION_OPTS = --inputdir=test --load-extension=crm

PG_CFLAGS = -Werror -Wall -Wmissing-prototypes
EXTRA_CLEAN = crm--$(EXTVERSION).sql

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

crm--$(EXTVERSION).sql: $(SQL_SOURCES) Makefile
	{ printf '%s\n' '-- crm $(EXTVERSION): generated from $(SQL_SOURCES); edit those files' \
	    '\echo Use "CREATE EXTENSION crm" to load this file. \quit'; \
	  cat $(SQL_SOURCES); } > $@

.PHONY: demo test bench bench-versions deb
demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

bench:
	bash bench/run.sh

# the Debian package, built and tested in clean root file systems
deb:
	bash scripts/package.sh

# the main ratios on PostgreSQL 15 and 18 side by side (bench/versions.sh)
bench-versions:
	bash bench/versions.sh
