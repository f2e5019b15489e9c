/*
 * libunum-shm.so: cluster-wide shared memory for programs the node agent starts with
 * USE_REMOTE_MEMORY (LD_PRELOAD, UNUM_SHM_SOCKET). See docs/design/shared-memory.md; the section
 * "The preload protocol" is the contract with the node agent (shm.ShmNode).
 *
 * Build: cc -O2 -Wall -fPIC -shared -pthread -o libunum-shm.so unum-shm.c -ldl
 *
 * What it does:
 *   - shmget/shmat/shmdt/shmctl and shm_open/shm_unlink/ftruncate/mmap/munmap of segments go to the
 *     agent; a segment is mapped from the node's backing file PROT_NONE, and a page becomes
 *     readable or writable only when the agent grants it (FAULT from the SIGSEGV handler) or
 *     less so when the agent revokes it (PROTECT, applied by a helper thread).
 *   - Without UNUM_SHM_SOCKET every call goes straight to libc and no handler is installed.
 *
 * Limits (documented in the report and here):
 *   - x86-64: the write bit of a fault comes from the page-fault error code
 *     (uc_mcontext.gregs[REG_ERR] & 2). On other architectures every fault asks for
 *     read|write (correct, but readers of a page no longer share it).
 *   - At most MAX_REGIONS (256) attachments and MAX_POSIX (256) open POSIX objects at a time
 *     (ENOMEM/EMFILE beyond; the POSIX table forgets objects whose descriptors were all closed).
 *   - munmap of part of a region, mremap of a region, mprotect of a region (it would expose
 *     pages the agent has not granted): EINVAL. MAP_PRIVATE or an offset other than 0 on a
 *     POSIX object: EINVAL; a length beyond the object's size: EINVAL.
 *   - A system call that reads or writes a page the process has not faulted in (read(2) into a
 *     segment, for example) fails with EFAULT instead of faulting; touch the buffer first.
 *   - shmctl: IPC_STAT/SHM_STAT/SHM_STAT_ANY from the agent (uid/gid are the caller's),
 *     IPC_RMID, IPC_SET accepted and ignored (best effort), IPC_INFO/SHM_INFO describe only this
 *     process's attachments, SHM_LOCK/SHM_UNLOCK EINVAL. Every System V id and shm_open name of
 *     the process is the cluster's: a kernel shmid received from a process without the library
 *     (X11 MIT-SHM) cannot be attached.
 *   - signal(), bsd_signal(), sysv_signal() and sigaction() for SIGSEGV are intercepted;
 *     sigset() and a raw rt_sigaction system call are not.
 *   - A fault waits at most UNUM_SHM_TIMEOUT_MS (default 120000) for the agent; then the
 *     agent counts as lost. Once the agent is lost (EOF, timeout, protocol error) every region is
 *     PROT_NONE, the next fault raises SIGBUS and later calls fail with EIO; only a process
 *     that never had a region or helper tries to connect again on its next call.
 *   - fork: the child's regions are PROT_NONE; on its first call or fault the child says HELLO
 *     and, for every inherited region, ATTACH (the backing file must still be the one mapped,
 *     same device and inode) then ATTACHED with the inherited address, on its own session. A
 *     region the agent refuses then raises SIGBUS on its next fault. The child's helper thread is
 *     started by the atfork child handler (pthread_create is not allowed in a signal handler)
 *     and waits on a semaphore until the connection exists.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* ---- protocol ---- */
enum {
    OP_HELLO = 1, OP_HELLO_CALLBACKS = 2, OP_SHMGET = 3, OP_SHM_OPEN = 4, OP_SHM_UNLINK = 5,
    OP_ATTACH = 6, OP_ATTACHED = 7, OP_DETACH = 8, OP_RMID = 9, OP_STAT = 10, OP_TRUNCATE = 11,
    OP_FAULT = 12, OP_FAULT_DONE = 13, OP_PROTECT = 20, OP_PROTECT_DONE = 21,
    OP_SUSPEND = 22, OP_SUSPEND_DONE = 23,
    OP_RESULT = 100, OP_ATTACH_OK = 101, OP_STAT_OK = 102,
};
#define MAX_PAYLOAD 4096
#define PAGE 4096UL

struct hdr {
    uint32_t op;
    uint32_t len;
    uint64_t tag;
};

/* ---- tables ---- */
#define MAX_REGIONS 256
#define MAX_POSIX 256

enum { R_FREE = 0, R_LIVE = 1, R_DETACHING = 2 };

struct region {
    _Atomic int state;       /* R_FREE, R_LIVE, R_DETACHING */
    _Atomic int busy;        /* the helper thread is changing its protection */
    _Atomic int dead;        /* the agent refused it after a fork: faults raise SIGBUS */
    int announce;            /* inherited through fork: ATTACH + ATTACHED on the next connection */
    int moved;               /* a placeholder since SUSPEND: map the (new) node's file there again */
    _Atomic uintptr_t addr;
    _Atomic size_t size;     /* mapped length (a multiple of PAGE) */
    int shmid;
    int readonly;
    dev_t dev;               /* the backing file mapped, to notice a different one after fork */
    ino_t ino;
};

struct posix_obj {
    int used;
    int shmid;
    int rdonly;
    dev_t dev;
    ino_t ino;
};

static struct region regions[MAX_REGIONS];
static _Atomic int nregions_hint;  /* number of non-free regions, a fast "nothing to do" */
static struct posix_obj posix_objs[MAX_POSIX];
static _Atomic int nposix;

/* ---- state ---- */
static int enabled;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int timeout_ms = 120000;

static atomic_flag req_lock = ATOMIC_FLAG_INIT;
static _Atomic pid_t req_owner;
static int req_fd = -1;
static _Atomic int cb_fd = -1;
static uint64_t session;
static uint64_t next_tag = 1;
static _Atomic int connected;
static _Atomic int lost;
/*
 * Between SUSPEND (the process is about to be dumped by CRIU) and the helper's reconnection to
 * whichever agent then runs it: faults wait, and a grant that arrives late is not applied.
 * installing counts handlers applying a grant; with suspended it is a Dekker handshake, so the
 * helper never replaces a mapping under an mprotect that would open the placeholder.
 */
static _Atomic int suspended;
static _Atomic int installing;
static char ptr_path[256];   /* UNUM_SHM_POINTER: a file naming the socket of the agent running us */
static _Atomic int helper_running;  /* a helper thread exists (reading, or waiting for cb_fd) */
static sem_t helper_go;              /* a helper pre-started in a fork child waits for this */
static int helper_waits;
static unsigned char rxbuf[MAX_PAYLOAD + 16];
static unsigned char txbuf[MAX_PAYLOAD + 32];

/* The program's own SIGSEGV disposition, two slots so the handler never reads a torn one. */
static struct sigaction app_segv[2];
static _Atomic int app_segv_cur;
static atomic_flag app_segv_lock = ATOMIC_FLAG_INIT;

/* ---- libc ---- */
static int (*real_shmget)(key_t, size_t, int);
static void *(*real_shmat)(int, const void *, int);
static int (*real_shmdt)(const void *);
static int (*real_shmctl)(int, int, struct shmid_ds *);
static int (*real_shm_open)(const char *, int, mode_t);
static int (*real_shm_unlink)(const char *);
static int (*real_ftruncate)(int, off_t);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static int (*real_mprotect)(void *, size_t, int);
static void *(*real_mremap)(void *, size_t, size_t, int, ...);
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static sighandler_t (*real_signal)(int, sighandler_t);
static sighandler_t (*real_bsd_signal)(int, sighandler_t);
static sighandler_t (*real_sysv_signal)(int, sighandler_t);

