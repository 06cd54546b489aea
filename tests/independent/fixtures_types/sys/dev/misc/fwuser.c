/* Users of kern/fwload.c's wrappers. */
#include <sys/kmem.h>
#include <sys/malloc.h>

void	*fw_malloc(size_t);
void	*fw_get(size_t);
void	fw_free(void *, size_t);
void	*mw_alloc(size_t);

void
fwuser(void)
{
	uint8_t *fw = fw_malloc(100);
	uint8_t *fw2 = fw_get(100);
	uint8_t *fw3 = fw_malloc(100);
	void *m = mw_alloc(8);

	free(fw, M_DEVBUF, 100);				/* wrapper:W1 */
	free(fw2, M_DEVBUF, 100);				/* wrapper:W2 */
	fw_free(fw3, 100);
	kmem_free(m, 8);					/* wrapper:W3 */
}
