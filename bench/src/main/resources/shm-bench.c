/*
 * shm-bench: the measuring side of SharedMemoryBenchmark. The same program runs with Unum's
 * cluster-wide shared memory (started with +USE_REMOTE_MEMORY, the participants on different
 * nodes) and without it (node-local kernel System V shared memory, every participant on one node).
 *
 *   shm-bench MODE ROLE KEY PARTIES ARG [keep] [limit=SECONDS]
 *
 * Two System V segments: KEY is the control segment (one page: a barrier counter and a stop flag),
 * KEY+1 the data segment. The participant with ROLE "writer" (or "a" in pingpong) creates both;
 * the others attach, retrying for 60 s while they do not exist yet. PARTIES processes meet at
 * barriers in the control page. Without "keep" the creator removes both segments at the end (a
 * kernel segment would outlive the run); with it, the driver reads the agents' counters first.
 *
 * MODE          ROLES             ARG         what is timed (by the role that prints a result)
 * readfault     writer, reader    pages       the writer writes ARG pages; the reader then loads one
 *                                             word of each page, once, with clock_gettime around the
 *                                             load: the first touch of a page the writer just wrote.
 *                                             Even pages first, then odd ones: no load continues where
 *                                             the previous one's page ended, so read-ahead cannot
 *                                             serve it and each load is one fault
 * upgrade       writer, reader    pages       the writer writes ARG pages, every reader reads them all,
 *                                             then the writer stores one word into each page, timed:
 *                                             a write to a page it holds readable while PARTIES-1
 *                                             readers hold it too (each must be invalidated)
 * pingpong      a, b              seconds     one 8-byte counter, a makes it odd, b even: round trips
 *                                             counted by a over ARG seconds
 * seqread       writer, reader    MiB         the writer fills ARG MiB, the reader sums every 8-byte
 *                                             word in order; the reader's time gives MiB/s. With
 *                                             limit=SECONDS the reader stops after that long and
 *                                             reports the MiB it read (checked all the same)
 *
 * Every result is one line "result MODE ROLE key=value ...", times in microseconds. Exit 0 when the
 * data read were the data written, 1 otherwise ("ERROR ..." on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096

struct ctl {
    _Atomic uint64_t arrive;   /* barrier: each party adds 1 per barrier */
    char pad1[56];
    _Atomic uint64_t stop;     /* pingpong: a is done */
    char pad2[56];
    _Atomic uint64_t failed;   /* a party saw wrong data */
};

static struct ctl *ctl;
static int parties;
static uint64_t barriers;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
    fprintf(stderr, "ERROR %s: %s\n", what, strerror(errno));
    exit(1);
}

static void *attach(key_t key, size_t size, int create, int *idp)
{
    double deadline = now_us() + 60e6;
    for (;;) {
        int id = shmget(key, size, create ? IPC_CREAT | 0666 : 0666);
        if (id >= 0) {
            void *p = shmat(id, NULL, 0);
            if (p == (void *)-1) {
                die("shmat");
            }
            *idp = id;
            return p;
        }
        if (errno != ENOENT || now_us() > deadline) {
            die("shmget");
        }
        usleep(10000);
    }
}

/* Waits, politely (the agents need the CPU too), until every party reached this barrier. */
static void barrier(void)
{
    barriers++;
    atomic_fetch_add(&ctl->arrive, 1);
    while (atomic_load(&ctl->arrive) < barriers * (uint64_t)parties) {
        usleep(200);
    }
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void print_latencies(const char *mode, const char *role, double *t, size_t n, const char *extra)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += t[i];
    }
    qsort(t, n, sizeof *t, cmp);
    printf("result %s %s samples=%zu p50_us=%.2f p90_us=%.2f p99_us=%.2f min_us=%.2f max_us=%.2f mean_us=%.2f%s\n",
           mode, role, n, t[n / 2], t[n * 90 / 100], t[n * 99 / 100], t[0], t[n - 1], sum / n, extra);
}

