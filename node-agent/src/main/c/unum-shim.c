/*
 * unum-shim: supervises exactly one user program for the Unum node agent.
 *
 * Usage:
 *   unum-shim <proc-dir>         supervise the program described by <proc-dir>/spec
 *   unum-shim -r <proc-dir>      supervise a program CRIU restores: run the criu command line in
 *                                <proc-dir>/restore, then supervise the restored tree like a new one
 *   unum-shim -k <signal> <pid>...  send a signal to each pid (a negative one: a process group;
 *                                the agent's way to call kill(2): Java cannot
 *                                send arbitrary signals, and shipping this mode in the shim means
 *                                the agent does not depend on procps' /bin/kill being installed)
 *
 * The shim outlives the agent: it calls setsid() first so it has its own session and process
 * group, and everything it needs to tell the agent is written to files in <proc-dir>:
 *
 *   spec        (input, written by the agent) NUL-terminated fields:
 *                 "unum-spec-2", output limit, cwd, user ("" = do not switch by name),
 *                 uid, gid (a dynamic identity when uid > 0: no passwd entry, no supplementary
 *                 groups, umask 007), no-new-privs ("1": PR_SET_NO_NEW_PRIVS before exec),
 *                 argc, argv[0..argc-1], envc, env[0..envc-1] ("KEY=VALUE")
 *   restore     (input of -r, written by the agent) NUL-terminated fields: "unum-restore-1",
 *               stdout offset, stderr offset, argc, the criu command line. criu gets the new output
 *               and status pipes as fds 3, 4 and 5 (for its --inherit-fd options) and must be told
 *               --restore-sibling --restore-detached --pidfile <proc-dir>/init.pid, so that the
 *               restored init becomes this shim's child.
 *   shim.pid    the shim's own pid
 *   init.pid    the host pid of the namespace's init (the root of the tree CRIU dumps)
 *   pipes       inode numbers of the stdout, stderr and status pipes, which a restore must
 *               map onto new pipes ("--inherit-fd fd[3]:pipe:[<inode>]")
 *   pid         the program's pid as the HOST sees it (written once exec succeeded)
 *   exec-error  why the program could not be started (instead of pid)
 *   stdout.<N>, stderr.<N>
 *               captured output in segments; N is the absolute offset of the segment's first
 *               byte in its stream. A segment holds at most max(limit/2, 1) bytes; when it is
 *               full a new one starts and the oldest segments are unlinked so at most `limit`
 *               bytes are kept. Naming segments by offset keeps readers race-free: they list
 *               the directory, and a segment they opened stays readable even if unlinked.
 *   exit        "code N" or "signal N" once the program ended and its output was copied
 *   drained     "<stdout end> <stderr end>", written on SIGURG once the pipes are empty (see
 *               report_drained)
 *
 * Every file except the output segments is written atomically (tmp + rename). Every file is 0600:
 * the spec holds environment values, the segments the program's output, and only the agent reads
 * them.
 *
 * Process tree when running as root (a pid namespace per program):
 *   shim ─► init (pid 1 in a new pid namespace, its own session) ─► program
 * The init forwards signals to the program, reaps everything and sends the program's wait
 * status to the shim over a pipe (pid 1 cannot re-raise a fatal signal on itself inside its
 * namespace, so an exit status alone could not say "killed by signal N").
 *
 * The init and everything under it are what CRIU dumps, so the tree is shaped for it: the init
 * leads its own session (CRIU refuses a session leader outside the dumped namespace), its cwd is
 * "/" and its stdio /dev/null (which exist on every node), and it runs as the program's user, not
 * root. That last point
 * is forced by kernels where root lacks CAP_SYS_RESOURCE (containers): CRIU reads every task's
 * rlimits with prlimit(2), which then needs the dumper's real uid to match the task's, so one
 * dumper can only handle a tree of one user. The init keeps CAP_SYS_ADMIN and CAP_DAC_OVERRIDE
 * because CRIU's parasite, running inside the init, mounts a proc for the namespace; the program
 * gets no capabilities (they are cleared before exec). There is no mount namespace: CRIU cannot
 * dump one that copies the host's mounts, so /proc inside shows host pids.
 * Without root: shim ─► program, no namespaces, no user switching.
 *
 * The program reports its pid to the shim with SCM_CREDENTIALS before exec: the kernel
 * translates the pid into the receiver's namespace, so the shim learns the host pid without
 * parsing /proc. Exec (and setup) failures come back through a CLOEXEC pipe: EOF means exec
 * succeeded, data is the error message.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define MAX_SEGMENTS_SCAN 64

static const int FORWARDED[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT,
                                SIGCONT, SIGWINCH, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU};
#define NFORWARDED (sizeof(FORWARDED) / sizeof(FORWARDED[0]))

static const char *proc_dir;

/* ---------- spec ---------- */

