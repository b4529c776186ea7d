# tables.mk - the registry tables of lib/core, generated from data/*.tsv by
# scripts/gen-tables and committed; scripts/check-tables (run by make
# check) fails when they differ from what the generator makes.
TABLES_C = lib/core/sopclass_table.c lib/core/status_table.c lib/core/uid_table.c \
	lib/core/ts_table.c lib/core/ts_uids.h lib/core/element_table.c
GENERATED += $(filter %.c,$(TABLES_C))

# One run writes them all; the generator leaves unchanged files alone.
$(TABLES_C) &: data/sopclasses.tsv data/dimse-status.tsv data/uids.tsv \
		data/transfer-syntaxes.tsv data/elements.tsv scripts/gen-tables
	$(QUIET_GEN)scripts/gen-tables lib/core && touch $(TABLES_C)

tables: $(TABLES_C)
.PHONY: tables
