/*
 * shm-counter: several processes increment one counter in shared memory under a spin lock that
 * lives on the same page (Unum's cluster-wide shared memory, or the kernel's).
 *
 *   shm-counter sysv KEY N [wait-total T]
 *
 * Attaches (creating if needed) a segment holding an _Atomic int lock and a long counter,
 * increments the counter N times under the lock and prints "done <N>". With wait-total T it then
 * polls the counter under the lock until it is T (at most 120 s) and prints "total <counter>";
 * exit 0 when the total was reached, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

struct shared {
    _Atomic int lock;
    long counter;
};

static void lock(struct shared *s)
{
    while (atomic_exchange_explicit(&s->lock, 1, memory_order_acquire)) {
        sched_yield();
    }
}

static void unlock(struct shared *s)
{
    atomic_store_explicit(&s->lock, 0, memory_order_release);
}

int main(int argc, char **argv)
{
    if ((argc != 4 && argc != 6) || strcmp(argv[1], "sysv") || (argc == 6 && strcmp(argv[4], "wait-total"))) {
        fprintf(stderr, "usage: shm-counter sysv KEY N [wait-total T]\n");
        return 2;
    }
    key_t key = (key_t)strtol(argv[2], NULL, 0);
    long n = strtol(argv[3], NULL, 10);
    int id = shmget(key, 4096, IPC_CREAT | 0666);
    if (id < 0) {
        printf("ERROR shmget: %s\n", strerror(errno));
        return 1;
    }
    struct shared *s = shmat(id, NULL, 0);
    if (s == (void *)-1) {
        printf("ERROR shmat: %s\n", strerror(errno));
        return 1;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    for (long i = 0; i < n; i++) {
        lock(s);
        s->counter++;
        unlock(s);
    }
    printf("done %ld\n", n);
    if (argc == 6) {
        long total = strtol(argv[5], NULL, 10);
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            lock(s);
            long c = s->counter;
            unlock(s);
            if (c == total) {
                printf("total %ld\n", c);
                return 0;
            }
            clock_gettime(CLOCK_MONOTONIC, &t);
            if (t.tv_sec - t0.tv_sec > 120) {
                printf("total %ld (expected %ld)\n", c, total);
                return 1;
            }
            usleep(1000);
        }
    }
    shmdt(s);
    return 0;
}