static void resolve(void)
{
    if (real_sigaction) {
        return;
    }
    real_shmget = dlsym(RTLD_NEXT, "shmget");
    real_shmat = dlsym(RTLD_NEXT, "shmat");
    real_shmdt = dlsym(RTLD_NEXT, "shmdt");
    real_shmctl = dlsym(RTLD_NEXT, "shmctl");
    real_shm_open = dlsym(RTLD_NEXT, "shm_open");
    real_shm_unlink = dlsym(RTLD_NEXT, "shm_unlink");
    real_ftruncate = dlsym(RTLD_NEXT, "ftruncate");
    real_mmap = dlsym(RTLD_NEXT, "mmap");
    real_munmap = dlsym(RTLD_NEXT, "munmap");
    real_mprotect = dlsym(RTLD_NEXT, "mprotect");
    real_mremap = dlsym(RTLD_NEXT, "mremap");
    real_signal = dlsym(RTLD_NEXT, "signal");
    real_bsd_signal = dlsym(RTLD_NEXT, "bsd_signal");
    real_sysv_signal = dlsym(RTLD_NEXT, "sysv_signal");
    real_sigaction = dlsym(RTLD_NEXT, "sigaction");
}

/* Raw system calls for the paths that may run before resolve() (another constructor's mmap). */
static void *sys_mmap(void *a, size_t l, int p, int f, int fd, off_t o)
{
    if (real_mmap) {
        return real_mmap(a, l, p, f, fd, o);
    }
    long r = syscall(SYS_mmap, a, l, p, f, fd, o);
    return (void *)r;
}

static int sys_munmap(void *a, size_t l)
{
    return real_munmap ? real_munmap(a, l) : (int)syscall(SYS_munmap, a, l);
}

static int sys_mprotect(void *a, size_t l, int p)
{
    return (int)syscall(SYS_mprotect, a, l, p);
}

static pid_t my_tid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* ---- async-signal-safe messages ---- */
static size_t fmt_num(char *out, long long v)
{
    char tmp[24];
    size_t n = 0, k = 0;
    unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) {
        out[k++] = '-';
    }
    while (n) {
        out[k++] = tmp[--n];
    }
    return k;
}

static size_t fmt_str(char *out, size_t room, const char *s)
{
    size_t n = 0;
    while (s[n] && n < room) {
        out[n] = s[n];
        n++;
    }
    return n;
}

/* "unum-shm: <what>[ (segment <id>, page <n>)]\n" on stderr. */
static void say(const char *what, int shmid, long long page)
{
    char b[512];
    size_t n = 0;
    n += fmt_str(b + n, 200, "unum-shm: ");
    n += fmt_str(b + n, 200, what);
    if (shmid >= 0) {
        n += fmt_str(b + n, 20, " (segment ");
        n += fmt_num(b + n, shmid);
        if (page >= 0) {
            n += fmt_str(b + n, 20, ", page ");
            n += fmt_num(b + n, page);
        }
        b[n++] = ')';
    }
    b[n++] = '\n';
    ssize_t w = write(2, b, n);
    (void)w;
}

static const char *errno_text(long e)
{
    switch (e) {
    case EIO: return "the segment lost the page with a node (EIO)";
    case EIDRM: return "the segment was removed (EIDRM)";
    case ENOMEM: return "out of memory or mappings (ENOMEM)";
    case EACCES: return "access denied (EACCES)";
    case EINVAL: return "the agent does not know this region (EINVAL)";
    case ETIMEDOUT: return "the page did not arrive in time (ETIMEDOUT)";
    default: return "the agent refused the page";
    }
}

__attribute__((noreturn)) static void die_bus(const char *what, int shmid, long long page)
{
    say(what, shmid, page);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    if (real_sigaction) {
        real_sigaction(SIGBUS, &sa, NULL);
    } else {
        sigaction(SIGBUS, &sa, NULL);
    }
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGBUS);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    for (;;) {
        syscall(SYS_tgkill, getpid(), my_tid(), SIGBUS);
        _exit(128 + SIGBUS);
    }
}

/* ---- the requests lock ---- */

/* Normal paths: asynchronous signals are blocked while the lock is held, so no handler of this
 * thread can fault on a segment and spin on a lock its own thread holds. */
static void lock_normal(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGTRAP);
    pthread_sigmask(SIG_BLOCK, &all, old);
    while (atomic_flag_test_and_set_explicit(&req_lock, memory_order_acquire)) {
        sched_yield();
    }
    atomic_store(&req_owner, my_tid());
}