struct spec {
    long long limit;
    char *cwd;
    char *user;
    uid_t uid;  /* > 0: a dynamic identity (uid:gid), user is then "" */
    gid_t gid;
    int no_new_privs;
    char **argv;
    char **envp;
};

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "unum-shim: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(111);
}

static char *read_file(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("open %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (n == cap) buf = realloc(buf, (cap *= 2) + 1);
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) die("read %s: %s", path, strerror(errno));
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Returns the next NUL-terminated field, or dies on a truncated spec. */
static char *next_field(char **p, char *end) {
    char *s = *p;
    char *z = memchr(s, 0, (size_t)(end - s));
    if (!z) die("truncated spec");
    *p = z + 1;
    return s;
}

static void read_spec(struct spec *sp) {
    char path[4096];
    size_t len;
    snprintf(path, sizeof path, "%s/spec", proc_dir);
    char *buf = read_file(path, &len);
    char *p = buf, *end = buf + len;
    if (strcmp(next_field(&p, end), "unum-spec-2") != 0) die("unknown spec version");
    sp->limit = atoll(next_field(&p, end));
    if (sp->limit < 2) sp->limit = 2;
    sp->cwd = next_field(&p, end);
    sp->user = next_field(&p, end);
    sp->uid = (uid_t)strtoul(next_field(&p, end), NULL, 10);
    sp->gid = (gid_t)strtoul(next_field(&p, end), NULL, 10);
    sp->no_new_privs = strcmp(next_field(&p, end), "1") == 0;
    if (sp->uid > 0 && (sp->user[0] || sp->gid == 0)) die("a dynamic uid needs a gid and no user name");
    int argc = atoi(next_field(&p, end));
    if (argc < 1) die("empty argv");
    sp->argv = calloc((size_t)argc + 1, sizeof(char *));
    for (int i = 0; i < argc; i++) sp->argv[i] = next_field(&p, end);
    int envc = atoi(next_field(&p, end));
    sp->envp = calloc((size_t)envc + 1, sizeof(char *));
    for (int i = 0; i < envc; i++) sp->envp[i] = next_field(&p, end);
}

/* ---------- small file helpers ---------- */

static void write_atomic(const char *name, const char *content) {
    char tmp[4096], dst[4096];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", proc_dir, name);
    snprintf(dst, sizeof dst, "%s/%s", proc_dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "unum-shim: open %s: %s\n", tmp, strerror(errno));
        return;
    }
    size_t n = strlen(content), off = 0;
    while (off < n) {
        ssize_t w = write(fd, content + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) break;
        off += (size_t)w;
    }
    close(fd);
    if (rename(tmp, dst) != 0) fprintf(stderr, "unum-shim: rename %s: %s\n", dst, strerror(errno));
}

static void write_all(int fd, const char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        buf += w;
        n -= (size_t)w;
    }
}

/* ---------- the program (runs in the forked child, before exec) ---------- */

/* Reports a setup/exec failure to the shim and exits; the message becomes <proc-dir>/exec-error. */
static void child_fail(int errfd, const char *what, const char *arg, int err) {
    char msg[1024];
    snprintf(msg, sizeof msg, "%s %s: %s", what, arg, strerror(err));
    write_all(errfd, msg, strlen(msg));
    _exit(127);
}

/* Sets the effective and permitted capabilities to exactly `mask` (bits of the first 32). */
static void set_caps(int errfd, unsigned mask) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    d[0].effective = d[0].permitted = mask;
    if (syscall(SYS_capset, &h, d) != 0) child_fail(errfd, "capset", "", errno);
}

/* Drops root for uid:gid with the given supplementary groups; with keep_caps, keeps CAP_SYS_ADMIN
   and CAP_DAC_OVERRIDE (see the top). */
