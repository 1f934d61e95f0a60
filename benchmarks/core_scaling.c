/* What two cores of this machine give to work that reads memory at random: the speed-up of
 * JOBS forked processes over the same work done JOBS times in one, for each working set size.
 *
 * Usage: core_scaling JOBS MB... (jobs_speedup.py compiles and runs it when a C compiler exists)
 * Prints one line per size: "MB serial_s parallel_s speedup".
 *
 * Work that stays in a core's own cache (L2) scales with the cores; work whose data sits in the
 * shared last-level cache or in memory scales only as far as the machine's caches and memory
 * bandwidth allow. Python work touches megabytes (interpreter, objects, regex tables), so this
 * shows what limits `--jobs` here, apart from anything digest does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READS 40000000UL

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static volatile uint64_t sink;

/* READS reads at pseudo-random places of a buffer of `bytes` (fresh pages, touched first). */
static void work(size_t bytes) {
    unsigned char *buffer = malloc(bytes);
    if (buffer == NULL) {
        perror("malloc");
        exit(1);
    }
    memset(buffer, 1, bytes);
    uint64_t index = 0, total = 0;
    for (unsigned long i = 0; i < READS; i++) {
        index = index * 6364136223846793005ULL + 1442695040888963407ULL;
        total += buffer[(index >> 17) % bytes];
    }
    sink = total;
    free(buffer);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s JOBS MB...\n", argv[0]);
        return 2;
    }
    int jobs = atoi(argv[1]);
    if (jobs < 1) {
        fprintf(stderr, "JOBS must be at least 1\n");
        return 2;
    }
    for (int a = 2; a < argc; a++) {
        size_t bytes = (size_t)atoi(argv[a]) << 20;
        if (bytes == 0) {
            fprintf(stderr, "MB must be at least 1\n");
            return 2;
        }
        double start = now();
        for (int j = 0; j < jobs; j++)
            work(bytes);
        double serial = now() - start;
        start = now();
        for (int j = 0; j < jobs; j++) {
            pid_t pid = fork();
            if (pid < 0) {
                perror("fork");
                return 1;
            }
            if (pid == 0) {
                work(bytes);
                _exit(0);
            }
        }
        while (wait(NULL) > 0) {
        }
        double parallel = now() - start;
        printf("%s %.3f %.3f %.2f\n", argv[a], serial, parallel, serial / parallel);
        fflush(stdout);
    }
    return 0;
}
