#!/bin/sh
# build.sh - assembles the .deb from deb/ and a binary and manual pages built for /usr: build.sh BINARY MANDIR VERSION OUTDIR (make deb).
set -eu
bin=$1 man=$2 version=$3 out=$4
src=$(cd "$(dirname "$0")" && pwd)
pkg=pi-agent-launcher
arch=$(dpkg --print-architecture)
root=$out/deb/root
doc=$root/usr/share/doc/$pkg

head1() { sed '1{/^# /d}' "$1"; } # drops a file's one-line header
want=$(head1 "$src/changelog" | sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p')
[ "$want" = "$version" ] || { echo "deb/build.sh: deb/changelog is at $want, VERSION is $version" >&2; exit 1; }

rm -rf "$root"
umask 022
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" "$root/usr/share/man/man8" \
	"$doc/examples" "$root/usr/lib/tmpfiles.d" "$root/etc/sudoers.d" "$root/usr/share/lintian/overrides"
install -m 0755 "$bin" "$root/usr/bin/pi"
objcopy --remove-section=.comment "$root/usr/bin/pi"
ln -s pi "$root/usr/bin/pi-runner"
ln -s pi "$root/usr/bin/pi-merge"
ln -s pi "$root/usr/bin/pi-agent-init"
for m in pi.1:man1 pi-merge.1:man1 pi-runner.8:man8; do
	gzip -9n <"$man/${m%%:*}" >"$root/usr/share/man/${m#*:}/${m%%:*}.gz"
done
# pi-agent-init, the unit's main process, is described in pi-runner(8) (INTERNAL NAMES)
ln -s pi-runner.8.gz "$root/usr/share/man/man8/pi-agent-init.8.gz"
head1 "$src/copyright" >"$doc/copyright"
head1 "$src/changelog" | gzip -9n >"$doc/changelog.gz"
head1 "$src/config.json" >"$doc/examples/config.json"
install -m 0644 "$src/tmpfiles.conf" "$root/usr/lib/tmpfiles.d/$pkg.conf"
install -m 0440 "$src/sudoers" "$root/etc/sudoers.d/$pkg"
install -m 0644 "$src/lintian-overrides" "$root/usr/share/lintian/overrides/$pkg"
head1 "$src/conffiles" >"$root/DEBIAN/conffiles"
install -m 0755 "$src/postinst" "$src/postrm" "$root/DEBIAN/"
chmod 0644 "$doc/copyright" "$doc/changelog.gz" "$doc/examples/config.json" "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
	xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
head1 "$src/control" | sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
	>"$root/DEBIAN/control"
deb=$out/${pkg}_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