static void become(int errfd, const char *who, uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
                   int keep_caps) {
    if (setgroups((size_t)ngroups, groups) != 0) child_fail(errfd, "setgroups", who, errno);
    if (setgid(gid) != 0) child_fail(errfd, "setgid", who, errno);
    if (keep_caps && prctl(PR_SET_KEEPCAPS, 1) != 0) child_fail(errfd, "prctl", "keepcaps", errno);
    if (setuid(uid) != 0) child_fail(errfd, "setuid", who, errno);
    if (keep_caps) set_caps(errfd, (1u << CAP_SYS_ADMIN) | (1u << CAP_DAC_OVERRIDE));
}

/* Becomes the spec's identity: a dynamic uid:gid (no supplementary groups, and umask 007 so that
   what it creates is not readable by other identities), or the named user with its groups. */
static void switch_user(struct spec *sp, int errfd, int keep_caps) {
    if (sp->uid > 0) {
        char who[32];
        snprintf(who, sizeof who, "%u", (unsigned)sp->uid);
        umask(007);
        become(errfd, who, sp->uid, sp->gid, 0, NULL, keep_caps);
        return;
    }
    struct passwd *pw = getpwnam(sp->user);
    if (!pw) child_fail(errfd, "user", sp->user, ENOENT);
    if (pw->pw_uid == 0) return;
    if (initgroups(pw->pw_name, pw->pw_gid) != 0) child_fail(errfd, "initgroups", sp->user, errno);
    gid_t groups[NGROUPS_MAX];
    int n = getgroups(NGROUPS_MAX, groups);
    if (n < 0) child_fail(errfd, "getgroups", sp->user, errno);
    become(errfd, sp->user, pw->pw_uid, pw->pw_gid, n, groups, keep_caps);
}

static void send_credentials(int sock) {
    /* The kernel checks these against the sender and translates pid into the receiver's
       pid namespace: that is how the shim learns the host pid. */
    struct ucred cred = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
    char data = 'p';
    struct iovec iov = {.iov_base = &data, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                         .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    memcpy(CMSG_DATA(c), &cred, sizeof cred);
    while (sendmsg(sock, &msg, 0) < 0 && errno == EINTR) {
    }
}

/* execvp with the PATH of the program's environment (not the shim's). */
static void exec_with_path(struct spec *sp, int errfd) {
    const char *file = sp->argv[0];
    if (strchr(file, '/')) {
        execve(file, sp->argv, sp->envp);
        child_fail(errfd, "exec", file, errno);
    }
    const char *path = DEFAULT_PATH;
    for (char **e = sp->envp; *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
    int saved = ENOENT;
    char candidate[4096];
    const char *p = path;
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t dl = colon ? (size_t)(colon - p) : strlen(p);
        if (dl == 0)
            snprintf(candidate, sizeof candidate, "%s", file);
        else
            snprintf(candidate, sizeof candidate, "%.*s/%s", (int)dl, p, file);
        execve(candidate, sp->argv, sp->envp);
        if (errno != ENOENT && errno != ENOTDIR) saved = errno;
        if (!colon) break;
        p = colon + 1;
    }
    child_fail(errfd, "exec", file, saved);
}

static void run_program(struct spec *sp, int outw, int errw, int errfd, int credsock, int is_root) {
    sigset_t none;
    sigemptyset(&none);
    for (size_t i = 0; i < NFORWARDED; i++) signal(FORWARDED[i], SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);

    send_credentials(credsock);
    close(credsock);

    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0) child_fail(errfd, "open", "/dev/null", errno);
    if (dup2(devnull, 0) < 0 || dup2(outw, 1) < 0 || dup2(errw, 2) < 0)
        child_fail(errfd, "dup2", "stdio", errno);
    if (devnull > 2) close(devnull);
    if (outw > 2) close(outw);
    if (errw > 2) close(errw);

    if (is_root && (sp->user[0] || sp->uid > 0)) switch_user(sp, errfd, 0);
    if (getuid() != 0) set_caps(errfd, 0);
    /* Inherited by everything the program starts: a setuid binary no longer elevates. CRIU dumps
       and restores the flag with the rest of the credentials. */
    if (sp->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        child_fail(errfd, "prctl", "no_new_privs", errno);
    if (sp->cwd[0] && chdir(sp->cwd) != 0) child_fail(errfd, "chdir", sp->cwd, errno);
    exec_with_path(sp, errfd);
}

/* ---------- init: pid 1 of the program's pid namespace ---------- */

static volatile pid_t init_program_pid = 0;

static void init_forward(int sig) {
    /* The guard matters: kill(0, sig) would signal our whole process group. */
    if (init_program_pid > 0) kill(init_program_pid, sig);
}

static void run_init(struct spec *sp, int outw, int errw, int errfd, int credsock, int statusw) {
    if (setsid() < 0) child_fail(errfd, "setsid", "init", errno);
    if (chdir("/") != 0) child_fail(errfd, "chdir", "/", errno);
    /* Not the shim's log: a restore on another node could not reopen that file. */
    int devnull = open("/dev/null", O_RDWR);
    if (devnull < 0) child_fail(errfd, "open", "/dev/null", errno);
    for (int fd = 0; fd <= 2; fd++) dup2(devnull, fd);
    if (devnull > 2) close(devnull);
    if (sp->user[0] || sp->uid > 0) switch_user(sp, errfd, 1);

    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t pid = fork();
    if (pid < 0) child_fail(errfd, "fork", "program", errno);
    if (pid == 0) {
        close(statusw);
        run_program(sp, outw, errw, errfd, credsock, 0);
    }
    init_program_pid = pid;
    /* The shim must see EOF on these once the program (and its children) close them. */
    close(outw);
    close(errw);
    close(errfd);
    close(credsock);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = init_forward;
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < NFORWARDED; i++) sigaction(FORWARDED[i], &sa, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);

    int status = 0;
    for (;;) {
        int st;
        pid_t r = waitpid(-1, &st, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            break; /* ECHILD: nothing left */
        }
        if (r == pid) {
            status = st;
            break;
        }
    }
    /* Reap whatever already ended; exiting pid 1 makes the kernel kill the rest. */
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    write_all(statusw, (const char *)&status, sizeof status);
    _exit(0);
}

