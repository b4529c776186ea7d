# bash completion (contrib/completion/cstore.bash): one file under each
# installed tool's name, where bash-completion looks for it on first use.
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
COMPLETION_SRC = contrib/completion/cstore.bash
install: install-completion
uninstall: uninstall-completion
install-completion:
	install -d $(DESTDIR)$(BASHCOMPDIR)
	$(foreach t,$(TOOLS),install -m 0644 $(COMPLETION_SRC) $(DESTDIR)$(BASHCOMPDIR)/$(call inst_name,$(t)) &&) true
uninstall-completion:
	rm -f $(foreach t,$(TOOLS),$(DESTDIR)$(BASHCOMPDIR)/$(call inst_name,$(t)))
.PHONY: install-completion uninstall-completion
