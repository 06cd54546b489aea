#include <sys/param.h>
#include <sys/kmem.h>

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

	kmem_strfree(p->p_path);	/* NULL for proc0 */
	p->p_path = kmem_strdup(path, KM_SLEEP);
}

void
gold_exit(struct gold_proc *p)
{

	if (p->p_name != NULL)
		kmem_free(p->p_name, strlen(p->p_name) + 1);
	p->p_name = NULL;
	kmem_strfree(p->p_path);
	p->p_path = NULL;
}

void
gold_name(struct gold_proc *p, int n)
{

	p->p_name = kmem_asprintf("gold%d", n);
}
