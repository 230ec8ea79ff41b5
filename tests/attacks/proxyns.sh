#!/bin/sh
# proxyns.sh - in a mount namespace of its own (unshare -m): CMD with DIR's hosts and resolv.conf as /etc's, and DIR/log.sock as the only thing in /dev (its /dev/log).
#
# usage: unshare -m --propagation private proxyns.sh DIR CMD [ARG...]
# The machine's /etc/hosts, /etc/resolv.conf and /dev are untouched: the mounts exist only in
# this namespace and go with it.
set -eu
d=$1
shift
mount --bind "$d/hosts" /etc/hosts
mount --bind "$d/resolv.conf" /etc/resolv.conf
mount -t tmpfs -o mode=0755,size=64k tmpfs /dev
: >/dev/log
mount --bind "$d/log.sock" /dev/log
exec "$@"
