#include <sys/param.h>
#include <sys/kmem.h>

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
	sc->sc_table_of_entries = kmem_zalloc(sizeof(*sc->sc_table_of_entries) * 16, KM_SLEEP);
	sc->sc_buf = kmem_alloc(sc->sc_nentries_in_table *
	    sizeof(*sc->sc_buf), KM_SLEEP);	/* comment kept */
	/* The call starts a continuation line: the result is style(9) too. */
	if (sc->sc_nentries_in_table > 0)
		sc->sc_bitmap =
		    kmem_zalloc(howmany(sc->sc_nentries_in_table, NBBY), KM_SLEEP);
	/* Two calls in one statement, each broken after an argument. */
	if ((sc->sc_rx_ring_entries = kmem_zalloc(sc->sc_nentries_in_table, KM_NOSLEEP)) == NULL ||
	    (sc->sc_tx_ring_entries = kmem_zalloc(sc->sc_nentries_in_table, KM_NOSLEEP)) == NULL)
		return;
	/* A statement under else stays under it. */
	if (sc->sc_nentries_in_table == 0)
		sc->sc_cont_label = NULL;
	else
		sc->sc_cont_label = kmem_alloc(16, KM_SLEEP);
}

void
gold_detach(struct gold_softc *sc)
{

	if (sc->sc_buf != NULL)
		kmem_free(sc->sc_buf,
		    sc->sc_nentries_in_table * sizeof(*sc->sc_buf));
	if (sc->sc_bitmap != NULL)
		kmem_free(sc->sc_bitmap, howmany(sc->sc_nentries_in_table, NBBY));
	kmem_free(sc->sc_rx_ring_entries, sc->sc_nentries_in_table);
	kmem_free(sc->sc_tx_ring_entries, sc->sc_nentries_in_table);
	if (sc->sc_cont_label != NULL)
		kmem_free(sc->sc_cont_label, 16);
	kmem_free(sc->sc_table_of_entries,
	    sizeof(*sc->sc_table_of_entries) * 16);
}
