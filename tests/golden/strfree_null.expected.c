#include <sys/param.h>
#include <sys/malloc.h>

/*
 * kmem_strfree(NULL) does nothing (subr_kmem.c: "if (str == NULL)
 * return;"), and kern_exec.c relies on it: proc0 has no p_path, and
 * init's first exec frees it.  So kmem_strfree(s) becomes the shim's
 * malloc_strfree(s, T), which does nothing for NULL either, never
 * free(s, T, strlen(s) + 1); the unsized form too.  A kmem_free(s,
 * strlen(s) + 1), which kmem forbids for NULL, stays a sized free.
 */
struct gold_proc {
	char	*p_path;
	char	*p_name;
};

void
gold_exec(struct gold_proc *p, const char *path)
{

	malloc_strfree(p->p_path, M_GOLDEN);	/* NULL for proc0 */
	p->p_path = malloc_strdup(path, M_GOLDEN, M_WAITOK);
}

void
gold_exit(struct gold_proc *p)
{

	if (p->p_name != NULL)
		free(p->p_name, M_GOLDEN, strlen(p->p_name) + 1);
	p->p_name = NULL;
	malloc_strfree(p->p_path, M_GOLDEN);
	p->p_path = NULL;
}

void
gold_name(struct gold_proc *p, int n)
{

	p->p_name = malloc_asprintf(M_GOLDEN, "gold%d", n);
}
