#include <sys/malloc.h>
#include <sys/file.h>

void
drv_y_open(struct file *fp)
{
	fp->f_data = malloc(8, M_BBB, M_WAITOK);
}