/* ---------- output capture ---------- */

struct capture {
    const char *name;   /* "stdout" / "stderr" */
    int pipe_fd;        /* -1 at EOF */
    int file_fd;        /* current segment */
    long long seg_start;
    long long seg_len;
    long long seg_cap;
};

static void open_segment(struct capture *c) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%lld", proc_dir, c->name, c->seg_start);
    c->file_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (c->file_fd < 0) fprintf(stderr, "unum-shim: open %s: %s\n", path, strerror(errno));
    c->seg_len = 0;
}

/* Deletes segments older than the previous one: at most two segments (<= limit bytes) stay. */
static void drop_old_segments(struct capture *c) {
    DIR *d = opendir(proc_dir);
    if (!d) return;
    size_t nl = strlen(c->name);
    long long keep_from = c->seg_start - c->seg_cap;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, c->name, nl) != 0 || e->d_name[nl] != '.') continue;
        char *endp;
        long long start = strtoll(e->d_name + nl + 1, &endp, 10);
        if (*endp || endp == e->d_name + nl + 1) continue;
        if (start < keep_from) unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

static void capture_write(struct capture *c, const char *buf, size_t n) {
    while (n > 0) {
        if (c->seg_len >= c->seg_cap) {
            if (c->file_fd >= 0) close(c->file_fd);
            c->seg_start += c->seg_len;
            open_segment(c);
            drop_old_segments(c);
        }
        size_t room = (size_t)(c->seg_cap - c->seg_len);
        size_t k = n < room ? n : room;
        if (c->file_fd >= 0) write_all(c->file_fd, buf, k);
        c->seg_len += (long long)k;
        buf += k;
        n -= k;
    }
}

/* Reads once from the pipe; returns 0 at EOF. */
static int capture_pump(struct capture *c) {
    char buf[65536];
    ssize_t r = read(c->pipe_fd, buf, sizeof buf);
    if (r < 0) return errno == EINTR || errno == EAGAIN;
    if (r == 0) {
        close(c->pipe_fd);
        c->pipe_fd = -1;
        return 0;
    }
    capture_write(c, buf, (size_t)r);
    return 1;
}

/* ---------- the shim ---------- */

static int self_pipe[2];
static volatile pid_t shim_program_hostpid = 0;

