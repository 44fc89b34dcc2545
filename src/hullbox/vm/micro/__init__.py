"""microVMs for ``--isolation vm``: an image's rootfs booted under QEMU's
``microvm`` machine with the guest kernel, started from a saved snapshot of a
guest whose init waits for its command.

    guest.py      the guest's initramfs: busybox, virtio modules, the waiting init
    script.py     the per-run shell script the init is handed (mounts, env, user, exec)
    machine.py    QEMU's command line for a cold boot and for a restore
    template.py   the warm snapshot: boot once, save the waiting guest
    imagesnap.py  per image: the template restored, the image mounted, saved again
    warm.py       the image's files an image snapshot reads ahead
    rootdisk.py   an image's rootfs as an ext4 disk (mkfs.ext4 -d), per-container overlays
    session.py    one run: restore, hand over the script, relay output, exit code
"""
