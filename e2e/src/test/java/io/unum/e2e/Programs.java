package io.unum.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Ordinary programs for migration tests, written to a directory every user can read (they run
 * as nobody): each prints a deterministic output over a few seconds, so a migrated run must
 * print exactly what an unmigrated one does.
 */
final class Programs implements AutoCloseable {
    final Path dir;

    Programs() {
        try {
            dir = Files.createTempDirectory(Path.of("/tmp"), "unum-programs",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Prints 0..n-1, one line every 20 ms. */
    static List<String> bashCounter(int n) {
        return List.of("bash", "-c", "for ((i=0; i<" + n + "; i++)); do echo $i; sleep 0.02; done");
    }

    /** A Python program whose state lives in memory: a running hash per step and their sum at the end. */
    static List<String> python(int steps) {
        return List.of("python3", "-u", "-c", String.join("\n",
                "import time",
                "state = {}",
                "acc = 0",
                "for i in range(" + steps + "):",
                "    acc = (acc * 31 + i) % 1000003",
                "    state[i] = acc",
                "    print(i, acc)",
                "    time.sleep(0.02)",
                "print('sum', sum(state.values()))"));
    }

    /** A Java program with four worker threads; prints ticks, then the workers' total. */
    List<String> java(int ticks) {
        Path src = write("Work.java", String.join("\n",
                "import java.util.concurrent.atomic.AtomicLong;",
                "public class Work {",
                "  public static void main(String[] a) throws Exception {",
                "    int ticks = Integer.parseInt(a[0]);",
                "    AtomicLong total = new AtomicLong();",
                "    Thread[] workers = new Thread[4];",
                "    for (int t = 0; t < workers.length; t++) {",
                "      workers[t] = new Thread(() -> {",
                "        for (int s = 0; s < ticks * 5; s++) {",
                "          total.incrementAndGet();",
                "          try { Thread.sleep(4); } catch (InterruptedException e) { return; }",
                "        }",
                "      });",
                "      workers[t].start();",
                "    }",
                "    for (int i = 0; i < ticks; i++) {",
                "      System.out.println(\"tick \" + i);",
                "      Thread.sleep(20);",
                "    }",
                "    for (Thread w : workers) w.join();",
                "    System.out.println(\"total \" + total.get());",
                "  }",
                "}"));
        // No hsperfdata: every JVM in its own pid namespace is pid 2 there, and would share the file name.
        return List.of(javaBinary(), "-XX:-UsePerfData", "-Xmx64m", "-Xshare:off", src.toString(), Integer.toString(ticks));
    }

    /** A C program that appends n lines to an open file (O_APPEND), one every 20 ms. */
    List<String> cAppender(int n, Path file) {
        Path src = write("append.c", String.join("\n",
                "#include <fcntl.h>",
                "#include <stdio.h>",
                "#include <stdlib.h>",
                "#include <string.h>",
                "#include <unistd.h>",
                "int main(int argc, char **argv) {",
                "  int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0666);",
                "  if (fd < 0) { perror(\"open\"); return 1; }",
                "  int n = atoi(argv[2]);",
                "  char line[64];",
                "  for (int i = 0; i < n; i++) {",
                "    int len = snprintf(line, sizeof line, \"line %d\\n\", i);",
                "    if (write(fd, line, len) != len) { perror(\"write\"); return 1; }",
                "    usleep(20000);",
                "  }",
                "  printf(\"appended %d lines\\n\", n);",
                "  return 0;",
                "}"));
        Path bin = dir.resolve("append");
        run(List.of("cc", "-O2", "-o", bin.toString(), src.toString()));
        return List.of(bin.toString(), file.toString(), Integer.toString(n));
    }

    /**
     * A C program that fills mib MiB once, then prints a counter every 20 ms without touching that
     * memory again: after a post-copy move its hot pages arrive at once and the cold ones in the
     * background. tag (unused) makes its command line unique.
     */
    List<String> cColdBlob(int mib, String tag) {
        Path src = write("coldblob.c", String.join("\n",
                "#include <stdio.h>",
                "#include <stdlib.h>",
                "#include <string.h>",
                "#include <unistd.h>",
                "int main(int argc, char **argv) {",
                "  size_t size = (size_t) atoi(argv[1]) << 20;",
                "  char *blob = malloc(size);",
                "  if (!blob) { perror(\"malloc\"); return 1; }",
                "  for (size_t i = 0; i < size; i++) blob[i] = (char) (i * 131 + 7);",
                "  for (long i = 0; ; i++) {",
                "    printf(\"%ld\\n\", i);",
                "    fflush(stdout);",
                "    usleep(20000);",
                "  }",
                "}"));
        Path bin = dir.resolve("coldblob");
        run(List.of("cc", "-O2", "-o", bin.toString(), src.toString()));
        return List.of(bin.toString(), Integer.toString(mib), tag);
    }

    /** A C program of this module's test resources (programs/NAME.c), compiled once; its binary. */
    String cProgram(String name) {
        Path bin = dir.resolve(name);
        if (!Files.isExecutable(bin)) {
            try (var in = Programs.class.getResourceAsStream("/programs/" + name + ".c")) {
                if (in == null) {
                    throw new AssertionError("no test program programs/" + name + ".c");
                }
                Path src = write(name + ".c", new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
                run(List.of("cc", "-O2", "-Wall", "-pthread", "-o", bin.toString(), src.toString()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return bin.toString();
    }

    Path write(String name, String content) {
        try {
            Path f = dir.resolve(name);
            Files.writeString(f, content);
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String javaBinary() {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return Files.isExecutable(java) ? java.toString() : "java";
    }

    private static void run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(cmd + " failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    @Override
    public void close() throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
