"""The text rewrite: kmem(9) calls to malloc(9) ones (textual, flags), the
includes and style that follow (includes, restyle), and the Coccinelle
check of the rewrite (spatch, spatchcheck) with its line diffs (linediff)."""
