/* A driver split in a bus-independent part (ic/) and an attachment (pci/):
 * memory allocated in one file, freed in the other, through members of the
 * driver's softc. */
struct file;
struct foo_ring {
	int	fr_n;
};
struct foo_softc {
	struct foo_ring	*sc_ring;	/* a struct: linked by its type */
	void		*sc_buf;	/* generic: linked by the member */
	void		*sc_ok;		/* generic, the same type both sides */
	struct file	**sc_files;	/* an array of pointers to a common struct */
};
void	foo_detach(struct foo_softc *);
