# The workbook's build: `make help` lists the targets.
#
# chapters/NN-slug.nw --tangle--> build/tangle/NN-slug/{*.c,*.sh,Makefile}
#                                   --cc--> build/bin/*
#                                   --experiment.sh--> build/results/NN-slug/
#                                   --copy--> tangle/NN-slug/ (the student's)
#                     --weave---> build/chapters/NN-slug.tex
# book/workbook.tex + all of the above --latexmk--> build/workbook.pdf

SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SUFFIXES:

CC = cc
CFLAGS = -std=c11 -Wall -Wextra -Wpedantic -Werror -O2 -g
SPARC_CC = sparc64-linux-gnu-gcc
I386_CC = i686-linux-gnu-gcc
# The sanitized builds the integration tests run a second time (make test):
# AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer, by
# gcc into build/bin-asan/ and by clang into build/bin-asan-clang/. -O1: the
# reports keep their line numbers, and the programs stay fast enough.
SANITIZE_CFLAGS = -std=c11 -Wall -Wextra -Wpedantic -Werror -O1 -g \
                  -fsanitize=address,undefined -fno-omit-frame-pointer
SANITIZERS := asan:gcc asan-clang:clang
# Set RECORDED=1 to show the recorded reference runs instead of running
# the experiments that need root, network namespaces or qemu.
RECORDED ?= 0
export RECORDED

# Quiet by default: one line per step; V=1 shows the commands.
V ?= 0
ifeq ($(V),1)
Q :=
step :=
else
Q := @
step = @printf '  %-7s %s\n' '$(1)' '$(2)';
endif

