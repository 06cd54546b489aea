/* Included by flags_member.c: a softc that keeps kmem's flags. */
#include <sys/kmem.h>

struct gold_softc {
	km_flag_t	 sc_kmflags;
	char		*sc_buf;
};