static void fill_page(volatile char *page, uint64_t value)
{
    for (size_t off = 0; off < PAGE; off += sizeof(uint64_t)) {
        *(volatile uint64_t *)(page + off) = value + off;
    }
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: shm-bench readfault|upgrade|pingpong|seqread ROLE KEY PARTIES ARG [keep]\n");
        return 2;
    }
    const char *mode = argv[1], *role = argv[2];
    key_t key = (key_t)strtol(argv[3], NULL, 0);
    parties = atoi(argv[4]);
    long arg = atol(argv[5]);
    int keep = 0;
    double limit_us = 0;
    for (int i = 6; i < argc; i++) {
        if (strcmp(argv[i], "keep") == 0) {
            keep = 1;
        } else if (strncmp(argv[i], "limit=", 6) == 0) {
            limit_us = atof(argv[i] + 6) * 1e6;
        }
    }
    int creator = strcmp(role, "writer") == 0 || strcmp(role, "a") == 0;
    int seq = strcmp(mode, "seqread") == 0;
    size_t size = seq ? (size_t)arg << 20 : strcmp(mode, "pingpong") == 0 ? PAGE : (size_t)arg * PAGE;
    size_t pages = size / PAGE;

    int dataid, ctlid;
    /* The data segment first: whoever finds the control segment finds the data segment too. */
    char *data = creator ? attach(key + 1, size, 1, &dataid) : NULL;
    ctl = attach(key, PAGE, creator, &ctlid);
    if (!creator) {
        data = attach(key + 1, size, 0, &dataid);
    }
    barrier(); /* everyone attached */

    if (strcmp(mode, "readfault") == 0) {
        if (creator) {
            for (size_t i = 0; i < pages; i++) {
                *(volatile uint64_t *)(data + i * PAGE) = i + 1;
            }
            barrier(); /* written */
            barrier(); /* read */
        } else {
            double *t = malloc(pages * sizeof *t);
            barrier();
            uint64_t bad = 0;
            for (size_t k = 0; k < pages; k++) {
                size_t i = k < (pages + 1) / 2 ? 2 * k : 2 * (k - (pages + 1) / 2) + 1;
                double t0 = now_us();
                uint64_t v = *(volatile uint64_t *)(data + i * PAGE);
                double t1 = now_us();
                t[k] = t1 - t0;
                bad += v != i + 1;
            }
            barrier();
            if (bad) {
                fprintf(stderr, "ERROR %lu pages read wrong\n", (unsigned long)bad);
                return 1;
            }
            print_latencies(mode, role, t, pages, "");
        }
    } else if (strcmp(mode, "upgrade") == 0) {
        if (creator) {
            double *t = malloc(pages * sizeof *t);
            for (size_t i = 0; i < pages; i++) {
                *(volatile uint64_t *)(data + i * PAGE) = i + 1;
            }
            barrier(); /* written */
            barrier(); /* every reader read every page */
            for (size_t i = 0; i < pages; i++) {
                volatile uint64_t *w = (volatile uint64_t *)(data + i * PAGE);
                double t0 = now_us();
                *w = i + 1000000;
                double t1 = now_us();
                t[i] = t1 - t0;
            }
            barrier(); /* stored */
            char extra[64];
            snprintf(extra, sizeof extra, " readers=%d", parties - 1);
            print_latencies(mode, role, t, pages, extra);
        } else {
            barrier();
            uint64_t bad = 0;
            for (size_t i = 0; i < pages; i++) {
                bad += *(volatile uint64_t *)(data + i * PAGE) != i + 1;
            }
            barrier();
            barrier();
            if (bad) {
                fprintf(stderr, "ERROR %lu pages read wrong\n", (unsigned long)bad);
                return 1;
            }
        }
    } else if (strcmp(mode, "pingpong") == 0) {
        _Atomic uint64_t *counter = (_Atomic uint64_t *)data;
        if (creator) {
            uint64_t trips = 0;
            double t0 = now_us(), end = t0 + arg * 1e6, t1 = t0;
            for (;;) {
                /* a: even -> odd, then wait until b made it even again */
                atomic_store(counter, 2 * trips + 1);
                unsigned spins = 0;
                while (atomic_load(counter) != 2 * trips + 2) {
                    if (++spins > 1000) {
                        sched_yield();
                    } else {
                        __builtin_ia32_pause();
                    }
                }
                trips++;
                if ((trips & 15) == 0 && (t1 = now_us()) >= end) {
                    break;
                }
            }
            atomic_store(&ctl->stop, 1);
            atomic_store(counter, 2 * trips + 1); /* wake b, which then sees stop */
            double secs = (t1 - t0) / 1e6;
            printf("result %s %s round_trips=%lu seconds=%.3f per_second=%.1f round_trip_us=%.2f\n", mode, role,
                   (unsigned long)trips, secs, trips / secs, (t1 - t0) / trips);
            barrier();
        } else {
            uint64_t expect = 1;
            for (;;) {
                unsigned spins = 0;
                uint64_t v;
                while ((v = atomic_load(counter)) != expect) {
                    if (++spins > 1000) {
                        sched_yield();
                    } else {
                        __builtin_ia32_pause();
                    }
                }
                if (atomic_load(&ctl->stop)) {
                    break;
                }
                atomic_store(counter, expect + 1);
                expect += 2;
            }
            barrier();
        }
    } else if (seq) {
        if (creator) {
            double t0 = now_us();
            for (size_t i = 0; i < pages; i++) {
                fill_page(data + i * PAGE, i * PAGE);
            }
            double t1 = now_us();
            printf("result %s %s mib=%ld write_seconds=%.3f write_mib_per_s=%.1f\n", mode, role, arg,
                   (t1 - t0) / 1e6, arg / ((t1 - t0) / 1e6));
            barrier(); /* written */
            barrier(); /* read */
        } else {
            barrier();
            double t0 = now_us();
            uint64_t sum = 0;
            const uint64_t *w = (const uint64_t *)data;
            size_t words = PAGE / sizeof *w, done = 0;
            for (size_t i = 0; i < pages; i++, done++) {
                if (limit_us > 0 && (i & 255) == 0 && now_us() - t0 > limit_us) {
                    break;
                }
                for (size_t k = 0; k < words; k++) {
                    sum += w[i * words + k];
                }
            }
            double t1 = now_us();
            /* Word k holds 8k: the sum of the first n is 8 * n(n-1)/2 (mod 2^64). */
            uint64_t n = done * words, want = 8 * (n * (n - 1) / 2);
            barrier();
            if (sum != want) {
                fprintf(stderr, "ERROR sum %lu, want %lu\n", (unsigned long)sum, (unsigned long)want);
                return 1;
            }
            double mib = done * (double)PAGE / (1 << 20);
            printf("result %s %s mib=%ld read_mib=%.1f complete=%d seconds=%.3f mib_per_s=%.1f\n", mode, role, arg, mib,
                   done == pages, (t1 - t0) / 1e6, mib / ((t1 - t0) / 1e6));
        }
    } else {
        fprintf(stderr, "ERROR unknown mode %s\n", mode);
        return 2;
    }
    fflush(stdout);

    if (creator) {
        /* The last barrier: nobody touches the segments any more. */
        if (!keep) {
            shmctl(dataid, IPC_RMID, NULL);
            shmctl(ctlid, IPC_RMID, NULL);
        }
    }
    shmdt(data);
    shmdt(ctl);
    return 0;
}
