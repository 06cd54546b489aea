#include <sys/malloc.h>

void *wp_saved;

void
wp_set(void)
{
	wp_saved = malloc(8, M_BBB, M_WAITOK);
}

void
wp_drop(void)
{
	free(wp_saved, M_BBB, 8);
}
