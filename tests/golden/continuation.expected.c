#include <sys/param.h>
#include <sys/malloc.h>

struct gold_softc {
	struct gold_entry	**sc_table_of_entries;
	int			sc_nentries_in_table;
	char			*sc_buf;
	uint8_t			*sc_bitmap;
	struct gold_entry	*sc_rx_ring_entries;
	struct gold_entry	*sc_tx_ring_entries;
	char			*sc_cont_label;
};

void
gold_attach(struct gold_softc *sc)
{

	/* A long line: the rewrite breaks it with a style(9) continuation. */
	sc->sc_table_of_entries = malloc(sizeof(*sc->sc_table_of_entries) * 16,
	    M_GOLDEN, M_WAITOK | M_ZERO);
	sc->sc_buf = malloc(sc->sc_nentries_in_table *
	    sizeof(*sc->sc_buf), M_GOLDEN, M_WAITOK);	/* comment kept */
	/* The call starts a continuation line: the result is style(9) too. */
	if (sc->sc_nentries_in_table > 0)
		sc->sc_bitmap =
		    malloc(howmany(sc->sc_nentries_in_table, NBBY), M_GOLDEN,
		    M_WAITOK | M_ZERO);
	/* Two calls in one statement, each broken after an argument. */
	if ((sc->sc_rx_ring_entries = malloc(sc->sc_nentries_in_table, M_GOLDEN,
	    M_NOWAIT | M_ZERO)) == NULL ||
	    (sc->sc_tx_ring_entries = malloc(sc->sc_nentries_in_table, M_GOLDEN,
	    M_NOWAIT | M_ZERO)) == NULL)
		return;
	/* A statement under else stays under it. */
	if (sc->sc_nentries_in_table == 0)
		sc->sc_cont_label = NULL;
	else
		sc->sc_cont_label = malloc(16, M_GOLDEN, M_WAITOK);
}

void
gold_detach(struct gold_softc *sc)
{

	if (sc->sc_buf != NULL)
		free(sc->sc_buf, M_GOLDEN,
		    sc->sc_nentries_in_table * sizeof(*sc->sc_buf));
	if (sc->sc_bitmap != NULL)
		free(sc->sc_bitmap, M_GOLDEN,
		    howmany(sc->sc_nentries_in_table, NBBY));
	free(sc->sc_rx_ring_entries, M_GOLDEN, sc->sc_nentries_in_table);
	free(sc->sc_tx_ring_entries, M_GOLDEN, sc->sc_nentries_in_table);
	if (sc->sc_cont_label != NULL)
		free(sc->sc_cont_label, M_GOLDEN, 16);
	free(sc->sc_table_of_entries, M_GOLDEN,
	    sizeof(*sc->sc_table_of_entries) * 16);
}