CHAPTERS := $(sort $(basename $(notdir $(wildcard chapters/*.nw))))
CHAPTER_FILES := $(CHAPTERS:%=chapters/%.nw)
# The build manual (build/construcao.pdf): manual/NN-slug.nw holds chapter
# NN-slug's experiment script, Makefile and their parts, which tangle into
# that chapter; the rest of manual/ is how the book is built.
MANUAL := $(sort $(basename $(notdir $(wildcard manual/*.nw))))
MANUAL_FILES := $(MANUAL:%=manual/%.nw)
# Defined before the targets: a prerequisite list is expanded when make
# reads the rule, so `test: $(TEST_BINARIES)` needs the value by then.
TEST_SOURCES := $(wildcard tests/*.c)
TEST_BINARIES := $(TEST_SOURCES:tests/%.c=build/tests/%)
# The tests that run the book's programs on 127.0.0.1, and nothing else:
# make test runs them again with each sanitized build. (test-lab needs
# root, namespaces and qemu, and runs the programs of build/bin there.)
INTEGRATION_TESTS := $(patsubst %,build/tests/test-%,revisao fronteiras bad-input portas binarios concorrente projetos)
# Under valgrind (some 20 times slower) make test runs one of them, chapter
# 2's client and server (4 s); make valgrind runs them all (2 minutes).
VALGRIND_TESTS := build/tests/test-fronteiras
# The libFuzzer harnesses (tests/fuzz/fuzz-TARGET.c, into build/fuzz/TARGET)
# need clang's fuzzer runtime. For the goals that use them, FUZZ_MISSING
# says why clang cannot link a fuzzer (empty when it can); then they are
# not built, make test skips them saying so, and make fuzz fails.
FUZZ_CC = clang
FUZZ_CFLAGS = -std=c11 -Wall -Wextra -Wpedantic -Werror -Wno-misleading-indentation -O1 -g \
              -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz-%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
ifneq ($(filter test check fuzz build/fuzz/%,$(MAKECMDGOALS)),)
FUZZ_MISSING := $(shell FUZZ_CC=$(FUZZ_CC) tests/fuzz/run-fuzzers --missing)
FUZZERS := $(if $(FUZZ_MISSING),,$(FUZZ_TARGETS:%=build/fuzz/%))
endif
# What each step needs installed (tools/install-deps GROUP): noweb and cc
# to tangle and compile, ss (iproute2) for the chapters' experiments, TeX
# Live and friends for the book and the tests (clang too, for the
# sanitized builds and the fuzzers), the lab's packages (optional: without
# them the lab shows its recorded run). Without root, a step whose
# packages are missing stops with one line: the apt-get line to run.
DEPS_TANGLE := build/stamps/deps-tangle
DEPS_EXPERIMENTS := build/stamps/deps-experiments
DEPS_BOOK := build/stamps/deps-book
DEPS_LAB := build/stamps/deps-lab
TOOLS := build/tools/nwpandoc

# Each chapter's tangled Makefile says which programs and scripts it has;
# build/mk/NN-slug.mk carries that into this build. Making those files
# installs the packages and tangles first, so `help` and `clean` skip it.
NO_BUILD_GOALS := help clean distclean deps bench tangle fresh-check
# Without solutions/, the goals that need them say so before building anything.
NO_BUILD_GOALS += $(if $(wildcard solutions/*.nw),,instructor solutions grade bench-grade)
ifneq ($(filter-out $(NO_BUILD_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(CHAPTERS:%=build/mk/%.mk)
endif
# The SPARC builds need the cross compiler, one of the lab's packages;
# without it the lab shows its recorded run. build/mk/*.mk wait for the
# lab's packages, so after make reads them again this sees the compiler.
HAVE_SPARC_CC := $(shell command -v $(SPARC_CC) 2>/dev/null)
# The same for the 32-bit x86 builds (chapter 4 shows its ABI beside x86-64's).
HAVE_I386_CC := $(shell command -v $(I386_CC) 2>/dev/null)
ALL_PROGRAMS = $(NATIVE_PROGRAMS) $(if $(HAVE_SPARC_CC),$(SPARC_BINARIES)) \
    $(if $(HAVE_I386_CC),$(I386_BINARIES))
# build/bin-asan/serv-32kb ...: every native program, once per sanitizer.
SANITIZED_PROGRAMS = $(foreach s,$(SANITIZERS),$(NATIVE_PROGRAMS:build/bin/%=build/bin-$(firstword $(subst :, ,$(s)))/%))

# build/bin-valgrind/NAME: a script that runs build/bin/NAME under memcheck
# (tools/experiments/valgrind-wrap).
VALGRIND_PROGRAMS = $(NATIVE_PROGRAMS:build/bin/%=build/bin-valgrind/%)

# make lint's reports, build/lint/FILE.TOOL: each C file the build
# compiles, by each tool (see "lint" below), and testlib.h's layout.
LINT_PROGRAMS = $(foreach c,$(CHAPTERS),$(PROGRAMS_$(c):%=build/tangle/$(c)/%.c))
# The grader's tests count as tests; its wrong variants (wrong on
# purpose) are only laid out.
GRADE_TESTS = $(wildcard tests/grade/*/test.c)
LINT_C = $(LINT_PROGRAMS) $(wildcard tools/*/*.c) $(TEST_SOURCES) $(GRADE_TESTS)
LINT_REPORTS = $(foreach t,cppcheck clang-tidy clang-format,$(LINT_C:%=build/lint/%.$(t))) \
               build/lint/tests/testlib.h.clang-format \
               $(patsubst %,build/lint/%.clang-format,$(wildcard tests/fuzz/*.[ch])) \
               $(patsubst %,build/lint/%.clang-format,tests/grade/grade.h $(wildcard solutions/wrong/*/*.c))

# ---------------------------------------------------------------- targets

.PHONY: all tangle programs sanitized valgrind lint coverage fuzz experiments pdf html dist test check bench deps fresh-check help clean distclean

all: pdf html ## Install what is missing, tangle, build, run the experiments, write build/workbook.pdf and build/html/

tangle: $(CHAPTERS:%=build/stamps/%.tangled) ## Write tangle/NN-slug/ (programs, scripts, a Makefile per chapter); keeps files you changed (FORCE=1 overwrites them)
	@:

programs: $(ALL_PROGRAMS) ## Build every program into build/bin/

experiments: $(CHAPTERS_WITH_EXPERIMENTS:%=build/results/%/.done) ## Run the chapters' experiments into build/results/

pdf: build/workbook.pdf build/construcao.pdf ## Weave and typeset the book, build/workbook.pdf, and the build manual, build/construcao.pdf

html: build/html/index.html ## The HTML edition, build/html/ (open build/html/index.html in a browser)

test: all $(TEST_BINARIES) $(SANITIZED_PROGRAMS) $(VALGRIND_PROGRAMS) $(FUZZERS) ## Run every test, the integration tests also with the sanitized builds; the last line says "N passed, N failed"
	$(Q)FUZZ_MISSING='$(FUZZ_MISSING)' tests/run $(TEST_BINARIES) tests/fuzz/run-fuzzers $(HTML_TESTS) \
	    $(foreach s,$(SANITIZERS),WORKBOOK_BIN=build/bin-$(firstword $(subst :, ,$(s))) $(INTEGRATION_TESTS)) \
	    WORKBOOK_BIN=build/bin-valgrind $(VALGRIND_TESTS)

valgrind: all $(INTEGRATION_TESTS) $(VALGRIND_PROGRAMS) ## Run the integration tests with every program under valgrind memcheck
	$(Q)tests/run WORKBOOK_BIN=build/bin-valgrind $(INTEGRATION_TESTS)

# cppcheck, clang-tidy (.clang-tidy says which checks, and why) and
# clang-format (.clang-format) on every C file the build compiles, by
# tools/lint: see "lint" below.
lint: $(LINT_REPORTS) ## Run cppcheck, clang-tidy and clang-format --dry-run on the programs (build/tangle/*/*.c), tools/*/*.c, tests/*.c (-j2: two at once)
	$(Q)found=0; for report in $^; do \
	    if [ -s $$report ]; then cat $$report; found=$$((found + 1)); fi; \
	done; \
	if [ $$found -gt 0 ]; then \
	    echo "make lint: findings in $$found of the $(words $^) reports (build/lint/)" >&2; exit 1; \
	fi
	$(call step,LINT,clean: $(words $(LINT_C)) files)

# make coverage runs the unit tests, built again with --coverage (each with
# its --wrap flags), the integration tests and test-robustez, whose
# programs are those of build/coverage/bin.
UNIT_NAMES = $(patsubst tests/unit-%.c,%,$(wildcard tests/unit-*.c))
COVERAGE_TESTS = $(INTEGRATION_TESTS) build/tests/test-robustez
coverage: all $(COVERAGE_TESTS) | $(DEPS_BOOK) ## Line and branch coverage (gcov, lcov) of the programs and nwpandoc; ends with the programs' "lines: NN.N%"
	$(call step,COVER,build/coverage/)
	$(Q)tools/coverage $(foreach u,$(UNIT_NAMES),--unit $(u) '$(or $(UNIT_WRAPS_$(u)),$(UNIT_WRAPS))') \
	    $(COVERAGE_TESTS)

fuzz: $(FUZZERS) | $(DEPS_BOOK) ## Fuzz each harness of tests/fuzz/ FUZZ_SECONDS (60) s; prints the inputs run; fails on a crash, kept in build/fuzz/crashes/
	$(Q)FUZZ_MISSING='$(FUZZ_MISSING)' tests/fuzz/run-fuzzers -t $(FUZZ_SECONDS)

sanitized: $(SANITIZED_PROGRAMS) ## Build every program with ASan+UBSan into build/bin-asan/ (gcc) and build/bin-asan-clang/

check: test ## The same as test

bench: ## Time the build (clean, clean -j2 with the same results, no-op, tangle, one chapter touched)
	$(Q)tests/bench

deps: ## Install the missing Debian packages (apt-get; needs root)
	$(Q)tools/install-deps
	@mkdir -p build/stamps && touch $(DEPS_TANGLE) $(DEPS_EXPERIMENTS) $(DEPS_BOOK) $(DEPS_LAB)

# The README's quick start on a fresh machine: tools/fresh-debian makes a
# minimal Debian bookworm (debootstrap minbase, apt without recommends,
# only gcc, make and git), clones HEAD into it and runs make and make
# test as root; --user first checks, as a user who is not root, that make
# tangle and the programs work with noweb and cc alone and that every
# other target says in one line what to install. Needs root, debootstrap
# and the Debian mirror; about an hour (the chroot is kept in /var/tmp).
fresh-check: ## As root: make and make test in a fresh minimal Debian chroot, and the targets as a user who is not root (tools/fresh-debian; an hour)
	$(Q)tools/fresh-debian --user && tools/fresh-debian

help: ## List the targets
	@echo "Targets (V=1 shows full commands; RECORDED=1 uses the recorded lab runs):"
	@awk -F':.*## ' '/^[a-z][a-z-]*:.*## / { printf "  %-12s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

clean: ## Remove build/ and tangle/
	rm -rf build tangle

distclean: clean

# ------------------------------------------------------------- the tools

$(DEPS_TANGLE) $(DEPS_EXPERIMENTS) $(DEPS_BOOK) $(DEPS_LAB): build/stamps/deps-%: tools/install-deps
	$(Q)tools/install-deps $*
	@mkdir -p $(@D) && touch $@

# A static pattern rule: its targets are explicit, so make never takes
# them for intermediate files and deletes them after use.
$(TOOLS): build/tools/%: tools/weave/%.c | $(DEPS_TANGLE)
	$(call step,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $<

# ---------------------------------------------------------- per chapter

# A chapter is tangled into the build's own copy, build/tangle/NN-slug/,
# which everything the build and its checks read (the experiments, make
# lint, the tests, the fuzzers), and build/nwline/NN-slug/, which it
# compiles; tools/tangle/tangle-copy then copies it into the student's
# tangle/NN-slug/. A file the student changed there (the exercises ask for
# it) is kept, and named, on every make; FORCE=1 overwrites it.
# A chapter's programs may use chunks of any chapter, so every chapter is
# tangled again when any .nw changes; cpif keeps the mtime of each file
# whose text did not change, so only the programs that did are compiled.
# FORCE: tools/tangle/tangle-stale also looks for files of build/tangle/ deleted
# or edited by hand, which it writes again, and tools/tangle/tangle-copy for the
# student's. When make reads this Makefile again, after it remade
# build/mk/*.mk (MAKE_RESTARTS), the first reading has copied and named
# the kept files: -q does not name them twice.
FORCE ?= 0
ifneq ($(filter-out 0 1,$(FORCE)),)
$(error FORCE=$(FORCE): expected FORCE=1 (overwrite the files you changed in tangle/) or 0)
endif
TANGLE_TOOLS := tools/tangle/tangle tools/tangle/nwcheck tools/tangle/nwlocal
build/stamps/%.tangled: FORCE | $(DEPS_TANGLE)
	$(Q)if tools/tangle/tangle-stale $@ build/tangle/$* $(CHAPTER_FILES) $(MANUAL_FILES) $(TANGLE_TOOLS); then \
	    $(if $(Q),printf '  %-7s %s\n' TANGLE chapters/$*.nw;) \
	    tools/tangle/tangle $(addprefix -w ,$(filter-out chapters/$*.nw,$(CHAPTER_FILES))) \
	        chapters/$*.nw build/tangle/$* build/nwline/$* && \
	    mkdir -p $(@D) && touch $@; fi
	$(Q)tools/tangle/tangle-copy $(if $(filter 1,$(FORCE)),-f) $(if $(MAKE_RESTARTS),-q) build/tangle/$* tangle/$*

build/mk/%.mk: build/stamps/%.tangled tools/tangle/chapter-mk | $(DEPS_LAB)
	@mkdir -p $(@D)
	$(Q)tools/tangle/chapter-mk $* > $@.tmp && mv $@.tmp $@

# The whole book is woven at once (cross-references span chapters) into
# build/chapters/NN-slug.tex and the index data build/chapters/index.tex.
# It reads the tangled programs: Ctags finds the C definitions there.
WEAVE_TOOLS := tools/weave/weave tools/weave/nwtabs tools/weave/nwapart tools/weave/nwsolutions tools/weave/cdefs tools/weave/cuses tools/weave/selfuses $(TOOLS)
build/stamps/woven: $(CHAPTER_FILES) $(WEAVE_TOOLS) $(CHAPTERS:%=build/stamps/%.tangled) | $(DEPS_BOOK)
	$(call step,WEAVE,chapters/*.nw)
	$(Q)tools/weave/weave build/chapters build/tools/nwpandoc build/nwline $(CHAPTER_FILES)
	@mkdir -p $(@D) && touch $@

# One rule set per chapter, from the variables build/mk/NN-slug.mk defines.
define chapter_rules
$(foreach p,$(PROGRAMS_$(1)),build/tangle/$(1)/$(p).c build/nwline/$(1)/$(p).c) $(foreach s,$(SCRIPTS_$(1)) $(DATA_$(1)),build/tangle/$(1)/$(s)): build/stamps/$(1).tangled ;

# Programs are compiled from the #line copies, so errors name the .nw
# line and tools/tangle/compile adds the chunk; build/tangle/ holds the same code.
# LDLIBS_NN-slug is the chapter Makefile's LDLIBS (-pthread, for chapter 6's threads).
$(foreach p,$(PROGRAMS_$(1)),build/bin/$(p)): build/bin/%: build/nwline/$(1)/%.c tools/tangle/compile
	$$(call step,CC,$$@)
	$(Q)tools/tangle/compile $$(CC) $$(CFLAGS) -o $$@ $$< $(LDLIBS_$(1))

# An experiment may run any chapter's programs (the lab appendix runs
# chapter 2's), so it waits for all of them; it runs again when RECORDED
# changes, and when a recorded reference run (chapters/recorded/) does.
build/results/$(1)/.done: $$(ALL_PROGRAMS) \
                          $(foreach s,$(SCRIPTS_$(1)) $(DATA_$(1)),build/tangle/$(1)/$(s)) \
                          $(wildcard chapters/recorded/$(1)/*) \
                          build/stamps/recorded-$(RECORDED) \
                          tools/weave/results-tex tools/weave/tsv2tex | $(DEPS_EXPERIMENTS)
	$$(call step,RUN,build/tangle/$(1)/experiment.sh)
	$(Q)tools/experiments/run-experiment $(1)
endef
$(foreach c,$(CHAPTERS),$(eval $(call chapter_rules,$(c))))

# The sanitized builds, from the same #line copies (see SANITIZERS):
# sanitized_rule CHAPTER,NAME,COMPILER writes build/bin-NAME/PROGRAM for
# each of the chapter's programs, with $(SANITIZE_CFLAGS).
define sanitized_rule
$(foreach p,$(PROGRAMS_$(1)),build/bin-$(2)/$(p)): build/bin-$(2)/%: build/nwline/$(1)/%.c tools/tangle/compile | $(DEPS_BOOK)
	$$(call step,CC,$$@)
	$(Q)tools/tangle/compile $(3) $$(SANITIZE_CFLAGS) -o $$@ $$< $(LDLIBS_$(1))
endef
$(foreach c,$(CHAPTERS),$(foreach s,$(SANITIZERS),$(eval $(call sanitized_rule,$(c),$(firstword $(subst :, ,$(s))),$(lastword $(subst :, ,$(s)))))))

$(VALGRIND_PROGRAMS): build/bin-valgrind/%: build/bin/% tools/experiments/valgrind-wrap
	@mkdir -p $(@D)
	$(Q)printf '#!/bin/sh\nexec %s %s "$$@"\n' $(CURDIR)/tools/experiments/valgrind-wrap $(CURDIR)/$< > $@ && \
	    chmod +x $@

# SPARC builds (static, for qemu-sparc64) of program $(2) of chapter $(1):
# a chapter's own SPARC_PROGRAMS, and its SPARC_FROM = CHAPTER:PROGRAM...,
# another chapter's programs (the lab appendix runs chapter 2's). A
# program is still defined once, in its own chapter.
define sparc_rule
build/bin/sparc64/$(2): build/nwline/$(1)/$(2).c tools/tangle/compile
	$$(call step,CC-SPARC,$$@)
	$(Q)tools/tangle/compile $$(SPARC_CC) $$(CFLAGS) -static -o $$@ $$<
endef
$(foreach c,$(CHAPTERS),$(foreach p,$(SPARC_PROGRAMS_$(c)),$(eval $(call sparc_rule,$(c),$(p)))))
$(foreach c,$(CHAPTERS),$(foreach e,$(SPARC_FROM_$(c)),$(eval $(call sparc_rule,$(firstword $(subst :, ,$(e))),$(lastword $(subst :, ,$(e)))))))

# 32-bit x86 builds (static, for qemu-i386) of a chapter's I386_PROGRAMS.
define i386_rule
build/bin/i386/$(2): build/nwline/$(1)/$(2).c tools/tangle/compile
	$$(call step,CC-I386,$$@)
	$(Q)tools/tangle/compile $$(I386_CC) $$(CFLAGS) -static -o $$@ $$<
endef
$(foreach c,$(CHAPTERS),$(foreach p,$(I386_PROGRAMS_$(c)),$(eval $(call i386_rule,$(c),$(p)))))

# ------------------------------------------------------------------ book

BOOK_SOURCES := $(wildcard book/*.tex book/*.sty book/*.ist figures/*.tex)
WOVEN := build/stamps/woven
SEED_LISTINGS := $(wildcard chapters/seed/listing-*.txt)

# The list of chapters for the master document; rewritten only when it
# changes, so adding a chapter re-typesets and nothing else does.
build/tex/chapters.tex: FORCE
	@mkdir -p $(@D)
	$(Q)tools/weave/chapter-list $(CHAPTERS) > $@.tmp && \
	    if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

build/tex/revision.tex: FORCE
	@mkdir -p $(@D)
	$(Q)echo "\def\workbookrevision{$$(git describe --always --dirty 2>/dev/null || echo 'fora do git')}" > $@.tmp && \
	    if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

# The seed report's listing captions (chapters/seed/), for \seedlisting.
build/tex/seed-listings.tex: chapters/seed/listings.tsv tools/weave/seed-captions
	@mkdir -p $(@D)
	$(Q)tools/weave/seed-captions $< > $@.tmp && mv $@.tmp $@ || { rm -f $@.tmp; exit 1; }

build/workbook.pdf: $(BOOK_SOURCES) $(WOVEN) build/tex/chapters.tex build/tex/revision.tex \
                    build/tex/seed-listings.tex $(SEED_LISTINGS) \
                    $(CHAPTERS_WITH_EXPERIMENTS:%=build/results/%/.done) tools/weave/latex
	$(call step,LATEX,$@)
	$(Q)tools/weave/latex book/workbook.tex $@

# The build manual, from manual/*.nw woven with the chapters (a manual's
# chunk may use a chapter's: it shows the book's number, C12), into
# build/manual/. It reads the book's labels (build/latex/workbook.aux), so
# it is typeset after the book.
build/stamps/woven-manual: $(CHAPTER_FILES) $(MANUAL_FILES) $(WEAVE_TOOLS) \
                           $(CHAPTERS:%=build/stamps/%.tangled) | $(DEPS_BOOK)
	$(call step,WEAVE,manual/*.nw)
	$(Q)tools/weave/weave -e manual build/manual build/tools/nwpandoc build/nwline $(CHAPTER_FILES)
	@mkdir -p $(@D) && touch $@

build/tex/manual-chapters.tex: FORCE
	@mkdir -p $(@D)
	$(Q)tools/weave/chapter-list -m $(CHAPTERS) -- $(MANUAL) > $@.tmp && \
	    if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

# The book's chunk tags (22a: the first chunk of page 22), for the
# manual's uses of the book's chunks: noweb's sub-page labels, from the
# book's .aux, lettered as noweb letters them (a page with one chunk has
# no letter).
build/tex/book-chunks.tex: build/workbook.pdf
	$(Q)awk -F '[{}]' '/^\\newsublabel\{/ { label[++n] = $$2; page[n] = $$7; count[$$7]++ } \
	    END { for (i = 1; i <= n; i++) { k = (page[i] == page[i - 1]) ? k + 1 : 1; \
	        printf "\\cadernochunk{%s}{%s%s}\n", label[i], page[i], \
	            (count[page[i]] > 1 ? substr("abcdefghijklmnopqrstuvwxyz", k, 1) : "") } }' \
	    build/latex/workbook.aux > $@.tmp && mv $@.tmp $@

build/construcao.pdf: $(BOOK_SOURCES) build/stamps/woven-manual build/tex/manual-chapters.tex build/tex/book-chunks.tex \
                      build/tex/revision.tex build/tex/seed-listings.tex \
                      $(CHAPTERS_WITH_EXPERIMENTS:%=build/results/%/.done) build/workbook.pdf tools/weave/latex
	$(call step,LATEX,$@)
	$(Q)tools/weave/latex book/construcao.tex $@

# ------------------------------------------------------------------ html

# The HTML edition: the same noweb pipeline as the PDF's, up to the
# cross-references, then nwpandoc -t html with the book's macros in
# tools/html/html-macros.lua and the pages by tools/html/nwhtml (tools/weave/weave -t html).
# It reads the same results, transcripts and seed listings as the PDF, and
# writes build/html/ whole or not at all. The student edition: no solution.
# Each tangled program gets a page (build/tangle/ -> programas/NN-slug/),
# and the search is Debian's lunr.js with book/busca.js. The build manual
# (manual/*.nw) has its pages in build/html/construcao/, written with the
# book's (-e manual); the student's package (make dist) leaves them out.
HTML_TOOLS := tools/html/nwhtml tools/html/html-macros.lua book/caderno.css book/busca.js
build/html/index.html: $(CHAPTER_FILES) $(MANUAL_FILES) $(WEAVE_TOOLS) $(HTML_TOOLS) \
                       $(CHAPTERS:%=build/stamps/%.tangled) \
                       $(CHAPTERS_WITH_EXPERIMENTS:%=build/results/%/.done) $(SEED_LISTINGS) \
                       chapters/seed/listings.tsv book/como-usar.tex book/referencias.tex | $(DEPS_BOOK)
	$(call step,HTML,build/html)
	$(Q)tools/weave/weave -t html -e manual build/html build/tools/nwpandoc build/nwline $(CHAPTER_FILES)

# ------------------------------------------------------------------ lint

# make lint: what each tool finds in each file goes to
# build/lint/FILE.TOOL, empty when the file is clean. A report is made again
# only when its file, what the file includes or the tool's settings change,
# so a second make lint looks only at what changed, and -j2 runs two tools
# at once; then make lint prints every finding and fails if there is one.
# (LINT_REPORTS is defined at the top.)

build/lint/%.cppcheck: % tests/cmocka.cfg tools/lint | $(DEPS_BOOK)
	$(call step,CPPCHECK,$<)
	$(Q)tools/lint cppcheck $< $@

build/lint/%.clang-tidy: % .clang-tidy tools/lint | $(DEPS_BOOK)
	$(call step,TIDY,$<)
	$(Q)tools/lint clang-tidy $< $@

build/lint/%.clang-format: % .clang-format tools/lint | $(DEPS_BOOK)
	$(call step,FORMAT,$<)
	$(Q)tools/lint clang-format $< $@

# Every test includes testlib.h, a unit test the program it tests, and
# unit-fork-echo-faults.c the cases of unit-echo-faults.c.
$(foreach t,cppcheck clang-tidy,$(TEST_SOURCES:%=build/lint/%.$(t))): \
    tests/testlib.h tests/unit-echo-faults.c $(LINT_PROGRAMS)
# The grader's tests include grade.h, and read their kind in grade.conf.
$(foreach g,$(GRADE_TESTS),$(foreach t,cppcheck clang-tidy,\
    $(eval build/lint/$(g).$(t): tests/grade/grade.h $(dir $(g))grade.conf)))

# ------------------------------------------------ html figures and checks

# The HTML edition (build/html/). Its figures are the PDF's: each
# figures/NAME.tex typeset alone, over the book's style and this build's
# results, and turned into build/html/figuras/NAME.svg by tools/html/figure-svg
# (pdflatex, then pdftocairo -svg: no font or file outside the SVG). The
# pages refer to them as figuras/NAME.svg.
HTML_FIGURES := $(patsubst figures/%.tex,build/html/figuras/%.svg,$(wildcard figures/*.tex))
# The target of make html's rule, written with the whole site.
HTML_SITE := build/html/index.html

.PHONY: html-figures
html-figures: $(HTML_FIGURES) ## The figures of the HTML edition, from figures/*.tex: build/html/figuras/NAME.svg

# make test checks the HTML edition: the checkers on a fixture site of
# their own (tests/test-html-fixtures), then the site (tests/test-html-site:
# links, tidy, a headless Chromium, the figures); without build/html/ it
# skips the pages' checks, saying so.
# The site is written after its figures, never at the same time (-j2): the
# figures go into build/html/figuras/ and the site's rule keeps that
# folder. A figure that changes does not change the pages, which name it.
HTML_TESTS := tests/test-html-fixtures tests/test-html-site
$(HTML_SITE): | $(HTML_FIGURES)
test: $(HTML_FIGURES) $(HTML_SITE)

$(HTML_FIGURES): build/html/figuras/%.svg: figures/%.tex tools/html/figure-svg $(wildcard book/*.sty) \
                 $(CHAPTERS_WITH_EXPERIMENTS:%=build/results/%/.done) | $(DEPS_BOOK)
	$(call step,SVG,$@)
	$(Q)tools/html/figure-svg $< $@

# ----------------------------------------------------------------- tests

# Unit tests replace system calls with the linker's --wrap.
UNIT_WRAPS := -Wl,--wrap=recv,--wrap=send
# A unit test may wrap others instead: unit-fork-fails makes fork() fail.
UNIT_WRAPS_fork-fails := -Wl,--wrap=fork
# unit-accept-fails makes accept() fail with the errno values it chooses.
UNIT_WRAPS_accept-fails := -Wl,--wrap=accept
# unit-client-faults: name resolution, connect() and recv() of a client fail.
UNIT_WRAPS_client-faults := -Wl,--wrap=recv,--wrap=getaddrinfo,--wrap=connect

build/tests/unit-%: tests/unit-%.c tests/testlib.h $(ALL_PROGRAMS) | $(DEPS_BOOK)
	$(call step,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests -o $@ $< $(or $(UNIT_WRAPS_$*),$(UNIT_WRAPS)) -lcmocka

# unit-fork-echo-faults runs unit-echo-faults' cases on chapter 5's loop.
build/tests/unit-fork-echo-faults: tests/unit-echo-faults.c

# $(wildcard): a test that does not include testlib.h builds without it.
build/tests/test-%: tests/test-%.c $(wildcard tests/testlib.h) | $(DEPS_BOOK)
	$(call step,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests -o $@ $< -lcmocka

# The fuzzers. A harness includes the tangled program it fuzzes (or
# tools/weave/nwpandoc.c); fuzz-options also takes chapter 1's option chunks
# whole (tests/fuzz/chunks), and fuzz-command-lines links the programs
# below, each compiled on its own with main() renamed main_NAME.
FUZZ_SUPPORT := tests/fuzz/support.c $(wildcard tests/fuzz/*.h)
FUZZ_PROGRAMS := 01-revisao-cliente-servidor/serv-echo 01-revisao-cliente-servidor/cli-echo \
                 03-getsockname-e-portas/cli-sockname 03-getsockname-e-portas/accept-vs-getpeername \
                 04-dados-binarios/show-bytes 04-dados-binarios/sizes 04-dados-binarios/cli-int \
                 04-dados-binarios/cli-int-net 05-servidor-concorrente/cli-many-connections
FUZZ_NEEDS_numbers := build/tangle/04-dados-binarios/cli-int.c
FUZZ_NEEDS_options := build/tangle/01-revisao-cliente-servidor/serv-echo.c build/fuzz/chunks/.done
FUZZ_NEEDS_command-lines := $(FUZZ_PROGRAMS:%=build/fuzz/obj/%.o)
FUZZ_NEEDS_frames := build/tangle/04-dados-binarios/serv-msg.c
FUZZ_NEEDS_nwpandoc := tools/weave/nwpandoc.c
# The calls a harness replaces (ld --wrap): the network, up to the first
# step that shows what a command line meant; recv(), which serves frames.
FUZZ_WRAPS_command-lines := \
    -Wl,--wrap=getaddrinfo,--wrap=freeaddrinfo,--wrap=socket,--wrap=setsockopt,--wrap=bind \
    -Wl,--wrap=connect,--wrap=send
FUZZ_WRAPS_frames := -Wl,--wrap=recv

define fuzz_rule
build/fuzz/$(1): tests/fuzz/fuzz-$(1).c $(FUZZ_SUPPORT) $(FUZZ_NEEDS_$(1)) | $(DEPS_TANGLE)
	$$(call step,CC,$$@)
	@mkdir -p $$(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Ibuild/fuzz/chunks -o $$@ $$< \
	    tests/fuzz/support.c $(filter %.o,$(FUZZ_NEEDS_$(1))) $(FUZZ_WRAPS_$(1))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))

build/fuzz/obj/%.o: build/tangle/%.c $(FUZZ_SUPPORT)
	$(call step,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -include tests/fuzz/redirect.h \
	    -Dmain=main_$(subst -,_,$(notdir $*)) -c -o $@ $<

build/fuzz/chunks/.done: $(CHAPTER_FILES) tests/fuzz/chunks | $(DEPS_TANGLE)
	$(call step,CHUNKS,build/fuzz/chunks/)
	$(Q)tests/fuzz/chunks $(@D) $(CHAPTER_FILES) && touch $@

# The experiments read RECORDED; this stamp is touched when its value is
# not the one the last build used, so `make RECORDED=1` runs them again.
build/stamps/recorded-$(RECORDED): FORCE
	@mkdir -p $(@D)
	$(Q)[ -e $@ ] && [ "$$(ls -t build/stamps/recorded-* | head -n 1)" = $@ ] || touch $@

# FORCE is phony, so the rules that use it always run.
.PHONY: FORCE
FORCE:

# ------------------------------------------------------------ exercises
# The exercises' solutions (solutions/NN-slug.nw, one block per exercise,
# "::: solucao LABEL TITLE" to ":::"), the instructor edition, the
# exercise sheets and the autograder. None of it is built by `make`;
# `make test` checks all of it. A copy without solutions/ (what an
# instructor publishes for the students) builds the student's book and
# passes make test, whose tests of the solutions skip saying why; the
# goals that need the solutions say in one line that they are missing.

.PHONY: instructor sheets solutions grade
SOLUTION_FILES := $(wildcard solutions/*.nw)
SOLUTIONS := build/stamps/solutions
# One sheet per chapter that has exercises.
SHEETS = $(patsubst %,build/sheets/%.pdf,$(shell grep -l '^\\exercicio' $(CHAPTER_FILES) | xargs -n 1 basename | sed 's/\.nw$$//'))
EXERCISE_TOOLS := tools/grade/exercises tools/tangle/nwcheck

sheets: $(SHEETS) ## One exercise sheet per chapter, with a header for the student's name: build/sheets/NN-slug.pdf

ifneq ($(SOLUTION_FILES),)
instructor: build/workbook-instructor.pdf ## The instructor edition, every solution after its exercise: build/workbook-instructor.pdf

solutions: $(SOLUTIONS) ## Tangle the reference solutions into build/solutions/LABEL/ (never into tangle/)

# make grade: the gradable exercises; EX=2.3 FILE=x.c grades one file,
# EX=2.3 DIR=folder/ every .c in it (J=N jobs, default the cores).
grade: $(SOLUTIONS) | $(DEPS_BOOK) ## List the gradable exercises; EX=2.3 FILE=x.c grades a file, EX=2.3 DIR=d/ a class (J=jobs)
	$(Q)tools/grade/grade $(if $(J),-j $(J)) $(EX) $(FILE) $(DIR)

$(SOLUTIONS): $(CHAPTER_FILES) $(SOLUTION_FILES) tools/tangle/tangle-solutions tools/tangle/nwcheck | $(DEPS_TANGLE)
	$(call step,TANGLE,build/solutions/)
	$(Q)tools/tangle/tangle-solutions build/solutions $(CHAPTER_FILES) $(SOLUTION_FILES)
	@mkdir -p $(@D) && touch $@

# $(SOLUTIONS) first: tools/tangle/nwcheck has checked every solution against
# its exercise before the weave places it.
build/stamps/woven-instructor: $(CHAPTER_FILES) $(SOLUTION_FILES) $(WEAVE_TOOLS) \
                               $(CHAPTERS:%=build/stamps/%.tangled) $(SOLUTIONS) | $(DEPS_BOOK)
	$(call step,WEAVE,chapters/*.nw solutions/*.nw [instructor])
	$(Q)tools/weave/weave -e instructor build/chapters-instructor build/tools/nwpandoc build/nwline $(CHAPTER_FILES)
	@mkdir -p $(@D) && touch $@

build/workbook-instructor.pdf: $(BOOK_SOURCES) build/stamps/woven-instructor build/tex/chapters.tex \
                               build/tex/revision.tex build/tex/seed-listings.tex $(SEED_LISTINGS) \
                               $(CHAPTERS_WITH_EXPERIMENTS:%=build/results/%/.done) tools/weave/latex
	$(call step,LATEX,$@)
	$(Q)tools/weave/latex book/workbook-instructor.tex $@

# make test checks the instructor edition and the grader too.
test: build/workbook-instructor.pdf $(SOLUTIONS)

# make bench also times the grader on a class of 200 (tests/bench-grade).
.PHONY: bench-grade
bench-grade: $(SOLUTIONS) ## Time the grader on 200 submissions of one exercise (EX=2.3, N=200)
	$(Q)tests/bench-grade $(or $(EX),2.3) $(or $(N),200)
bench: bench-grade
else
NO_SOLUTIONS := the solutions are not in this copy (no solutions/*.nw): it builds the student's book only
# $(error): one line, "Makefile:N: *** make grade: ...  Stop.", exit 2.
instructor solutions grade bench-grade build/workbook-instructor.pdf:
	$(error make $@: $(NO_SOLUTIONS))
endif

# A sheet quotes the book's numbers (Tabela 3.1 do caderno): it reads the
# labels of the student edition's build/latex/workbook.aux.
build/sheets/%.pdf: chapters/%.nw build/workbook.pdf tools/grade/sheet $(EXERCISE_TOOLS) | $(DEPS_BOOK)
	$(call step,SHEET,$@)
	$(Q)tools/grade/sheet $< build/latex/workbook.aux $@

# make test checks the sheets.
test: $(SHEETS)

# ------------------------------------------------------------------ dist
# The student's package, build/dist/caderno-sockets-VERSION.tar.gz: the
# student edition's PDF, HTML and sheets, and each chapter's code tangled
# again from the book with its plain Makefile (tools/dist). It never reads
# solutions/; make test unpacks it and checks that (tests/test-dist).

.PHONY: dist
dist: build/workbook.pdf $(HTML_SITE) $(SHEETS) tools/dist $(TANGLE_TOOLS) | $(DEPS_BOOK) ## The student's package: build/dist/caderno-sockets-VERSION.tar.gz (book, HTML, sheets, each chapter's code; no solution)
	$(call step,DIST,build/dist/)
	$(Q)tools/dist build/dist $(CHAPTER_FILES)
test: dist
