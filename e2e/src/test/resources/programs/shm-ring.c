/*
 * shm-ring: a single-producer single-consumer ring buffer in shared memory, to check that two
 * processes see each other's writes in order (Unum's cluster-wide shared memory, or the kernel's).
 *
 *   shm-ring sysv|posix writer|reader KEY_OR_NAME COUNT [keep]
 *
 * The segment: a header (head on its first page, tail on its second) and SLOTS messages of
 * SLOT bytes. The writer creates the segment (or attaches if it exists), writes "msg <i> <sum>"
 * for i = 0..COUNT-1, waiting while the ring is full, prints "sent COUNT", waits until the reader
 * consumed everything and removes the segment. The reader attaches (retrying for 30 s while the
 * segment does not exist yet), checks order and checksum of every message and prints
 * "received COUNT in order" or "ERROR ...". Exit 0 on success, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 1024
#define SLOT 64
#define HEADER 8192
#define SIZE (HEADER + SLOTS * SLOT)

struct ring {
    _Atomic uint64_t head;  /* messages written */
    char pad[4096 - sizeof(uint64_t)];
    _Atomic uint64_t tail;  /* messages consumed */
};

static uint32_t checksum(uint64_t i)
{
    uint32_t h = 2166136261u;
    for (int k = 0; k < 8; k++) {
        h = (h ^ (uint32_t)((i >> (8 * k)) & 0xff)) * 16777619u;
    }
    return h;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *attach_sysv(key_t key, int create)
{
    double deadline = now() + 30;
    for (;;) {
        int id = shmget(key, SIZE, create ? IPC_CREAT | 0666 : 0666);
        if (id >= 0) {
            void *p = shmat(id, NULL, 0);
            if (p == (void *)-1) {
                fprintf(stderr, "ERROR shmat: %s\n", strerror(errno));
                exit(1);
            }
            return p;
        }
        if (errno != ENOENT || now() > deadline) {
            fprintf(stderr, "ERROR shmget: %s\n", strerror(errno));
            exit(1);
        }
        usleep(10000);
    }
}

static void *attach_posix(const char *name, int create)
{
    double deadline = now() + 30;
    for (;;) {
        int fd = shm_open(name, create ? O_CREAT | O_RDWR : O_RDWR, 0666);
        if (fd >= 0) {
            struct stat st;
            if (fstat(fd, &st) < 0) {
                fprintf(stderr, "ERROR fstat: %s\n", strerror(errno));
                exit(1);
            }
            if (st.st_size < SIZE && create && ftruncate(fd, SIZE) < 0) {
                fprintf(stderr, "ERROR ftruncate: %s\n", strerror(errno));
                exit(1);
            }
            if (st.st_size >= SIZE || create) {
                void *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
                if (p == MAP_FAILED) {
                    fprintf(stderr, "ERROR mmap: %s\n", strerror(errno));
                    exit(1);
                }
                close(fd);
                return p;
            }
            close(fd);  /* the writer has not sized it yet */
            errno = ENOENT;
        }
        if (errno != ENOENT || now() > deadline) {
            fprintf(stderr, "ERROR shm_open: %s\n", strerror(errno));
            exit(1);
        }
        usleep(10000);
    }
}

int main(int argc, char **argv)
{
    if ((argc != 5 && argc != 6) || (strcmp(argv[1], "sysv") && strcmp(argv[1], "posix"))
        || (strcmp(argv[2], "writer") && strcmp(argv[2], "reader"))) {
        fprintf(stderr, "usage: shm-ring sysv|posix writer|reader KEY_OR_NAME COUNT\n");
        return 2;
    }
    int sysv = !strcmp(argv[1], "sysv");
    int writer = !strcmp(argv[2], "writer");
    uint64_t count = strtoull(argv[4], NULL, 10);
    key_t key = (key_t)strtol(argv[3], NULL, 0);
    char *base = sysv ? attach_sysv(key, writer) : attach_posix(argv[3], writer);
    struct ring *r = (struct ring *)base;
    char *slots = base + HEADER;
    setvbuf(stdout, NULL, _IONBF, 0);

    if (writer) {
        for (uint64_t i = 0; i < count; i++) {
            while (i - atomic_load_explicit(&r->tail, memory_order_acquire) >= SLOTS) {
                sched_yield();
            }
            char *s = slots + (i % SLOTS) * SLOT;
            memset(s, 0, SLOT);
            snprintf(s, SLOT, "msg %llu %u", (unsigned long long)i, checksum(i));
            atomic_store_explicit(&r->head, i + 1, memory_order_release);
        }
        printf("sent %llu\n", (unsigned long long)count);
        double deadline = now() + 120;
        while (atomic_load_explicit(&r->tail, memory_order_acquire) < count) {
            if (now() > deadline) {
                printf("ERROR the reader consumed only %llu\n",
                       (unsigned long long)atomic_load(&r->tail));
                return 1;
            }
            sched_yield();
        }
        /* "keep" leaves the segment for whoever wants to look at it afterwards (a test, ipcs). */
        int keep = argc > 5 && !strcmp(argv[5], "keep");
        if (sysv) {
            int id = shmget(key, 0, 0);
            if (id >= 0 && !keep) {
                shmctl(id, IPC_RMID, NULL);
            }
            shmdt(base);
        } else {
            munmap(base, SIZE);
            if (!keep) {
                shm_unlink(argv[3]);
            }
        }
        return 0;
    }

    for (uint64_t i = 0; i < count; i++) {
        double deadline = now() + 120;
        while (atomic_load_explicit(&r->head, memory_order_acquire) <= i) {
            if (now() > deadline) {
                printf("ERROR nothing after %llu messages\n", (unsigned long long)i);
                return 1;
            }
            sched_yield();
        }
        char *s = slots + (i % SLOTS) * SLOT;
        char expect[SLOT];
        snprintf(expect, SLOT, "msg %llu %u", (unsigned long long)i, checksum(i));
        if (memcmp(s, expect, strlen(expect) + 1) != 0) {
            char got[SLOT + 1];
            memcpy(got, s, SLOT);
            got[SLOT] = 0;
            printf("ERROR message %llu: expected \"%s\", got \"%s\"\n", (unsigned long long)i, expect, got);
            return 1;
        }
        atomic_store_explicit(&r->tail, i + 1, memory_order_release);
    }
    printf("received %llu in order\n", (unsigned long long)count);
    if (sysv) {
        shmdt(base);
    } else {
        munmap(base, SIZE);
    }
    return 0;
}
