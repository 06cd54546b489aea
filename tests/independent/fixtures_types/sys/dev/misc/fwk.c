#include <sys/malloc.h>
#include <sys/file.h>

void
fwk_close(struct file *fp)
{
	free(fp->f_data, M_AAA, 8);				/* ambiguous */
}
