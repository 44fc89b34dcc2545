"""microVMs for ``--isolation vm``: an image's rootfs booted under QEMU's
``microvm`` machine with the guest kernel, started from a saved snapshot of a
guest whose init waits for its command.

    guest.py      the guest's initramfs: busybox, virtio modules, the waiting init
    script.py     the per-run shell script the init is handed (mounts, env, user, exec)
    script_setup.py  its lines for networks, volume and tmpfs mounts, rlimits
    machine.py    QEMU's command line for a cold boot and for a restore
    template.py   the warm snapshot: boot once, save the waiting guest
    imagesnap.py  per image: the template restored, the image mounted, saved again
    keptsnap.py   a kept container's start: its upper disk, mounted in a snapshot for the first
    warm.py       the image's files an image snapshot reads ahead
    lookup.py     the command looked up in the image on the host (127/126 as a container)
    rootdisk.py   an image's rootfs as an ext4 disk (mkfs.ext4 -d), a container's upper disk
    volumes.py    volumes as ext4 disks, copied back to the host when the microVM ends
    tap.py        a tap per network, joined to the container's eth<N> by tc redirects
    cleanup.py    an image's disk and snapshots removed with it (rmi, prune)
    session.py    one run: restore, hand over the script, relay output, exit code
"""