static void shim_on_signal(int sig) {
    int saved = errno;
    if (sig == SIGCHLD || sig == SIGURG) {
        char b = sig == SIGCHLD ? 'c' : 'u';
        (void)!write(self_pipe[1], &b, 1);
    } else if (shim_program_hostpid > 0) {
        kill(shim_program_hostpid, sig);
    }
    errno = saved;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Signals every pid given (a negative one is a process group); fails if any kill fails. */
static int kill_mode(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: unum-shim -k SIGNAL PID...\n");
        return 2;
    }
    int sig = atoi(argv[2]);
    int failed = 0;
    for (int i = 3; i < argc; i++) {
        pid_t pid = (pid_t)atoi(argv[i]);
        if (pid == 0 || pid == -1 || sig < 0) {
            fprintf(stderr, "unum-shim: bad signal or pid\n");
            return 2;
        }
        if (kill(pid, sig) != 0) {
            fprintf(stderr, "unum-shim: kill %d %d: %s\n", sig, (int)pid, strerror(errno));
            failed = 1;
        }
    }
    return failed;
}

/*
 * Turns TCP repair mode off on sockets of another process (-t PID FD...): a criu dump killed
 * mid-way leaves the sockets it reached in repair mode, where the program's every recv fails
 * with EPERM and nothing it sends goes out. The agent names the descriptors; each is taken with
 * pidfd_getfd(2) and switched back like CRIU's own rollback does (which also probes the peer).
 */
static int repair_off_mode(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: unum-shim -t PID FD...\n");
        return 2;
    }
    pid_t pid = (pid_t)atoi(argv[2]);
    int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
    if (pidfd < 0) {
        fprintf(stderr, "unum-shim: pidfd_open %d: %s\n", (int)pid, strerror(errno));
        return 1;
    }
    int failed = 0;
    for (int i = 3; i < argc; i++) {
        int fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(argv[i]), 0);
        int off = 0; /* TCP_REPAIR_OFF */
        if (fd < 0 || setsockopt(fd, IPPROTO_TCP, 19 /* TCP_REPAIR */, &off, sizeof off) != 0) {
            fprintf(stderr, "unum-shim: repair off %d/%s: %s\n", (int)pid, argv[i], strerror(errno));
            failed = 1;
        }
        if (fd >= 0) close(fd);
    }
    close(pidfd);
    return failed;
}

/* Receives the program's credentials; returns its pid in our namespace or 0. */
static pid_t receive_pid(int sock) {
    char data;
    struct iovec iov = {.iov_base = &data, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } u;
    for (;;) {
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                             .msg_controllen = sizeof u.buf};
        ssize_t r = recvmsg(sock, &msg, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                struct ucred cred;
                memcpy(&cred, CMSG_DATA(c), sizeof cred);
                return cred.pid;
            }
        }
        return 0;
    }
}

/* Reads the restore file: offsets and the criu command line (NULL-terminated). */
static char **read_restore(long long *out_off, long long *err_off) {
    char path[4096];
    size_t len;
    snprintf(path, sizeof path, "%s/restore", proc_dir);
    char *buf = read_file(path, &len);
    char *p = buf, *end = buf + len;
    if (strcmp(next_field(&p, end), "unum-restore-1") != 0) die("unknown restore version");
    *out_off = atoll(next_field(&p, end));
    *err_off = atoll(next_field(&p, end));
    int argc = atoi(next_field(&p, end));
    if (argc < 1) die("empty criu command line");
    char **av = calloc((size_t)argc + 1, sizeof(char *));
    for (int i = 0; i < argc; i++) av[i] = next_field(&p, end);
    return av;
}

static void write_pipes(int outr, int errr, int statusr) {
    struct stat a, b, c;
    char buf[128];
    if (fstat(outr, &a) || fstat(errr, &b) || fstat(statusr, &c)) die("fstat pipes: %s", strerror(errno));
    snprintf(buf, sizeof buf, "%llu %llu %llu\n", (unsigned long long)a.st_ino, (unsigned long long)b.st_ino,
             (unsigned long long)c.st_ino);
    write_atomic("pipes", buf);
}

static void write_pid_file(const char *name, pid_t pid) {
    char buf[32];
    snprintf(buf, sizeof buf, "%d\n", (int)pid);
    write_atomic(name, buf);
}

static pid_t read_pid_file(const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", proc_dir, name);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int v = 0;
    if (fscanf(f, "%d", &v) != 1) v = 0;
    fclose(f);
    return (pid_t)v;
}

