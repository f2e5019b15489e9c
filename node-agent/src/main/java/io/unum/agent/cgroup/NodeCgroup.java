package io.unum.agent.cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The cgroup of one agent's processes, {@code unum/<name>} below each controller's root, with
 * the capacity written into it. Processes are moved in by pid; their children are born inside.
 */
abstract sealed class NodeCgroup permits NodeCgroup.V1, NodeCgroup.V2 {

    /** "cgroup-v1" or "cgroup-v2", as reported to the control plane. */
    abstract String enforcement();

    /** Moves a whole process (all its threads) into the cgroup. */
    abstract void add(long pid) throws IOException;

    /** Every thread in the cgroup. */
    abstract List<Long> threads();

    /** Total CPU time its processes used, in nanoseconds. */
    abstract long cpuNanos();

    /** Memory its processes use, in bytes. */
    abstract long memoryBytes();

    /** The directories to remove once the cgroup is empty and no agent uses it any more. */
    abstract List<Path> directories();

    /** Creates (or reuses) the cgroup {@code unum/<name>} and writes the capacity into it. */
    static NodeCgroup create(CgroupMounts mounts, String name, Capacity capacity) throws IOException {
        return mounts.useV1() ? V1.create(mounts, name, capacity) : V2.create(mounts, name, capacity);
    }

    static final class V1 extends NodeCgroup {
        private final Path cpu;
        private final Path cpuacct;
        private final Path memory;

        private V1(Path cpu, Path cpuacct, Path memory) {
            this.cpu = cpu;
            this.cpuacct = cpuacct;
            this.memory = memory;
        }

        static V1 create(CgroupMounts mounts, String name, Capacity capacity) throws IOException {
            Path cpu = dir(mounts.v1().get("cpu"), name);
            Path cpuacct = mounts.v1().containsKey("cpuacct") ? dir(mounts.v1().get("cpuacct"), name) : cpu;
            Path memory = mounts.v1().containsKey("memory") ? dir(mounts.v1().get("memory"), name) : null;
            write(cpu.resolve("cpu.cfs_period_us"), Long.toString(Capacity.PERIOD_MICROS));
            write(cpu.resolve("cpu.cfs_quota_us"), capacity.cpus() > 0 ? Long.toString(capacity.quotaMicros()) : "-1");
            if (memory != null) {
                write(memory.resolve("memory.limit_in_bytes"), capacity.memoryBytes() > 0 ? Long.toString(capacity.memoryBytes()) : "-1");
            } else if (capacity.memoryBytes() > 0) {
                throw new IOException("the memory controller is not mounted; a memory capacity cannot be enforced");
            }
            return new V1(cpu, cpuacct, memory);
        }

        @Override
        String enforcement() {
            return "cgroup-v1";
        }

        @Override
        void add(long pid) throws IOException {
            for (Path dir : directories()) {
                write(dir.resolve("cgroup.procs"), Long.toString(pid));
            }
        }

        @Override
        List<Long> threads() {
            return readPids(cpu.resolve("tasks"));
        }

        @Override
        long cpuNanos() {
            return readLong(cpuacct.resolve("cpuacct.usage"));
        }

        @Override
        long memoryBytes() {
            return memory == null ? 0 : readLong(memory.resolve("memory.usage_in_bytes"));
        }

        @Override
        List<Path> directories() {
            List<Path> dirs = new ArrayList<>(List.of(cpu));
            if (!cpuacct.equals(cpu)) {
                dirs.add(cpuacct);
            }
            if (memory != null) {
                dirs.add(memory);
            }
            return dirs;
        }
    }

    static final class V2 extends NodeCgroup {
        private final Path dir;

        private V2(Path dir) {
            this.dir = dir;
        }

        static V2 create(CgroupMounts mounts, String name, Capacity capacity) throws IOException {
            Path root = mounts.unified().orElseThrow(() -> new IOException("no cgroup hierarchy is mounted"));
            Path parent = root.resolve("unum");
            Files.createDirectories(parent);
            // Controllers reach a cgroup only through every ancestor's subtree_control.
            write(root.resolve("cgroup.subtree_control"), "+cpu +memory");
            write(parent.resolve("cgroup.subtree_control"), "+cpu +memory");
            Path dir = dir(root, name);
            write(dir.resolve("cpu.max"), (capacity.cpus() > 0 ? Long.toString(capacity.quotaMicros()) : "max")
                    + " " + Capacity.PERIOD_MICROS);
            write(dir.resolve("memory.max"), capacity.memoryBytes() > 0 ? Long.toString(capacity.memoryBytes()) : "max");
            return new V2(dir);
        }

        @Override
        String enforcement() {
            return "cgroup-v2";
        }

        @Override
        void add(long pid) throws IOException {
            write(dir.resolve("cgroup.procs"), Long.toString(pid));
        }

        @Override
        List<Long> threads() {
            return readPids(dir.resolve("cgroup.threads"));
        }

        @Override
        long cpuNanos() {
            try {
                for (String line : Files.readAllLines(dir.resolve("cpu.stat"))) {
                    if (line.startsWith("usage_usec ")) {
                        return Long.parseLong(line.substring(11).trim()) * 1000;
                    }
                }
            } catch (IOException | RuntimeException e) {
                // unreadable: no usage
            }
            return 0;
        }

        @Override
        long memoryBytes() {
            return readLong(dir.resolve("memory.current"));
        }

        @Override
        List<Path> directories() {
            return List.of(dir);
        }
    }

    private static Path dir(Path controllerRoot, String name) throws IOException {
        Path dir = controllerRoot.resolve("unum").resolve(name);
        Files.createDirectories(dir);
        return dir;
    }

    static void write(Path file, String value) throws IOException {
        try {
            Files.writeString(file, value, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new IOException(file + " does not exist: is this a cgroup file system?", e);
        }
    }

    private static long readLong(Path file) {
        try {
            return Long.parseLong(Files.readString(file).trim());
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static List<Long> readPids(Path file) {
        try {
            return Files.readAllLines(file).stream().filter(s -> !s.isBlank()).map(s -> Long.parseLong(s.trim())).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
