#!/bin/sh
# Compile kern_malloc.c and a generated-style kern_malloc_types.c against
# a real NetBSD tree's headers, as a kernel build would see them, in each
# configuration below (plain, DIAGNOSTIC, the optional checks, the test
# kernels' MALLOC_DEBUG_TYPES alone and with DIAGNOSTIC, MALLOC_SITES alone
# and with both): -D_KERNEL
# -D_KERNEL_OPT, machine = amd64, the same warnings as the harness (-Werror),
# empty opt_*.h and other config(1)-generated headers made on demand.
# A tree of sys/ alone (no common/) gets a stand-in for the one proplib
# header the kernel's headers need.
#
#	check-netbsd.sh NETBSDSRC OBJDIR CC WARNFLAGS...
set -e
src=$1 obj=$2 cc=$3
shift 3
[ -d "$src/sys/kern" ] || { echo "check-netbsd: no $src/sys/kern" >&2; exit 2; }
inc=$obj/nbinc
rm -rf "$inc" && mkdir -p "$inc/sys"
cp ../sys/malloc.h ../sys/mallocvar.h "$inc/sys/"
cat > "$inc/sys/malloc_types.h" <<'X'
#ifndef _SYS_MALLOC_TYPES_H_
#define _SYS_MALLOC_TYPES_H_
MALLOC_DECLARE(M_USBDEV);
MALLOC_DECLARE(M_ACPI);
#endif
X
printf '%s\n' '#include <sys/malloc.h>' \
    'MALLOC_DEFINE(M_USBDEV, "USB device", "USB");' \
    'MALLOC_DEFINE_SIZED(M_ACPI, "acpi", "every free sized: no header");' \
    > "$obj/kern_malloc_types.c"
ln -s "$src/sys/arch/amd64/include" "$inc/machine"
ln -s "$src/sys/arch/amd64/include" "$inc/amd64"
ln -s "$src/sys/arch/x86/include" "$inc/x86"
if [ -d "$src/common/include/prop" ]; then
	ln -s "$src/common/include/prop" "$inc/prop"
else
	mkdir "$inc/prop"
	printf '%s\n' '#ifndef _PROP_PLISTREF_H_' '#define _PROP_PLISTREF_H_' \
	    'struct plistref { void *pref_plist; size_t pref_len; };' '#endif' \
	    > "$inc/prop/plistref.h"
fi
# a caller of every allocating macro, one inside another's arguments too
# (MALLOC_SITES: a record per call, at block scope, named apart)
cat > "$obj/malloc_caller.c" <<'X'
#include <sys/param.h>
#include <sys/systm.h>
#include <sys/malloc.h>

void	*malloc_caller(struct malloc_type *, const char *);

void *
malloc_caller(struct malloc_type *t, const char *name)
{
	char stackbuf[16], *s;
	size_t len;
	void *p, *q;

	p = malloc(10, M_USBDEV, M_WAITOK | M_ZERO);
	p = realloc(p, 20, M_USBDEV, M_WAITOK);
	free(p, M_USBDEV);
	s = malloc_strdup(name, t, M_NOWAIT);
	malloc_strfree(s, t);
	s = malloc_strdupsize(name, &len, t, M_WAITOK);
	free(s, t, len);
	s = malloc_strndup(name, 8, t, M_WAITOK);
	malloc_strfree(s, t);
	s = malloc_asprintf(t, "%s-%d", name, 1);
	malloc_strfree(s, t);
	q = malloc_tmpbuf_alloc(100, stackbuf, sizeof(stackbuf), t, M_WAITOK);
	malloc_tmpbuf_free(q, 100, stackbuf, t);
	s = malloc(strlen(q = malloc(4, t, M_WAITOK)) + 1, M_ACPI, M_WAITOK);
	free(q, t);
	return s;
}
X
for f in ../kern/kern_malloc.c "$obj/kern_malloc_types.c" "$obj/malloc_caller.c"; do
	for opts in "" "-DDIAGNOSTIC" \
	    "-DDIAGNOSTIC -DMALLOC_SIZED_FREE -DMALLOC_CHECK_INTR" \
	    "-DMALLOC_DEBUG_TYPES" "-DDIAGNOSTIC -DMALLOC_DEBUG_TYPES" \
	    "-DMALLOC_SITES" "-DDIAGNOSTIC -DMALLOC_DEBUG_TYPES -DMALLOC_SITES"; do
		echo "check-netbsd: $f $opts"
		n=0
		# shellcheck disable=SC2086
		while ! $cc -fsyntax-only -nostdinc -ffreestanding -D_KERNEL \
		    -D_KERNEL_OPT -D__NetBSD__ -U__linux__ -Ulinux -std=gnu99 \
		    $opts "$@" -I"$inc" -I"$src/sys" "$f" 2> "$obj/nb.err"; do
			h=$(sed -n 's/.*fatal error: \([a-z0-9_]*\.h\): No such file.*/\1/p' \
			    "$obj/nb.err" | head -n 1)
			n=$((n + 1))
			if [ -z "$h" ] || [ $n -gt 50 ]; then
				cat "$obj/nb.err" >&2
				exit 1
			fi
			: > "$inc/$h"		# a config(1)-generated header
		done
	done
done
echo "check-netbsd: ok ($src)"
