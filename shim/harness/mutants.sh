#!/bin/sh
# The tests that guard the counters' exactness (and MALLOC_DEBUG_TYPES's
# record) must fail against unsafe versions of kern_malloc.c.  Each
# mutant below is kern_malloc.c with one protection taken out;
# test_malloc (built against it) must report failures, else the test
# could not catch that bug.
#
#	mutants.sh OBJDIR CC CFLAGS...
obj=$1 cc=$2
shift 2
k=../kern/kern_malloc.c
bad=0
mutant() {	# name, extra cflags, perl substitution
	name=$1 flags=$2 subst=$3
	perl -0777 -pe "$subst" $k > "$obj/mutant_$name.c"
	if cmp -s $k "$obj/mutant_$name.c"; then
		echo "mutants: $name: the substitution no longer applies"; bad=1; return
	fi
	# shellcheck disable=SC2086
	$cc $flags -o "$obj/mutant_$name" test_malloc.c \
	    "$obj/mutant_$name.c" kernel.c || { bad=1; return; }
	"$obj/mutant_$name" > "$obj/mutant_$name.out" 2>&1
	line=$(tail -n 1 "$obj/mutant_$name.out")
	case $line in
	*" 0 failed") echo "mutants: $name: NOT caught ($line)"; bad=1;;
	*) echo "mutants: $name: caught ($line)";;
	esac
}
CFLAGS_M="$*"
set --
# preemption not excluded: a slot computed on one CPU, written on another
mutant nopreempt "$CFLAGS_M" \
    's/do \{ \(c\) = curlwp; KPREEMPT_DISABLE\(c\); \} while \(0\)/do { (c) = curlwp; } while (0)/;
     s/KASSERT\(l->l_nopreempt > 0\);\n\t__insn_barrier\(\);\n\tl->l_nopreempt--;/__insn_barrier();/;
     s/\tKASSERT\(kpreempt_disabled\(\)\);\n//'
# an update that an interrupt can split: load, add, store
mutant loadstore "$CFLAGS_M" \
    's/__asm volatile\("addq %1, %0" : "\+m" \(\*p\) : "er" \(v\)\);/uint64_t t = *p;\n\n\t__insn_barrier();\n\t*p = t + v;/'
# a fold that overwrites what an interrupt added meanwhile
mutant foldstore "$CFLAGS_M" \
    's/malloc_pcpu_add\(\(volatile uint64_t \*\)&mtc->mtc_bytes,\n\t    -\(uint64_t\)bytes\);/__insn_barrier();\n\tmtc->mtc_bytes = 0;/'
# the portable counting without its IPL_VM
mutant splnone "$CFLAGS_M -DMALLOC_COUNT_SPL" \
    's/splvm\(\)/0/g; s/splx\(s\)/(void)s/g'
# MALLOC_DEBUG_TYPES's deletion leaving holes in a run: records get lost
mutant debughole "$CFLAGS_M -DDIAGNOSTIC -DMALLOC_DEBUG_TYPES -DMALLOC_DEBUG_TYPES_SLOTS=8192" \
    's/\(\(j - home\) & mask\) >= \(\(j - i\) & mask\)/((j - home) & mask) > mask/'
exit $bad
