/* A probe for the hostile-container tests: makes one system call, the way an
 * attacker inside the container would, and prints what the kernel answered:
 *     probe NAME [ARG]   ->  "NAME: ok" (exit 0) or "NAME: <strerror>" (exit 1)
 * Arguments are harmless where the call is allowed (no image to kexec, no
 * module, a keyring lookup), so a hole shows up as "ok", never as damage. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long clone_newuser(void) {
    long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid(pid, 0, 0);
    return pid < 0 ? -1 : 0;
}

static long connect_abstract(const char *name) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    size_t len = strlen(name);
    memcpy(addr.sun_path + 1, name, len);  /* sun_path[0] = 0: abstract */
    return connect(fd, (struct sockaddr *)&addr, offsetof(struct sockaddr_un, sun_path) + 1 + len);
}

static long run(const char *name, const char *arg) {
    char zero[256] = {0};
    struct timespec now;
    if (!strcmp(name, "euid")) { printf("euid: %d\n", (int)geteuid()); exit(0); }
    if (!strcmp(name, "kexec_load")) return syscall(SYS_kexec_load, 0, 0, NULL, 0);
    if (!strcmp(name, "init_module")) return syscall(SYS_init_module, zero, 16, "");
    if (!strcmp(name, "finit_module")) {
        int fd = open("/bin/busybox", O_RDONLY);
        return syscall(SYS_finit_module, fd, "", 0);
    }
    if (!strcmp(name, "delete_module")) return syscall(SYS_delete_module, "hullbox_nosuch", O_NONBLOCK);
    if (!strcmp(name, "keyctl")) return syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3, 0);
    if (!strcmp(name, "add_key")) return syscall(SYS_add_key, "user", "hullbox-probe", "x", 1, -2);
    if (!strcmp(name, "bpf")) return syscall(SYS_bpf, 0 /* MAP_CREATE */, zero, 64);
    if (!strcmp(name, "perf_event_open")) return syscall(SYS_perf_event_open, zero, 0, -1, -1, 0);
    if (!strcmp(name, "unshare_user")) return unshare(CLONE_NEWUSER);
    if (!strcmp(name, "clone_newuser")) return clone_newuser();
    if (!strcmp(name, "mount")) return mount("none", "/tmp", "tmpfs", 0, NULL);
    if (!strcmp(name, "umount")) return umount2("/proc", MNT_DETACH);
    if (!strcmp(name, "pivot_root")) return syscall(SYS_pivot_root, "/tmp", "/tmp");
    if (!strcmp(name, "swapon")) return swapon("/dev/null", 0);
    if (!strcmp(name, "reboot")) return syscall(SYS_reboot, 0xfee1dead, 672274793, 0 /* CAD_OFF */, 0);
    if (!strcmp(name, "open_by_handle_at")) return syscall(SYS_open_by_handle_at, AT_FDCWD, zero, O_RDONLY);
    if (!strcmp(name, "userfaultfd")) return syscall(SYS_userfaultfd, 0);
    if (!strcmp(name, "iopl")) return iopl(3);
    if (!strcmp(name, "clock_settime")) {
        clock_gettime(CLOCK_REALTIME, &now);
        return clock_settime(CLOCK_REALTIME, &now);
    }
    if (!strcmp(name, "io_uring_setup")) return syscall(SYS_io_uring_setup, 1, zero);
    if (!strcmp(name, "connect_abstract")) return connect_abstract(arg ? arg : "");
    if (!strcmp(name, "ptrace_attach")) return ptrace(PTRACE_ATTACH, (pid_t)atoi(arg ? arg : "1"), 0, 0);
    fprintf(stderr, "probe: unknown call %s\n", name);
    exit(2);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: probe NAME [ARG]\n"); return 2; }
    errno = 0;
    long rc = run(argv[1], argc > 2 ? argv[2] : NULL);
    if (rc < 0) { printf("%s: %s\n", argv[1], strerror(errno)); return 1; }
    printf("%s: ok\n", argv[1]);
    return 0;
}
