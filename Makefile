# kmem2malloc -- convert NetBSD kernel code from kmem(9) to malloc(9).
#
#   make example   convert examples/ (diffs and report under build/example)
#   make test      lint, golden files, driver tests, shim harness tests
#   make bench     converter vs bare spatch; shim vs kmem, per-CPU vs atomic
#   make mallocstat build/mallocstat for this host (reads a blob with -f)
#   make qemu      what boottest needs from Debian: qemu, bmake, makefs, gcc
#   make boot-tools  boottest's --tools from a NetBSD 7.99 tree: NETBSD_SRC=DIR
#                  BUILDRUMP=DIR [BOOT_TOOLS=build/boot-tools]
#   make deps-cross the cross compilers `check --arch` uses (large download)
#
# Both install what is missing from Debian's archive first (make deps).

PYTHON ?=	/usr/bin/python3
K2M =		$(PYTHON) scripts/kmem2malloc
BENCH_TREE ?=	$(or $(TREE),examples)
BENCH_PATH ?=	sys
JOBS ?=		$(shell nproc)
ROUNDS ?=	3
DEBS =		coccinelle parallel python3-yaml python3-pytest flake8 python3-mypy gcc make \
		patch git mandoc python3-clang-14

.PHONY: all deps deps-cross example test lint test-py test-shim bench bench-convert bench-shim \
	mallocstat qemu boot-tools install-debs clean

all: example

deps:
	@$(MAKE) --no-print-directory install-debs PKGS="$(DEBS)"

# boottest (README: boottest): build a NetBSD kernel with Debian's gcc and
# bmake, make its root image with makefs, boot it in qemu (TCG).
QEMU_DEBS =	qemu-system-x86 bmake makefs gcc binutils cpp
qemu:
	@$(MAKE) --no-print-directory install-debs PKGS="$(QEMU_DEBS)"

# boottest's --tools (README: boottest, What a user needs): buildrump.sh's
# host tools from a NetBSD 7.99 tree, its config(1) patched for
# NetBSD-current's files, its share/mk; the tree is only read.
BOOT_TOOLS ?=	build/boot-tools
boot-tools: qemu
	@test -n "$(NETBSD_SRC)" -a -n "$(BUILDRUMP)" || \
	    { echo "make boot-tools NETBSD_SRC=DIR BUILDRUMP=DIR [BOOT_TOOLS=DIR]"; exit 2; }
	sh boot/mktools.sh "$(NETBSD_SRC)" "$(BUILDRUMP)" "$(BOOT_TOOLS)" 2

# check --arch (README: install-shim, check, audit): one Debian cross gcc per
# NetBSD CPU; sparc uses sparc64's with -m32, vax and ia64 have none.  The
# list is scripts/k2m/kernel/ports.py's, printed so that it has one place.
deps-cross:
	@$(MAKE) --no-print-directory install-debs \
	    PKGS="$$($(PYTHON) -c 'import sys; sys.path.insert(0, "scripts"); \
	        from k2m.kernel.ports import cross_packages; print(*cross_packages())')"

install-debs:
	@missing=""; for p in $(PKGS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
	        || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

example: deps
	rm -rf build/example
	$(K2M) convert --out build/example examples
	@echo "diffs:  build/example/diffs/"
	@echo "report: build/example/report.md (and report.json)"

test: deps lint test-py test-shim

# Debian's flake8 (pyflakes and pycodestyle: setup.cfg) over the Python,
# and mypy over scripts/k2m (pyproject.toml); both must be clean
LINT_PY =	scripts/kmem2malloc scripts/k2m scripts/bench_convert.py boot/dbsym.py tests
lint:
	$(PYTHON) -m flake8 $(LINT_PY)
	$(PYTHON) -m mypy

test-py:
	$(PYTHON) -m pytest -q tests

test-shim:
	$(MAKE) --no-print-directory -C shim/harness test

bench: deps bench-convert bench-shim

bench-convert:
	$(PYTHON) scripts/bench_convert.py --jobs $(JOBS) --rounds $(ROUNDS) $(BENCH_TREE) $(BENCH_PATH)

bench-shim:
	$(MAKE) --no-print-directory -C shim/harness bench

# The vmstat -m style reader, for this host: kern.malloc_stats blobs saved
# from a NetBSD (or rump) kernel are read with -f.
CC ?=		cc
mallocstat: build/mallocstat
build/mallocstat: shim/mallocstat/mallocstat.c shim/sys/mallocvar.h
	mkdir -p build
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -Ishim -o $@ \
	    shim/mallocstat/mallocstat.c

clean:
	rm -rf build kmem2malloc-out
	-$(MAKE) --no-print-directory -C shim/harness clean