static void unlock_normal(const sigset_t *old)
{
    atomic_store(&req_owner, 0);
    atomic_flag_clear_explicit(&req_lock, memory_order_release);
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* The handler: 0, or -1 when this very thread holds the lock (it would never be released). */
static int lock_handler(void)
{
    pid_t me = my_tid();
    while (atomic_flag_test_and_set_explicit(&req_lock, memory_order_acquire)) {
        if (atomic_load(&req_owner) == me) {
            return -1;
        }
        sched_yield();
    }
    atomic_store(&req_owner, me);
    return 0;
}

static void unlock_handler(void)
{
    atomic_store(&req_owner, 0);
    atomic_flag_clear_explicit(&req_lock, memory_order_release);
}

/* ---- raw socket i/o ---- */
static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* 0 when len bytes arrived; -1 on EOF, error or timeout (deadline_ms < 0: none). */
static int recv_all(int fd, void *buf, size_t len, long long deadline_ms)
{
    char *p = buf;
    while (len) {
        if (deadline_ms >= 0) {
            long long left = deadline_ms - now_ms();
            if (left <= 0) {
                errno = ETIMEDOUT;
                return -1;
            }
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            int r = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
            if (r < 0 && errno != EINTR) {
                return -1;
            }
            if (r <= 0) {
                continue;
            }
        }
        ssize_t n = recv(fd, p, len, 0);
        if (n == 0) {
            errno = EPIPE;
            return -1;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int send_frame(int fd, uint32_t op, uint64_t tag, const void *payload, uint32_t len)
{
    struct hdr h = {op, len, tag};
    if (len + sizeof h > sizeof txbuf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(txbuf, &h, sizeof h);
    if (len) {
        memcpy(txbuf + sizeof h, payload, len);
    }
    return send_all(fd, txbuf, sizeof h + len);
}

/* Reads one frame into rxbuf (payload) with the lock held; *len its length. */
static int recv_frame(int fd, struct hdr *h, uint32_t *len, long long deadline)
{
    if (recv_all(fd, h, sizeof *h, deadline) < 0) {
        return -1;
    }
    if (h->len > MAX_PAYLOAD) {
        errno = EPROTO;
        return -1;
    }
    if (recv_all(fd, rxbuf, h->len, deadline) < 0) {
        return -1;
    }
    *len = h->len;
    return 0;
}

static void agent_lost(void);

/*
 * One request and its reply on the requests connection (lock held). Returns 0 and the reply's
 * payload in rxbuf; -1 when the agent is lost (then every region is PROT_NONE).
 */
static int request(uint32_t op, const void *payload, uint32_t len, uint32_t reply_op, uint32_t *reply_len)
{
    if (req_fd < 0 || atomic_load(&lost)) {
        return -1;
    }
    uint64_t tag = next_tag++;
    if (send_frame(req_fd, op, tag, payload, len) < 0) {
        agent_lost();
        return -1;
    }
    struct hdr h;
    uint32_t n;
    if (recv_frame(req_fd, &h, &n, now_ms() + timeout_ms) < 0 || h.op != reply_op || h.tag != tag) {
        agent_lost();
        return -1;
    }
    /* Short replies read as zeros. */
    if (n < 128) {
        memset(rxbuf + n, 0, 128 - n);
    }
    *reply_len = n;
    return 0;
}

static int64_t rd_i64(const unsigned char *p)
{
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* A request whose reply is RESULT: the value, or -EIO when the agent is lost. */
static int64_t request_result(uint32_t op, const void *payload, uint32_t len)
{
    uint32_t n;
    if (request(op, payload, len, OP_RESULT, &n) < 0) {
        return -EIO;
    }
    return rd_i64(rxbuf);
}

/* ---- regions ---- */
static struct region *find_region(uintptr_t a)
{
    if (atomic_load(&nregions_hint) == 0) {
        return NULL;
    }
    for (int i = 0; i < MAX_REGIONS; i++) {
        struct region *r = &regions[i];
        if (atomic_load_explicit(&r->state, memory_order_acquire) == R_FREE) {
            continue;
        }
        uintptr_t b = atomic_load(&r->addr);
        if (a >= b && a - b < atomic_load(&r->size)) {
            return r;
        }
    }
    return NULL;
}

/* The first region overlapping [a, a + len). */
static struct region *overlap_region(uintptr_t a, size_t len)
{
    if (atomic_load(&nregions_hint) == 0) {
        return NULL;
    }
    for (int i = 0; i < MAX_REGIONS; i++) {
        struct region *r = &regions[i];
        if (atomic_load_explicit(&r->state, memory_order_acquire) == R_FREE) {
            continue;
        }
        uintptr_t b = atomic_load(&r->addr);
        size_t s = atomic_load(&r->size);
        if (a < b + s && b < a + len) {
            return r;
        }
    }
    return NULL;
}

static void protect_all_none(void)
{
    for (int i = 0; i < MAX_REGIONS; i++) {
        struct region *r = &regions[i];
        if (atomic_load(&r->state) != R_FREE) {
            sys_mprotect((void *)atomic_load(&r->addr), atomic_load(&r->size), PROT_NONE);
        }
    }
}

/* The agent is gone: nothing in a region may be read or written any more (it could be stale). */
static void agent_lost(void)
{
    if (atomic_exchange(&lost, 1)) {
        return;
    }
    protect_all_none();
}

/* ---- the helper thread ---- */
static int suspend_for_move(int fd, const struct hdr *h);

static void *helper(void *arg)
{
    (void)arg;
    if (helper_waits) {
        while (sem_wait(&helper_go) < 0 && errno == EINTR) {
        }
    }
    int fd = atomic_load(&cb_fd);
    unsigned char buf[MAX_PAYLOAD];
    for (;;) {
        struct hdr h;
        if (fd < 0 || recv_all(fd, &h, sizeof h, -1) < 0 || h.len > MAX_PAYLOAD
            || recv_all(fd, buf, h.len, -1) < 0) {
            break;
        }
        if (h.op == OP_SUSPEND) {
            if (suspend_for_move(fd, &h) < 0) {
                break;
            }
            fd = atomic_load(&cb_fd);
            continue;
        }
        if (h.op != OP_PROTECT || h.len < 20) {
            break;
        }
        uint64_t addr, page;
        uint32_t prot, count = 1;
        memcpy(&addr, buf, 8);
        memcpy(&page, buf + 8, 8);
        memcpy(&prot, buf + 16, 4);
        if (h.len >= 24) {
            memcpy(&count, buf + 20, 4);  /* a run of pages lowered at once (read-ahead at the home) */
        }
        struct region *r = find_region((uintptr_t)addr);
        if (r) {
            atomic_fetch_add(&r->busy, 1);
            /* Re-checked after busy is up: a detaching region is left alone (it goes anyway). */
            uint64_t pages = atomic_load(&r->size) / PAGE;
            if (atomic_load(&r->state) == R_LIVE && atomic_load(&r->addr) == addr && page < pages) {
                uint64_t n = count < 1 ? 1 : count > pages - page ? pages - page : count;
                sys_mprotect((void *)(uintptr_t)(addr + page * PAGE), n * PAGE, (int)(prot & (PROT_READ | PROT_WRITE)));
            }
            atomic_fetch_sub(&r->busy, 1);
        }
        struct hdr d = {OP_PROTECT_DONE, h.len, h.tag};
        unsigned char out[sizeof d + MAX_PAYLOAD];
        memcpy(out, &d, sizeof d);
        memcpy(out + sizeof d, buf, h.len);
        if (send_all(fd, out, sizeof d + h.len) < 0) {
            break;
        }
    }
    agent_lost();
    return NULL;
}

/* Starts a helper thread with every signal blocked; go: it may read at once. */
static int start_helper(int go)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 64 * 1024);
    helper_waits = !go;
    if (!go) {
        sem_init(&helper_go, 0, 0);
    }
    pthread_t t;
    int rc = pthread_create(&t, &at, helper, NULL);
    pthread_attr_destroy(&at);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0) {
        atomic_store(&helper_running, 1);
        return 0;
    }
    return -1;
}

/* ---- connecting (lock held) ---- */
static int connect_socket(void)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, sock_path, sizeof sa.sun_path);
    while (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (errno == EINTR) {
            continue;
        }
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * ATTACH for a region this process already maps: the agent answers with its node's backing file
 * for the segment, copied to path. -1 (and the region dead) when the agent refuses.
 */
static int attach_again(struct region *r, char path[MAX_PAYLOAD + 1])
{
    unsigned char p[8];
    int32_t id = r->shmid;
    uint32_t fl = r->readonly ? SHM_RDONLY : 0;
    memcpy(p, &id, 4);
    memcpy(p + 4, &fl, 4);
    uint32_t n;
    if (request(OP_ATTACH, p, 8, OP_ATTACH_OK, &n) < 0) {
        return -1;
    }
    if (rd_i64(rxbuf) < 0 || n <= 16) {
        atomic_store(&r->dead, 1);
        return -1;
    }
    memcpy(path, rxbuf + 16, n - 16);
    path[n - 16] = 0;
    return 0;
}

/* ATTACHED: where the region is mapped, so that the agent can protect and open its pages. */
static void attached(struct region *r)
{
    unsigned char p[24];
    int32_t id = r->shmid;
    uint32_t ro = (uint32_t)r->readonly;
    uint64_t addr = atomic_load(&r->addr), size = atomic_load(&r->size);
    memcpy(p, &id, 4);
    memcpy(p + 4, &ro, 4);
    memcpy(p + 8, &addr, 8);
    memcpy(p + 16, &size, 8);
    if (request_result(OP_ATTACHED, p, 24) < 0) {
        atomic_store(&r->dead, 1);
    }
}

/*
 * Inherited through fork: tell the agent about the region on this process's own session. The
 * node's backing file must still be the one mapped, or the agent never sees its pages change.
 */
static void announce(struct region *r)
{
    char path[MAX_PAYLOAD + 1];
    if (attach_again(r, path) < 0) {
        return;
    }
    struct stat st;
    if (stat(path, &st) < 0 || st.st_dev != r->dev || st.st_ino != r->ino) {
        atomic_store(&r->dead, 1);
        return;
    }
    attached(r);
}

/*
 * This process's start time (field 22 of /proc/self/stat, clock ticks since boot): the same in
 * every pid namespace, so the agent, which sees host pids, can tell which process getpid() (a pid
 * of our namespace) means. Only async-signal-safe calls: it may run in the SIGSEGV handler.
 */
static uint64_t self_starttime(void)
{
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) {
        return 0;
    }
    buf[n] = 0;
    char *p = NULL;
    for (char *q = buf; *q; q++) {
        if (*q == ')') {
            p = q;
        }
    }
    if (!p) {
        return 0;
    }
    /* After ") " come fields 3, 4, ...: starttime is the 20th of them. */
    int field = 2;
    uint64_t v = 0;
    for (p++; *p; p++) {
        if (*p == ' ') {
            if (field == 22) {
                return v;
            }
            field++;
            continue;
        }
        if (field == 22) {
            if (*p < '0' || *p > '9') {
                break;
            }
            v = v * 10 + (uint64_t)(*p - '0');
        } else if (field > 22) {
            break;
        }
    }
    return v;
}

static int open_session(void);

/* 0 when connected; -1 when the agent cannot be reached (errno EIO). in_handler: no pthread_create. */
static int ensure_connected(int in_handler)
{
    if (atomic_load(&connected)) {
        return 0;
    }
    if (atomic_load(&suspended)) {
        errno = EAGAIN;  /* being moved: the helper reconnects */
        return -1;
    }
    if (atomic_load(&lost)) {
        errno = EIO;
        return -1;
    }
    if (open_session() < 0) {
        goto fail;
    }
    for (int i = 0; i < MAX_REGIONS; i++) {
        struct region *r = &regions[i];
        if (atomic_load(&r->state) != R_FREE && r->announce) {
            r->announce = 0;
            announce(r);
        }
    }
    if (atomic_load(&lost)) {
        goto fail;
    }
    if (atomic_load(&helper_running)) {
        sem_post(&helper_go);  /* pre-started in the fork child */
    } else if (in_handler || start_helper(1) < 0) {
        goto fail;
    }
    atomic_store(&connected, 1);
    return 0;
fail:
    agent_lost();
    if (!in_handler && !atomic_load(&helper_running) && atomic_load(&nregions_hint) == 0) {
        /* Nothing depends on this connection yet: the next call tries again (agent restarting). */
        if (req_fd >= 0) {
            close(req_fd);
        }
        if (atomic_load(&cb_fd) >= 0) {
            close(atomic_load(&cb_fd));
        }
        req_fd = -1;
        atomic_store(&cb_fd, -1);
        atomic_store(&lost, 0);
    }
    errno = EIO;
    return -1;
}

/* ---- moving (migration, checkpoint): SUSPEND on the callbacks connection ---- */

/*
 * The socket of the agent that runs this process now, as the pointer file says; 1 while it says
 * "hold": an agent is dumping this process, and a connection open at the freeze would end up in
 * CRIU's image (which refuses it) however quickly the agent closed it.
 */
static int follow_pointer(void)
{
    if (!ptr_path[0]) {
        return 0;
    }
    int fd = open(ptr_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    char buf[sizeof sock_path + 8];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) {
        n--;
    }
    if (n >= 5 && memcmp(buf, "hold ", 5) == 0) {
        return 1;
    }
    if (n > 0 && (size_t)n < sizeof sock_path) {
        buf[n] = 0;
        memcpy(sock_path, buf, (size_t)n + 1);
    }
    return 0;
}

/* HELLO on a new requests connection and on a new callbacks connection; lock held. */
static int open_session(void)
{
    int fd = connect_socket();
    if (fd < 0) {
        return -1;
    }
    req_fd = fd;
    unsigned char hello[16] = {0};
    uint32_t pid = (uint32_t)getpid();
    uint64_t start = self_starttime();
    memcpy(hello, &pid, 4);
    memcpy(hello + 8, &start, 8);
    int64_t s = request_result(OP_HELLO, hello, 16);
    if (s <= 0) {
        return -1;
    }
    session = (uint64_t)s;
    int cfd = connect_socket();
    if (cfd < 0) {
        return -1;
    }
    atomic_store(&cb_fd, cfd);
    struct hdr h;
    uint32_t n;
    if (send_frame(cfd, OP_HELLO_CALLBACKS, 1, &session, 8) < 0
        || recv_frame(cfd, &h, &n, now_ms() + timeout_ms) < 0 || h.op != OP_RESULT || rd_i64(rxbuf) != 0) {
        return -1;
    }
    return 0;
}

static void close_session(void)
{
    if (req_fd >= 0) {
        close(req_fd);
    }
    if (atomic_load(&cb_fd) >= 0) {
        close(atomic_load(&cb_fd));
    }
    req_fd = -1;
    atomic_store(&cb_fd, -1);
    atomic_store(&connected, 0);
    session = 0;
}

/* A moved region: the node's file mapped at its address again, on this session; lock held. */
static void remap_moved(struct region *r)
{
    char path[MAX_PAYLOAD + 1];
    if (attach_again(r, path) < 0) {
        atomic_store(&r->dead, 1);
        return;
    }
    int fd = open(path, (r->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        atomic_store(&r->dead, 1);
        return;
    }
    struct stat st;
    fstat(fd, &st);
    void *m = sys_mmap((void *)(uintptr_t)atomic_load(&r->addr), atomic_load(&r->size), PROT_NONE,
                       MAP_SHARED | MAP_FIXED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        atomic_store(&r->dead, 1);
        return;
    }
    r->dev = st.st_dev;
    r->ino = st.st_ino;
    attached(r);
    if (!atomic_load(&r->dead)) {
        r->moved = 0;
    }
}

/*
 * SUSPEND: the agent is about to dump this process. Every region becomes an anonymous PROT_NONE
 * placeholder (the pages stay with the node and the segment's home, never in the image), the
 * connections close (CRIU cannot carry them), and the helper dials again, every 50 ms, the agent
 * the pointer file names once it no longer says hold: the source's after a checkpoint or a failed move, the target's after a
 * restore. Then each region is mapped again from that node's copy, and faults go on.
 */
static int suspend_for_move(int fd, const struct hdr *h)
{
    unsigned char discard[MAX_PAYLOAD];
    if (h->len > 0 && recv_all(fd, discard, h->len, -1) < 0) {
        return -1;
    }
    atomic_store(&suspended, 1);
    while (atomic_load(&installing)) {
        sched_yield();
    }
    for (int i = 0; i < MAX_REGIONS; i++) {
        struct region *r = &regions[i];
        if (atomic_load(&r->state) == R_LIVE) {
            sys_mmap((void *)atomic_load(&r->addr), atomic_load(&r->size), PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
            r->moved = 1;
        }
    }
    struct hdr d = {OP_SUSPEND_DONE, 0, h->tag};
    if (send_all(fd, &d, sizeof d) < 0) {
        return -1;
    }
    sigset_t old;
    lock_normal(&old);
    close_session();
    unlock_normal(&old);
    for (;;) {
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
        lock_normal(&old);
        int ok = !follow_pointer() && open_session() == 0;
        if (ok) {
            for (int i = 0; i < MAX_REGIONS; i++) {
                struct region *r = &regions[i];
                if (atomic_load(&r->state) == R_LIVE && r->moved) {
                    remap_moved(r);
                }
            }
            atomic_store(&connected, 1);
        } else {
            /* Not there yet (still dumping, restoring, or refusing us meanwhile): dial again. */
            close_session();
            atomic_store(&lost, 0);
        }
        unlock_normal(&old);
        if (ok) {
            atomic_store(&suspended, 0);
            return 0;
        }
    }
}

/* ---- fork ---- */
static void atfork_prepare(void)
{
    if (!enabled) {
        return;
    }
    sigset_t old;
    lock_normal(&old);
    /* Keep the mask as it was: only the lock stays taken over fork. */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void atfork_parent(void)
{
    if (!enabled) {
        return;
    }
    atomic_store(&req_owner, 0);
    atomic_flag_clear_explicit(&req_lock, memory_order_release);
}

static void atfork_child(void)
{
    if (!enabled) {
        return;
    }
    if (req_fd >= 0) {
        close(req_fd);
    }
    int c = atomic_load(&cb_fd);
    if (c >= 0) {
        close(c);
    }
    req_fd = -1;
    atomic_store(&cb_fd, -1);
    atomic_store(&connected, 0);
    atomic_store(&helper_running, 0);
    atomic_store(&lost, 0);
    session = 0;
    int any = 0;
    for (int i = 0; i < MAX_REGIONS; i++) {
        struct region *r = &regions[i];
        if (atomic_load(&r->state) == R_FREE) {
            continue;
        }
        if (atomic_load(&r->state) == R_DETACHING) {
            /* The parent was detaching it: the child has no business with it. */
            continue;
        }
        sys_mprotect((void *)atomic_load(&r->addr), atomic_load(&r->size), PROT_NONE);
        atomic_store(&r->busy, 0);
        r->announce = 1;
        any = 1;
    }
    /*
     * The child's first use of a region may be a fault, where pthread_create is not allowed: the
     * helper is started here and waits until the connection exists.
     */
    if (any) {
        start_helper(0);
    }
    atomic_store(&req_owner, 0);
    atomic_flag_clear_explicit(&req_lock, memory_order_release);
}

/* ---- the SIGSEGV handler ---- */
static void chain(int sig, siginfo_t *si, void *ctx)
{
    struct sigaction a = app_segv[atomic_load(&app_segv_cur)];
    if (a.sa_handler == SIG_DFL || (a.sa_handler == SIG_IGN && si->si_code > 0)) {
        struct sigaction d;
        memset(&d, 0, sizeof d);
        d.sa_handler = SIG_DFL;
        real_sigaction(SIGSEGV, &d, NULL);
        if (si->si_code <= 0) {
            /* Sent, not a fault: returning would not repeat it. */
            raise(SIGSEGV);
        }
        return;  /* the fault repeats, now with the default action */
    }
    if (a.sa_handler == SIG_IGN) {
        return;
    }
    if (a.sa_flags & SA_RESETHAND) {
        struct sigaction d;
        memset(&d, 0, sizeof d);
        d.sa_handler = SIG_DFL;
        int next = !atomic_load(&app_segv_cur);
        app_segv[next] = d;
        atomic_store(&app_segv_cur, next);
    }
    sigset_t m = a.sa_mask, old;
    if (!(a.sa_flags & SA_NODEFER)) {
        sigaddset(&m, SIGSEGV);
    }
    pthread_sigmask(SIG_BLOCK, &m, &old);
    if (a.sa_flags & SA_SIGINFO) {
        a.sa_sigaction(sig, si, ctx);
    } else {
        a.sa_handler(sig);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static int fault_is_write(void *ctx, const struct region *r)
{
#if defined(__x86_64__)
    (void)r;
    ucontext_t *uc = ctx;
    return (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
#else
    (void)ctx;
    return !r->readonly;  /* no write bit here: ask for all the region allows */
#endif
}

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    int saved = errno;
    struct region *r = si->si_code > 0 ? find_region((uintptr_t)si->si_addr) : NULL;
    int write = r ? fault_is_write(ctx, r) : 0;
    if (!r || (write && r->readonly)) {
        errno = saved;
        chain(sig, si, ctx);
        return;
    }
    uintptr_t base = atomic_load(&r->addr);
    uint64_t page = ((uintptr_t)si->si_addr - base) / PAGE;
    int shmid = r->shmid;
    if (atomic_load(&suspended)) {
        /* Being moved: the helper maps the segment again once the agent that runs us answers. */
        long long deadline = now_ms() + timeout_ms;
        while (atomic_load(&suspended)) {
            if (now_ms() > deadline) {
                die_bus("moved, and no node agent took the process back", shmid, (long long)page);
            }
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        errno = saved;
        return;  /* the instruction runs again, on the mapping as it is now */
    }
    if (lock_handler() < 0) {
        die_bus("a fault while this thread talks to the node agent", shmid, (long long)page);
    }
    if (atomic_load(&lost) || ensure_connected(1) < 0) {
        unlock_handler();
        die_bus("lost the node agent", shmid, (long long)page);
    }
    if (atomic_load(&r->state) != R_LIVE || atomic_load(&r->addr) != base) {
        /* Detached meanwhile by another thread: a fault like any other. */
        unlock_handler();
        errno = saved;
        chain(sig, si, ctx);
        return;
    }
    if (atomic_load(&r->dead)) {
        unlock_handler();
        die_bus("the segment is gone from this node since the fork", shmid, (long long)page);
    }
    unsigned char p[20];
    uint64_t a = base;
    uint32_t w = (uint32_t)write;
    memcpy(p, &a, 8);
    memcpy(p + 8, &page, 8);
    memcpy(p + 16, &w, 4);
    int64_t granted = request_result(OP_FAULT, p, 20);
    if (granted < 0) {
        unlock_handler();
        die_bus(atomic_load(&lost) ? "lost the node agent" : errno_text(-granted), shmid, (long long)page);
    }
    /* The protection, and above its low byte how many pages from this one it opens (read-ahead). */
    int prot = (int)(granted & (PROT_READ | PROT_WRITE));
    uint64_t count = (uint64_t)granted >> 8;
    uint64_t left = atomic_load(&r->size) / PAGE - page;
    if (count < 1 || count > left) {
        count = count < 1 ? 1 : left;
    }
    int mp = 0;
    atomic_fetch_add(&installing, 1);
    if (!atomic_load(&suspended)) {
        mp = sys_mprotect((void *)(base + page * PAGE), count * PAGE, prot);
    }
    atomic_fetch_sub(&installing, 1);
    /* The agent holds the page until FAULT_DONE, whatever happened here. */
    int sent = send_frame(req_fd, OP_FAULT_DONE, next_tag++, p, 16);
    if (sent < 0) {
        agent_lost();
    }
    unlock_handler();
    if (mp < 0) {
        die_bus("cannot change the protection of a page (vm.max_map_count?)", shmid, (long long)page);
    }
    if (sent < 0) {
        die_bus("lost the node agent", shmid, (long long)page);
    }
    errno = saved;
}

/* ---- setup ---- */
__attribute__((constructor)) static void unum_shm_init(void)
{
    resolve();
    const char *s = getenv("UNUM_SHM_SOCKET");
    if (!s || !*s || strlen(s) >= sizeof sock_path) {
        return;
    }
    if (sysconf(_SC_PAGESIZE) != (long)PAGE) {
        say("pages are not 4 KiB here: cluster shared memory is off", -1, -1);
        return;
    }
    strcpy(sock_path, s);
    const char *ptr = getenv("UNUM_SHM_POINTER");
    if (ptr && strlen(ptr) < sizeof ptr_path) {
        strcpy(ptr_path, ptr);
    }
    const char *t = getenv("UNUM_SHM_TIMEOUT_MS");
    if (t && atoi(t) > 0) {
        timeout_ms = atoi(t);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESTART | SA_ONSTACK;
    if (real_sigaction(SIGSEGV, &sa, &app_segv[0]) < 0) {
        return;
    }
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
    enabled = 1;
}

/* ---- System V ---- */
EXPORT int shmget(key_t key, size_t size, int shmflg)
{
    resolve();
    if (!enabled) {
        return real_shmget(key, size, shmflg);
    }
    sigset_t old;
    lock_normal(&old);
    int64_t r;
    if (ensure_connected(0) < 0) {
        r = -EIO;
    } else {
        unsigned char p[16];
        int32_t k = key;
        uint32_t f = (uint32_t)shmflg;
        uint64_t sz = size;
        memcpy(p, &k, 4);
        memcpy(p + 4, &f, 4);
        memcpy(p + 8, &sz, 8);
        r = request_result(OP_SHMGET, p, 16);
    }
    unlock_normal(&old);
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return (int)r;
}

static struct region *free_region(void)
{
    for (int i = 0; i < MAX_REGIONS; i++) {
        if (atomic_load(&regions[i].state) == R_FREE) {
            return &regions[i];
        }
    }
    return NULL;
}

/*
 * ATTACH, map the backing file PROT_NONE, ATTACHED; lock held. Returns the address or
 * MAP_FAILED with errno.
 */
static void *attach_locked(int shmid, void *want, int fixed_replace, int readonly, size_t maplen_or_0)
{
    if (ensure_connected(0) < 0) {
        return MAP_FAILED;
    }
    struct region *slot = free_region();
    if (!slot) {
        errno = EMFILE;
        return MAP_FAILED;
    }
    unsigned char p[24];
    int32_t id = shmid;
    uint32_t fl = readonly ? SHM_RDONLY : 0;
    memcpy(p, &id, 4);
    memcpy(p + 4, &fl, 4);
    uint32_t n;
    if (request(OP_ATTACH, p, 8, OP_ATTACH_OK, &n) < 0) {
        errno = EIO;
        return MAP_FAILED;
    }
    int64_t res = rd_i64(rxbuf);
    if (res < 0) {
        errno = (int)-res;
        return MAP_FAILED;
    }
    uint64_t size;
    memcpy(&size, rxbuf + 8, 8);
    if (n <= 16) {
        errno = EPROTO;
        return MAP_FAILED;
    }
    char path[MAX_PAYLOAD + 1];
    memcpy(path, rxbuf + 16, n - 16);
    path[n - 16] = 0;
    size_t len = maplen_or_0 ? maplen_or_0 : size;
    len = (len + PAGE - 1) & ~(PAGE - 1);
    if (len == 0 || len > ((size + PAGE - 1) & ~(PAGE - 1))) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        say("cannot open the node's backing file", shmid, -1);
        errno = e == ENOENT ? EIDRM : e;
        return MAP_FAILED;
    }
    struct stat st;
    fstat(fd, &st);
    int flags = MAP_SHARED;
    if (want) {
        flags |= fixed_replace ? MAP_FIXED : MAP_FIXED_NOREPLACE;
    }
    void *m = sys_mmap(want, len, PROT_NONE, flags, fd, 0);
    int e = errno;
    close(fd);
    if (m == MAP_FAILED) {
        errno = (e == EEXIST) ? EINVAL : e;
        return MAP_FAILED;
    }
    if (want && m != want) {  /* an old kernel ignoring MAP_FIXED_NOREPLACE */
        sys_munmap(m, len);
        errno = EINVAL;
        return MAP_FAILED;
    }
    uint64_t addr = (uintptr_t)m, sz = len;
    uint32_t ro = (uint32_t)readonly;
    memcpy(p, &id, 4);
    memcpy(p + 4, &ro, 4);
    memcpy(p + 8, &addr, 8);
    memcpy(p + 16, &sz, 8);
    int64_t r = request_result(OP_ATTACHED, p, 24);
    if (r < 0) {
        sys_munmap(m, len);
        errno = (int)-r;
        return MAP_FAILED;
    }
    slot->shmid = shmid;
    slot->readonly = readonly;
    slot->dev = st.st_dev;
    slot->ino = st.st_ino;
    slot->announce = 0;
    atomic_store(&slot->dead, 0);
    atomic_store(&slot->busy, 0);
    atomic_store(&slot->addr, addr);
    atomic_store(&slot->size, len);
    atomic_store_explicit(&slot->state, R_LIVE, memory_order_release);
    atomic_fetch_add(&nregions_hint, 1);
    return m;
}

/* DETACH and unmap; lock held. 0 or -1 with errno. */
static int detach_locked(struct region *r)
{
    atomic_store(&r->state, R_DETACHING);
    while (atomic_load(&r->busy)) {
        sched_yield();
    }
    uintptr_t a = atomic_load(&r->addr);
    size_t s = atomic_load(&r->size);
    int64_t res = 0;
    if (!r->announce && !atomic_load(&r->dead) && ensure_connected(0) == 0) {
        uint64_t a64 = a;
        res = request_result(OP_DETACH, &a64, 8);
    }
    /* The mapping goes whatever the agent said: the program asked for it to go. */
    sys_munmap((void *)a, s);
    atomic_store(&r->size, 0);
    atomic_store(&r->addr, 0);
    atomic_store_explicit(&r->state, R_FREE, memory_order_release);
    atomic_fetch_sub(&nregions_hint, 1);
    if (res < 0 && res != -EIO) {
        errno = (int)-res;
        return -1;
    }
    return 0;
}

EXPORT void *shmat(int shmid, const void *shmaddr, int shmflg)
{
    resolve();
    if (!enabled) {
        return real_shmat(shmid, shmaddr, shmflg);
    }
    void *want = (void *)shmaddr;
    if (want) {
        if (shmflg & SHM_RND) {
            want = (void *)((uintptr_t)want & ~(uintptr_t)(SHMLBA - 1));
        } else if ((uintptr_t)want & (PAGE - 1)) {
            errno = EINVAL;
            return (void *)-1;
        }
    } else if (shmflg & SHM_REMAP) {
        errno = EINVAL;
        return (void *)-1;
    }
    sigset_t old;
    lock_normal(&old);
    void *m = attach_locked(shmid, want, (shmflg & SHM_REMAP) != 0, (shmflg & SHM_RDONLY) != 0, 0);
    int e = errno;
    unlock_normal(&old);
    errno = e;
    return m == MAP_FAILED ? (void *)-1 : m;
}

EXPORT int shmdt(const void *shmaddr)
{
    resolve();
    if (!enabled) {
        return real_shmdt(shmaddr);
    }
    sigset_t old;
    lock_normal(&old);
    struct region *r = find_region((uintptr_t)shmaddr);
    int rc;
    if (r && atomic_load(&r->state) == R_LIVE && atomic_load(&r->addr) == (uintptr_t)shmaddr) {
        rc = detach_locked(r);
    } else {
        rc = -2;
    }
    int e = errno;
    unlock_normal(&old);
    if (rc == -2) {
        return real_shmdt(shmaddr);  /* not ours: the kernel's (EINVAL) */
    }
    errno = e;
    return rc;
}

EXPORT int shmctl(int shmid, int cmd, struct shmid_ds *buf)
{
    resolve();
    if (!enabled) {
        return real_shmctl(shmid, cmd, buf);
    }
    int c = cmd & ~0x0100;  /* IPC_64 */
    if (c == IPC_INFO) {
        struct shminfo *i = (struct shminfo *)buf;
        if (!i) {
            errno = EFAULT;
            return -1;
        }
        memset(i, 0, sizeof *i);
        i->shmmax = (unsigned long)1 << 40;
        i->shmmin = 1;
        i->shmmni = 4096;
        i->shmseg = MAX_REGIONS;
        i->shmall = ((unsigned long)1 << 40) / PAGE;
        return 0;
    }
    if (c == SHM_INFO) {
        struct shm_info *i = (struct shm_info *)buf;
        if (!i) {
            errno = EFAULT;
            return -1;
        }
        memset(i, 0, sizeof *i);
        for (int k = 0; k < MAX_REGIONS; k++) {
            if (atomic_load(&regions[k].state) != R_FREE) {
                i->used_ids++;
                i->shm_tot += atomic_load(&regions[k].size) / PAGE;
            }
        }
        return 0;
    }
    if (c == SHM_LOCK || c == SHM_UNLOCK) {
        errno = EINVAL;
        return -1;
    }
    if (c != IPC_STAT && c != SHM_STAT && c != SHM_STAT_ANY && c != IPC_RMID && c != IPC_SET) {
        errno = EINVAL;
        return -1;
    }
    if ((c == IPC_STAT || c == SHM_STAT || c == SHM_STAT_ANY || c == IPC_SET) && !buf) {
        errno = EFAULT;
        return -1;
    }
    sigset_t old;
    lock_normal(&old);
    int64_t res;
    struct shmid_ds ds;
    memset(&ds, 0, sizeof ds);
    if (ensure_connected(0) < 0) {
        res = -EIO;
    } else if (c == IPC_RMID) {
        int32_t id = shmid;
        res = request_result(OP_RMID, &id, 4);
    } else {
        int32_t id = shmid;
        uint32_t n;
        if (request(OP_STAT, &id, 4, OP_STAT_OK, &n) < 0) {
            res = -EIO;
        } else {
            const unsigned char *q = rxbuf;
            res = rd_i64(q);
            uint64_t size;
            int32_t key;
            uint32_t mode, nattch;
            memcpy(&size, q + 8, 8);
            memcpy(&key, q + 16, 4);
            memcpy(&mode, q + 20, 4);
            memcpy(&nattch, q + 24, 4);
            ds.shm_segsz = size;
            ds.shm_perm.__key = key;
            ds.shm_perm.mode = (unsigned short)mode;
            ds.shm_perm.uid = ds.shm_perm.cuid = geteuid();
            ds.shm_perm.gid = ds.shm_perm.cgid = getegid();
            ds.shm_nattch = nattch;
            ds.shm_cpid = (pid_t)rd_i64(q + 32);
            ds.shm_lpid = (pid_t)rd_i64(q + 40);
            ds.shm_atime = rd_i64(q + 48);
            ds.shm_dtime = rd_i64(q + 56);
            ds.shm_ctime = rd_i64(q + 64);
        }
    }
    unlock_normal(&old);
    if (res < 0) {
        errno = (int)-res;
        return -1;
    }
    if (c == IPC_STAT || c == SHM_STAT || c == SHM_STAT_ANY) {
        *buf = ds;
        return c == IPC_STAT ? 0 : shmid;
    }
    return 0;  /* IPC_RMID; IPC_SET: the segment exists, the new owner and mode are ignored */
}

/* ---- POSIX ---- */
static struct posix_obj *posix_of_fd(int fd)
{
    if (fd < 0 || atomic_load(&nposix) == 0) {
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        return NULL;
    }
    for (int i = 0; i < MAX_POSIX; i++) {
        struct posix_obj *o = &posix_objs[i];
        if (o->used && o->ino == st.st_ino && o->dev == st.st_dev) {
            return o;
        }
    }
    return NULL;
}

/* The table is full: forget the objects no open descriptor of the process shows any more. */
static void posix_gc(void)
{
    char keep[MAX_POSIX];
    memset(keep, 0, sizeof keep);
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        int fd = atoi(e->d_name);
        struct stat st;
        if (e->d_name[0] == '.' || fd == dirfd(d) || fstat(fd, &st) < 0) {
            continue;
        }
        for (int i = 0; i < MAX_POSIX; i++) {
            if (posix_objs[i].used && posix_objs[i].ino == st.st_ino && posix_objs[i].dev == st.st_dev) {
                keep[i] = 1;
            }
        }
    }
    closedir(d);
    for (int i = 0; i < MAX_POSIX; i++) {
        if (posix_objs[i].used && !keep[i]) {
            posix_objs[i].used = 0;
            atomic_fetch_sub(&nposix, 1);
        }
    }
}

EXPORT int shm_open(const char *name, int oflag, mode_t mode)
{
    resolve();
    if (!enabled) {
        return real_shm_open(name, oflag, mode);
    }
    size_t nl = name ? strlen(name) : 0;
    if (nl == 0 || nl > 255 || nl + 8 > MAX_PAYLOAD) {
        errno = nl ? ENAMETOOLONG : EINVAL;
        return -1;
    }
    /* glibc's shm_open skips the leading slashes; the agent gets exactly one. */
    while (*name == '/') {
        name++;
    }
    nl = strlen(name);
    if (nl == 0 || strchr(name, '/')) {
        errno = EINVAL;
        return -1;
    }
    unsigned char p[8 + 1 + 256];
    uint32_t of = (uint32_t)oflag, md = (uint32_t)mode;
    memcpy(p, &of, 4);
    memcpy(p + 4, &md, 4);
    p[8] = '/';
    memcpy(p + 9, name, nl);
    sigset_t old;
    lock_normal(&old);
    int fd = -1, e = 0;
    int64_t id = ensure_connected(0) < 0 ? -EIO : request_result(OP_SHM_OPEN, p, (uint32_t)(9 + nl));
    uint64_t size = 0;
    if (id >= 0) {
        int32_t i32 = (int32_t)id;
        uint32_t n;
        if (request(OP_STAT, &i32, 4, OP_STAT_OK, &n) < 0) {
            id = -EIO;
        } else if (rd_i64(rxbuf) < 0) {
            id = rd_i64(rxbuf);
        } else {
            memcpy(&size, rxbuf + 8, 8);
        }
    }
    if (id < 0) {
        e = (int)-id;
    } else {
        if (atomic_load(&nposix) >= MAX_POSIX) {
            posix_gc();
        }
        struct posix_obj *slot = NULL;
        for (int i = 0; i < MAX_POSIX && !slot; i++) {
            if (!posix_objs[i].used) {
                slot = &posix_objs[i];
            }
        }
        char mname[280] = "unum-shm:";
        strncat(mname, name, 250);
        struct stat st;
        if (!slot) {
            e = EMFILE;
        } else if ((fd = memfd_create(mname, MFD_CLOEXEC)) < 0) {
            e = errno;
        } else if (real_ftruncate(fd, (off_t)size) < 0 || fstat(fd, &st) < 0) {
            e = errno;
            close(fd);
            fd = -1;
        } else {
            slot->used = 1;
            slot->shmid = (int)id;
            slot->rdonly = (oflag & O_ACCMODE) == O_RDONLY;
            slot->dev = st.st_dev;
            slot->ino = st.st_ino;
            atomic_fetch_add(&nposix, 1);
        }
    }
    unlock_normal(&old);
    if (fd < 0) {
        errno = e;
    }
    return fd;
}

EXPORT int shm_unlink(const char *name)
{
    resolve();
    if (!enabled) {
        return real_shm_unlink(name);
    }
    size_t nl = name ? strlen(name) : 0;
    while (nl && *name == '/') {
        name++;
        nl--;
    }
    if (nl == 0 || nl > 255 || strchr(name, '/')) {
        errno = nl > 255 ? ENAMETOOLONG : (nl ? EINVAL : ENOENT);
        return -1;
    }
    unsigned char p[1 + 256];
    p[0] = '/';
    memcpy(p + 1, name, nl);
    sigset_t old;
    lock_normal(&old);
    int64_t r = ensure_connected(0) < 0 ? -EIO : request_result(OP_SHM_UNLINK, p, (uint32_t)(1 + nl));
    unlock_normal(&old);
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return 0;
}

EXPORT int ftruncate(int fd, off_t length)
{
    resolve();
    if (!enabled) {
        return real_ftruncate(fd, length);
    }
    sigset_t old;
    lock_normal(&old);
    struct posix_obj *o = posix_of_fd(fd);
    int64_t r = 0;
    if (o) {
        if (length < 0) {
            r = -EINVAL;
        } else if (o->rdonly) {
            r = -EINVAL;  /* as the kernel says for a descriptor not open for writing */
        } else if (ensure_connected(0) < 0) {
            r = -EIO;
        } else {
            unsigned char p[16];
            int32_t id = o->shmid;
            uint32_t pad = 0;
            uint64_t sz = (uint64_t)length;
            memcpy(p, &id, 4);
            memcpy(p + 4, &pad, 4);
            memcpy(p + 8, &sz, 8);
            r = request_result(OP_TRUNCATE, p, 16);
        }
    }
    unlock_normal(&old);
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return real_ftruncate(fd, length);  /* ours: the placeholder follows the segment */
}

EXPORT int ftruncate64(int fd, off_t length)
{
    return ftruncate(fd, length);
}

EXPORT void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
    if (!enabled || fd < 0 || (flags & MAP_ANONYMOUS) || atomic_load(&nposix) == 0) {
        return sys_mmap(addr, length, prot, flags, fd, offset);
    }
    sigset_t old;
    lock_normal(&old);
    struct posix_obj *o = posix_of_fd(fd);
    if (!o) {
        unlock_normal(&old);
        return sys_mmap(addr, length, prot, flags, fd, offset);
    }
    void *m;
    int type = flags & MAP_TYPE;
    if ((type != MAP_SHARED && type != MAP_SHARED_VALIDATE) || offset != 0 || length == 0) {
        errno = EINVAL;
        m = MAP_FAILED;
    } else if (o->rdonly && (prot & PROT_WRITE)) {
        errno = EACCES;
        m = MAP_FAILED;
    } else if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && ((uintptr_t)addr & (PAGE - 1))) {
        errno = EINVAL;
        m = MAP_FAILED;
    } else {
        void *want = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) ? addr : NULL;
        m = attach_locked(o->shmid, want, (flags & MAP_FIXED) != 0, !(prot & PROT_WRITE), length);
        if (m == MAP_FAILED && (flags & MAP_FIXED_NOREPLACE) && errno == EINVAL) {
            errno = EEXIST;
        }
    }
    int e = errno;
    unlock_normal(&old);
    errno = e;
    return m;
}

EXPORT void *mmap64(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
    return mmap(addr, length, prot, flags, fd, offset);
}

EXPORT int munmap(void *addr, size_t length)
{
    if (!enabled || atomic_load(&nregions_hint) == 0) {
        return sys_munmap(addr, length);
    }
    uintptr_t a = (uintptr_t)addr;
    if (!overlap_region(a, length)) {
        return sys_munmap(addr, length);
    }
    sigset_t old;
    lock_normal(&old);
    struct region *r = overlap_region(a, length);
    int rc;
    size_t len = (length + PAGE - 1) & ~(PAGE - 1);
    if (!r) {
        rc = -2;
    } else if (atomic_load(&r->state) == R_LIVE && atomic_load(&r->addr) == a && atomic_load(&r->size) == len) {
        rc = detach_locked(r);
    } else {
        errno = EINVAL;  /* part of a region, or more than one */
        rc = -1;
    }
    int e = errno;
    unlock_normal(&old);
    if (rc == -2) {
        return sys_munmap(addr, length);
    }
    errno = e;
    return rc;
}

/* A region's protections belong to the agent: the program may not change them. */
EXPORT int mprotect(void *addr, size_t len, int prot)
{
    resolve();
    if (enabled && overlap_region((uintptr_t)addr, len)) {
        errno = EINVAL;
        return -1;
    }
    return real_mprotect ? real_mprotect(addr, len, prot) : sys_mprotect(addr, len, prot);
}

EXPORT void *mremap(void *old_address, size_t old_size, size_t new_size, int flags, ...)
{
    resolve();
    va_list ap;
    va_start(ap, flags);
    void *new_address = (flags & MREMAP_FIXED) ? va_arg(ap, void *) : NULL;
    va_end(ap);
    if (enabled && (overlap_region((uintptr_t)old_address, old_size ? old_size : 1)
                    || ((flags & MREMAP_FIXED) && overlap_region((uintptr_t)new_address, new_size)))) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    return real_mremap(old_address, old_size, new_size, flags, new_address);
}

/* ---- the program's SIGSEGV handler ---- */
EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *oact)
{
    resolve();
    if (!enabled || sig != SIGSEGV) {
        return real_sigaction(sig, act, oact);
    }
    while (atomic_flag_test_and_set(&app_segv_lock)) {
        sched_yield();
    }
    int cur = atomic_load(&app_segv_cur);
    struct sigaction prev = app_segv[cur];
    if (act) {
        app_segv[!cur] = *act;
        atomic_store(&app_segv_cur, !cur);
    }
    atomic_flag_clear(&app_segv_lock);
    if (oact) {
        *oact = prev;
    }
    return 0;
}

static sighandler_t set_segv(sighandler_t h, int flags, int deferself)
{
    struct sigaction a, o;
    memset(&a, 0, sizeof a);
    a.sa_handler = h;
    sigemptyset(&a.sa_mask);
    if (deferself) {
        sigaddset(&a.sa_mask, SIGSEGV);
    }
    a.sa_flags = flags;
    if (sigaction(SIGSEGV, &a, &o) < 0) {
        return SIG_ERR;
    }
    return o.sa_handler;
}

EXPORT sighandler_t signal(int sig, sighandler_t h)
{
    resolve();
    if (!enabled || sig != SIGSEGV) {
        return real_signal(sig, h);
    }
    return set_segv(h, SA_RESTART, 1);
}

EXPORT sighandler_t bsd_signal(int sig, sighandler_t h)
{
    resolve();
    if (!enabled || sig != SIGSEGV) {
        return real_bsd_signal(sig, h);
    }
    return set_segv(h, SA_RESTART, 1);
}

EXPORT sighandler_t sysv_signal(int sig, sighandler_t h)
{
    resolve();
    if (!enabled || sig != SIGSEGV) {
        return real_sysv_signal(sig, h);
    }
    return set_segv(h, SA_RESETHAND | SA_NODEFER, 0);
}
