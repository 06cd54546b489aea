/* Two unrelated drivers keep their memory in the framework's f_data, each
 * under its own type; fwk.c frees an f_data: ambiguous, not a finding. */
#include <sys/malloc.h>
#include <sys/file.h>

void
drv_x_open(struct file *fp)
{
	fp->f_data = malloc(8, M_AAA, M_WAITOK);
}

/* another array of pointers to struct file, of another type, freed here */
void
drv_x_table(void)
{
	struct file **tab = malloc(8 * sizeof(*tab), M_BBB, M_WAITOK);

	free(tab, M_BBB, 8 * sizeof(*tab));
}

void
drv_x_keep(struct file ***out)
{
	*out = malloc(8 * sizeof(**out), M_BBB, M_WAITOK);
}
