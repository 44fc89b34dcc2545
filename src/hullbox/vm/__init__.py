"""Virtual machines on QEMU: qcow2 disks (qemu-img), QMP (qemu.qmp), a serial
console kept in a log, live snapshots, and the accelerator choice (KVM when it
really boots a guest, TCG otherwise)."""
