#include <sys/malloc.h>

void *wp_saved;

void
wp_keep(void *p)
{
	wp_saved = p;
}

void
wp_drop(void)
{
	free(wp_saved, M_AAA, 8);
}
