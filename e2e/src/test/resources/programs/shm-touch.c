/*
 * shm-touch: writes or reads one byte at the start of every page of a System V segment, so a
 * test can place dirty pages on one node and read them from another.
 *
 *   shm-touch KEY PAGES write VALUE [hold]   create (or attach), write VALUE into every page,
 *                                            print "wrote PAGES pages"; with hold, then sleep
 *   shm-touch KEY PAGES read                 attach, print "read sum N" (sum of those bytes)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: shm-touch KEY PAGES write VALUE [hold] | read\n");
        return 2;
    }
    key_t key = (key_t)strtol(argv[1], NULL, 0);
    long pages = atol(argv[2]);
    int writing = !strcmp(argv[3], "write");
    setvbuf(stdout, NULL, _IONBF, 0);
    int id = shmget(key, (size_t)pages * 4096, writing ? IPC_CREAT | 0666 : 0);
    if (id < 0) {
        perror("shmget");
        return 1;
    }
    volatile unsigned char *base = shmat(id, NULL, 0);
    if (base == (void *)-1) {
        perror("shmat");
        return 1;
    }
    if (writing) {
        int value = argc > 4 ? atoi(argv[4]) : 1;
        for (long p = 0; p < pages; p++) {
            base[p * 4096] = (unsigned char)value;
        }
        printf("wrote %ld pages\n", pages);
        if (argc > 5 && !strcmp(argv[5], "hold")) {
            for (;;) {
                pause();
            }
        }
        return 0;
    }
    long sum = 0;
    for (long p = 0; p < pages; p++) {
        sum += base[p * 4096];
    }
    printf("read sum %ld\n", sum);
    return 0;
}
