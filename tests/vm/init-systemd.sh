#!/bin/sh
# The systemd guest's initramfs /init: load the modules for the root disk, mount it, copy
# the payload (lmctl installed, the tests, the unit that runs them) into it and hand over
# to systemd as PID 1.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() {
	echo "init-systemd: $1"
	echo "LMCTL-VM-RESULT rc=1 tests=0 failed=1"
	poweroff -f
	exit 1
}
for m in $(cat /etc/modules.order); do
	insmod "$m" || echo "init-systemd: insmod $m failed"
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
mount -t ext4 -o rw /dev/vda /newroot || fail "cannot mount /dev/vda"
cp -a /payload/. /newroot/ || fail "cannot copy the payload"
# /sbin/init is an absolute link into the new root: test it as such.
[ -L /newroot/sbin/init ] || [ -x /newroot/sbin/init ] || fail "no /sbin/init in the root filesystem"
umount /proc /sys
mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /sbin/init
