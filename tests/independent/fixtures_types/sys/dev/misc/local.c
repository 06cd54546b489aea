/* One file: a wrong type, a realloc under another type, a free without a
 * type, a scratch buffer of the right type. */
#include <sys/malloc.h>

void
local_wrong(void)
{
	char *p = malloc(10, M_AAA, M_WAITOK);			/* wrong:S1 */

	free(p, M_BBB, 10);					/* wrong:S1 */
}

void
local_realloc(void)
{
	char *q = malloc(10, M_AAA, M_WAITOK);			/* wrong:S2 */
	char *r = realloc(q, 20, M_BBB, M_WAITOK);		/* wrong:S2 */

	free(r, M_BBB, 20);
}

void
local_untyped(void)
{
	char *u = malloc(10, M_AAA, M_WAITOK);

	free(u, NULL);						/* untyped */
}

void
local_tmpbuf(size_t n)
{
	char buf[64];
	void *t = malloc_tmpbuf_alloc(n, buf, sizeof(buf), M_TEMP, M_WAITOK);

	malloc_tmpbuf_free(t, n, buf, M_TEMP);
}

/*
 * Order in a function (examples/'s oldm.c, tulip.c): a member allocated,
 * freed and allocated again under another type; a local reused in a loop,
 * each time freed under the right type or not.
 */
struct reuse_softc {
	char	*sc_tmp;
};

void
reuse_attach(struct reuse_softc *sc)
{
	sc->sc_tmp = malloc(64, M_TEMP, M_NOWAIT);
	if (sc->sc_tmp != NULL)
		free(sc->sc_tmp, M_TEMP, 64);
	sc->sc_tmp = malloc(64, M_AAA, M_WAITOK);
}

void
reuse_detach(struct reuse_softc *sc)
{
	free(sc->sc_tmp, M_AAA, 64);
}

void
reuse_loop(int n, int *kind)
{
	char *tm;

	for (; n > 0; n--) {
		switch (kind[n]) {
		case 0:
			tm = malloc(10, M_AAA, M_WAITOK);
			free(tm, M_AAA, 10);
			break;
		case 1:
			tm = malloc(10, M_AAA, M_WAITOK);		/* wrong:S3 */
			free(tm, M_BBB, 10);				/* wrong:S3 */
			break;
		default:
			tm = malloc(10, M_BBB, M_WAITOK);
			free(tm, M_BBB, 10);
			break;
		}
	}
}
