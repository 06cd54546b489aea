#!/bin/sh
#
# mktools.sh SRC BUILDRUMP OUT [JOBS]: boottest's --tools directory, built
# from a NetBSD 7.99 tree (SRC: rumpkernel/src-netbsd, README: boottest)
# with buildrump.sh (BUILDRUMP: the script or its directory) and the host
# gcc, into OUT:
#
#   bin/nbgenassym, nbyacc, nblex, libnbcompat ...  buildrump.sh's tools step
#   bin/nbconfig    7.99's config(1), copied out of SRC and patched with
#                   config-current.patch so that it reads NetBSD-current's
#                   sys/conf/files (version 20180827, several attachments
#                   at one parent, OPT.<file>.c lines)
#   share/mk        7.99's system makefiles, with the two bsd.lib.mk
#                   targets NetBSD-current's libkern Makefile links with
#
# SRC itself is only read.  Run by "make boot-tools".

set -e

usage() {
	echo "usage: $0 SRC BUILDRUMP OUT [JOBS]" >&2
	exit 2
}

[ $# -ge 3 ] || usage
SRC=$1
BR=$2
OUT=$3
JOBS=${4:-2}
HERE=$(cd "$(dirname "$0")" && pwd)

[ -d "$BR" ] && BR=$BR/buildrump.sh
for f in "$SRC/usr.bin/config/defs.h" "$SRC/share/mk/bsd.lib.mk" \
    "$SRC/tools/compat/configure"; do
	[ -f "$f" ] || { echo "$0: $SRC: no ${f#"$SRC"/} (a NetBSD 7.99 src/?)" >&2; exit 2; }
done
[ -x "$BR" ] || { echo "$0: $BR: no buildrump.sh" >&2; exit 2; }
for t in gcc patch; do
	command -v $t >/dev/null || { echo "$0: $t not found" >&2; exit 2; }
done
SRC=$(cd "$SRC" && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
OBJ=$OUT/obj

# 1. The host tools.  -fcommon: the 2016 tools do not link under gcc >= 10
# otherwise; NOGCCERROR: gcc 12 warns where the tree's gcc did not.
echo "mktools: buildrump.sh tools -> $OUT"
HOST_CFLAGS="-O -fcommon" "$BR" -s "$SRC" -T "$OUT" -o "$OBJ" -d "$OBJ/rumpdest" \
    -j "$JOBS" -V NOGCCERROR=1 -F CFLAGS=-fcommon tools
for t in nbgenassym nbyacc nblex; do
	[ -x "$OUT/bin/$t" ] || { echo "$0: buildrump.sh left no bin/$t" >&2; exit 1; }
done

# 2. config(1), as 7.99's Makefile would build it as a host tool
# (MAKE_BOOTSTRAP, nbtool_config.h, libnbcompat), with our patch.
echo "mktools: config(1) for NetBSD-current's files"
C=$OBJ/config
rm -rf "$C"
mkdir -p "$C"
cp -R "$SRC/usr.bin/config" "$C/src"
(cd "$C/src" && patch -s -p1 < "$HERE/config-current.patch")
"$OUT/bin/nbyacc" -d -o "$C/gram.c" "$C/src/gram.y"
"$OUT/bin/nblex" -o "$C/scan.c" "$C/src/scan.l"
for f in "$C"/src/*.c "$C/gram.c" "$C/scan.c" "$SRC/usr.bin/cksum/crc.c"; do
	gcc -O1 -fcommon -w -DHAVE_NBTOOL_CONFIG_H=1 -DMAKE_BOOTSTRAP \
	    -include nbtool_config.h -D_FILE_OFFSET_BITS=64 \
	    -I"$OUT/include/compat" -I"$SRC/tools/compat" -I"$SRC/tools/compat/sys" \
	    -I"$C/src" -I"$C" -I"$SRC/usr.bin/cksum" \
	    -c "$f" -o "$C/$(basename "$f" .c).o"
done
gcc -o "$C/config" "$C"/*.o "$OUT/lib/libnbcompat.a"
# 7.99's own, which the tools step installed, reads 7.99's files only
[ -f "$OUT/bin/nbconfig-20151112" ] || mv "$OUT/bin/nbconfig" "$OUT/bin/nbconfig-20151112"
cp "$C/config" "$OUT/bin/nbconfig"

# 3. The system makefiles.
echo "mktools: share/mk"
rm -rf "$OUT/share/mk"
mkdir -p "$OUT/share"
cp -R "$SRC/share/mk" "$OUT/share/mk"
(echo; cat "$HERE/bsd.lib.mk.current") >> "$OUT/share/mk/bsd.lib.mk"

echo "mktools: done: $OUT (boottest --tools $OUT)"
