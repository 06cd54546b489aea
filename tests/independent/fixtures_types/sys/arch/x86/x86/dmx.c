/* Shared by the x86 ports (arch/amd64/conf/files.amd64 names it). */
#include <sys/malloc.h>

void
dmx_free(void *p)
{
	free(p, M_BBB, 8);					/* wrong:X1 */
}
