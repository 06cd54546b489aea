#!/bin/sh
# The man pages must be clean under mandoc -Tlint, down to style
# messages, except "referenced manual not found": they refer to NetBSD's
# pages (kmem(9), vmstat(1) ...), which a Debian host does not have.
# Ends with "N passed, N failed", as the test programs do.
p=0 f=0
if ! command -v mandoc > /dev/null; then
	echo "man-lint: mandoc is not installed (Debian package mandoc)"
	echo "0 passed, 1 failed"
	exit 1
fi
for m in ../man/malloc.9 ../man/mallocstat.1; do
	out=$(mandoc -Tlint -Wstyle "$m" 2>&1 | grep -v 'referenced manual not found')
	if [ -z "$out" ]; then
		echo "man-lint: $m: clean"
		p=$((p + 1))
	else
		echo "$out"
		f=$((f + 1))
	fi
done
echo "$p passed, $f failed"
[ $f -eq 0 ]