/* The first child of pid (the restored init's program), via /proc/<pid>/task/<pid>/children. */
static pid_t first_child(pid_t pid) {
    char path[128];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int c = 0;
    if (fscanf(f, "%d", &c) != 1) c = 0;
    fclose(f);
    return (pid_t)c;
}

struct tree {
    pid_t child;     /* our child: the init (or the program itself, without namespaces) */
    int use_ns;
    int outr, errr;  /* read ends of the output pipes */
    int statusr;     /* read end of the init's status pipe, -1 without namespaces */
};

static void install_handlers(sigset_t *old) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = shim_on_signal;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGURG, &sa, NULL);
    for (size_t i = 0; i < NFORWARDED; i++) sigaction(FORWARDED[i], &sa, NULL);
    sigprocmask(SIG_SETMASK, old, NULL);
}

/* Starts the program of the spec; returns 0 and fills t, or 1 after writing exec-error. */
static int launch(struct spec *sp, struct tree *t) {
    int outp[2], errp[2], execp[2], statusp[2], cred[2];
    if (pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) || pipe2(execp, O_CLOEXEC) ||
        pipe2(statusp, O_CLOEXEC))
        die("pipe: %s", strerror(errno));
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cred)) die("socketpair: %s", strerror(errno));
    int on = 1;
    setsockopt(cred[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    /* The program's ends of the output pipes must survive exec. */
    fcntl(outp[1], F_SETFD, 0);
    fcntl(errp[1], F_SETFD, 0);

    int is_root = geteuid() == 0;
    t->use_ns = 0;
    if (is_root) {
        if (unshare(CLONE_NEWPID) == 0)
            t->use_ns = 1;
        else
            fprintf(stderr, "unum-shim: unshare: %s; running without a pid namespace\n", strerror(errno));
    }

    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t child = fork();
    if (child < 0) die("fork: %s", strerror(errno));
    if (child == 0) {
        close(outp[0]);
        close(errp[0]);
        close(execp[0]);
        close(statusp[0]);
        close(cred[0]);
        close(self_pipe[0]);
        close(self_pipe[1]);
        if (t->use_ns) {
            sigprocmask(SIG_SETMASK, &old, NULL);
            run_init(sp, outp[1], errp[1], execp[1], cred[1], statusp[1]);
        }
        close(statusp[1]);
        run_program(sp, outp[1], errp[1], execp[1], cred[1], is_root);
    }
    install_handlers(&old);
    close(outp[1]);
    close(errp[1]);
    close(execp[1]);
    close(statusp[1]);
    close(cred[1]);
    t->child = child;
    t->outr = outp[0];
    t->errr = errp[0];
    t->statusr = t->use_ns ? statusp[0] : -1;
    if (!t->use_ns) close(statusp[0]);

    pid_t hostpid = receive_pid(cred[0]);
    close(cred[0]);
    /* EOF on the exec pipe = exec succeeded (CLOEXEC closed it); data = the failure. */
    char emsg[1024];
    size_t elen = 0;
    for (;;) {
        ssize_t r = read(execp[0], emsg + elen, sizeof emsg - 1 - elen);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        elen += (size_t)r;
        if (elen == sizeof emsg - 1) break;
    }
    close(execp[0]);
    emsg[elen] = 0;
    if (elen > 0 || hostpid <= 0) {
        if (elen == 0) snprintf(emsg, sizeof emsg, "the program did not start");
        strcat(emsg, "\n");
        write_atomic("exec-error", emsg);
        return 1;
    }
    if (t->use_ns) {
        write_pid_file("init.pid", child);
        write_pipes(t->outr, t->errr, t->statusr);
    }
    shim_program_hostpid = hostpid;
    write_pid_file("pid", hostpid);
    return 0;
}

/*
 * Kills and reaps every child this shim still has. After a failed restore those are the tasks
 * criu had already made: the restored init is our child (--restore-sibling), in a session of its
 * own, so neither our process group's end nor the agent reaches it; orphaned, a tree whose criu
 * died mid-restore waited in criu's restore for ever, a copy of the process no agent knew.
 * SIGKILL to the init ends its whole pid namespace.
 */
static void kill_children(void) {
    char path[128];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    for (int pass = 0; pass < 100; pass++) {
        FILE *f = fopen(path, "r");
        if (!f) return;
        int c, any = 0;
        while (fscanf(f, "%d", &c) == 1) {
            kill((pid_t)c, SIGKILL);
            any = 1;
        }
        fclose(f);
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        if (!any) return;
        usleep(10000);
    }
}

/* Runs criu restore with new pipes as fds 3-5; returns 0 and fills t, or 1 after writing exec-error. */
static int restore(char **criu_argv, struct tree *t) {
    int outp[2], errp[2], statusp[2];
    if (pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) || pipe2(statusp, O_CLOEXEC))
        die("pipe: %s", strerror(errno));
    char stale[4096];
    snprintf(stale, sizeof stale, "%s/init.pid", proc_dir);
    unlink(stale); /* criu writes it; a stale one must not be mistaken for the new init */

    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t criu = fork();
    if (criu < 0) die("fork: %s", strerror(errno));
    if (criu == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        /* dup2 clears CLOEXEC on the copies; the originals close at exec. */
        if (dup2(outp[1], 3) < 0 || dup2(errp[1], 4) < 0 || dup2(statusp[1], 5) < 0) _exit(126);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        execv(criu_argv[0], criu_argv);
        fprintf(stderr, "unum-shim: exec %s: %s\n", criu_argv[0], strerror(errno));
        _exit(127);
    }
    install_handlers(&old);
    close(outp[1]);
    close(errp[1]);
    close(statusp[1]);
    t->use_ns = 1;
    t->outr = outp[0];
    t->errr = errp[0];
    t->statusr = statusp[0];

    int st;
    while (waitpid(criu, &st, 0) < 0 && errno == EINTR) {
    }
    pid_t init = read_pid_file("init.pid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || init <= 0) {
        char emsg[256];
        if (WIFEXITED(st))
            snprintf(emsg, sizeof emsg, "criu restore failed with exit code %d\n", WEXITSTATUS(st));
        else
            snprintf(emsg, sizeof emsg, "criu restore was killed by signal %d\n", WTERMSIG(st));
        write_atomic("exec-error", emsg);
        kill_children();
        return 1;
    }
    t->child = init;
    /* The restored init's program; it may take an instant to show in the children list. */
    pid_t program = 0;
    for (int i = 0; i < 200 && program <= 0; i++) {
        program = first_child(init);
        if (program <= 0) usleep(5000);
    }
    if (program <= 0) {
        /* A program that ended right after its restore: its init reaps it, sends its status and
           exits. That end must win (supervise records it), not an error that loses it. */
        siginfo_t info;
        int ended = 0;
        for (int i = 0; i < 200 && !ended; i++) {
            memset(&info, 0, sizeof info);
            if (waitid(P_PID, (id_t)init, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == init)
                ended = 1;
            else
                usleep(5000);
        }
        if (!ended) {
            write_atomic("exec-error", "the restored init has no program\n");
            kill(init, SIGKILL);
            return 1;
        }
        program = init; /* gone already: the pid only tells the agent the restore happened */
    }
    write_pipes(t->outr, t->errr, t->statusr);
    shim_program_hostpid = program == init ? 0 : program;
    write_pid_file("pid", program);
    return 0;
}

/*
 * SIGURG asks for the output offsets at a moment the program cannot write (CRIU holds it frozen
 * while it serves a post-copy migration's pages): copy what the pipes hold, then write "drained"
 * with where each stream ends.
 */
static void report_drained(struct capture *caps) {
    for (int i = 0; i < 2; i++) {
        if (caps[i].pipe_fd < 0) continue;
        int flags = fcntl(caps[i].pipe_fd, F_GETFL);
        fcntl(caps[i].pipe_fd, F_SETFL, flags | O_NONBLOCK);
        for (;;) {
            char buf[65536];
            ssize_t r = read(caps[i].pipe_fd, buf, sizeof buf);
            if (r > 0) {
                capture_write(&caps[i], buf, (size_t)r);
                continue;
            }
            if (r == 0) {
                close(caps[i].pipe_fd);
                caps[i].pipe_fd = -1;
            }
            break;
        }
        if (caps[i].pipe_fd >= 0) fcntl(caps[i].pipe_fd, F_SETFL, flags);
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%lld %lld\n", caps[0].seg_start + caps[0].seg_len, caps[1].seg_start + caps[1].seg_len);
    write_atomic("drained", buf);
}

/* Copies output until the tree ended and the pipes hit EOF, then writes exit. */
static int supervise(struct spec *sp, struct tree *t, long long out_off, long long err_off) {
    long long seg_cap = sp->limit / 2 > 0 ? sp->limit / 2 : 1;
    struct capture caps[2] = {
        {.name = "stdout", .pipe_fd = t->outr, .seg_cap = seg_cap, .seg_start = out_off},
        {.name = "stderr", .pipe_fd = t->errr, .seg_cap = seg_cap, .seg_start = err_off},
    };
    for (int i = 0; i < 2; i++) open_segment(&caps[i]);

    int child_status = 0, child_done = 0;
    long long done_at = 0;
    for (;;) {
        if (!child_done) {
            int st;
            pid_t r = waitpid(t->child, &st, WNOHANG);
            if (r == t->child) {
                child_done = 1;
                child_status = st;
                done_at = now_ms();
            }
        }
        if (child_done && caps[0].pipe_fd < 0 && caps[1].pipe_fd < 0) break;
        /* Without a namespace, a daemonized grandchild may hold the pipes forever: after the
           program ended, keep copying for at most 2 s. */
        if (child_done && !t->use_ns && now_ms() - done_at > 2000) break;
        struct pollfd fds[3];
        int nf = 0, idx[2] = {-1, -1};
        for (int i = 0; i < 2; i++) {
            if (caps[i].pipe_fd >= 0) {
                idx[i] = nf;
                fds[nf].fd = caps[i].pipe_fd;
                fds[nf++].events = POLLIN;
            }
        }
        fds[nf].fd = self_pipe[0];
        fds[nf++].events = POLLIN;
        int pr = poll(fds, (nfds_t)nf, child_done ? 100 : 1000);
        if (pr < 0) continue;
        for (int i = 0; i < 2; i++)
            if (idx[i] >= 0 && (fds[idx[i]].revents & (POLLIN | POLLHUP | POLLERR))) capture_pump(&caps[i]);
        if (fds[nf - 1].revents & POLLIN) {
            char drain[64];
            ssize_t n;
            int drain_requested = 0;
            while ((n = read(self_pipe[0], drain, sizeof drain)) > 0)
                for (ssize_t k = 0; k < n; k++) drain_requested |= drain[k] == 'u';
            if (drain_requested) report_drained(caps);
        }
    }
    for (int i = 0; i < 2; i++)
        if (caps[i].file_fd >= 0) close(caps[i].file_fd);

    int status = child_status;
    if (t->statusr >= 0) {
        /* The init sends the program's wait status; if it died without doing so (killed, or
           dumped by CRIU), fall back to the init's own status. */
        int st;
        ssize_t r;
        do r = read(t->statusr, &st, sizeof st);
        while (r < 0 && errno == EINTR);
        if (r == (ssize_t)sizeof st) status = st;
    }
    char buf[64];
    if (WIFSIGNALED(status))
        snprintf(buf, sizeof buf, "signal %d\n", WTERMSIG(status));
    else
        snprintf(buf, sizeof buf, "code %d\n", WEXITSTATUS(status));
    write_atomic("exit", buf);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "-k") == 0) return kill_mode(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "-t") == 0) return repair_off_mode(argc, argv);
    int restoring = argc == 3 && strcmp(argv[1], "-r") == 0;
    if (argc != 2 && !restoring) {
        fprintf(stderr, "usage: unum-shim PROC_DIR | unum-shim -r PROC_DIR | unum-shim -k SIGNAL PID... | unum-shim -t PID FD...\n");
        return 2;
    }
    proc_dir = argv[restoring ? 2 : 1];
    setsid(); /* own session and process group: the agent's terminal or group signals miss us */
    signal(SIGPIPE, SIG_IGN);

    struct spec sp;
    read_spec(&sp);
    long long out_off = 0, err_off = 0;
    char **criu_argv = restoring ? read_restore(&out_off, &err_off) : NULL;
    write_pid_file("shim.pid", getpid());
    if (pipe2(self_pipe, O_CLOEXEC | O_NONBLOCK)) die("pipe: %s", strerror(errno));

    struct tree t;
    int failed = restoring ? restore(criu_argv, &t) : launch(&sp, &t);
    if (failed && restoring) {
        write_atomic("exit", "signal 9\n");
        return 0;
    }
    return supervise(&sp, &t, out_off, err_off);
}
