package io.unum.agent.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Detection and the files written, against fake cgroup trees (a real one needs root; the e2e tests use it). */
class NodeCgroupTest {
    private static final String HYBRID = """
            tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
            cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
            cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0
            cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
            cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
            """;
    private static final String UNIFIED = """
            cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0
            """;

    @TempDir
    Path root;

    @Test
    void aHybridMachineUsesV1AndAUnifiedOneV2() {
        CgroupMounts hybrid = CgroupMounts.parse(HYBRID);
        assertTrue(hybrid.useV1());
        assertEquals(Path.of("/sys/fs/cgroup/memory"), hybrid.v1().get("memory"));
        CgroupMounts unified = CgroupMounts.parse(UNIFIED);
        assertFalse(unified.useV1());
        assertEquals(Path.of("/sys/fs/cgroup"), unified.unified().orElseThrow());
        assertTrue(CgroupMounts.parse("cgroup /c cgroup rw,cpu,cpuacct 0 0").v1().containsKey("cpuacct"), "joined controllers");
    }

    @Test
    void v1WritesAQuotaPerPeriodAndAMemoryLimitInEachHierarchy() throws Exception {
        CgroupMounts mounts = CgroupMounts.parse("cgroup " + root.resolve("cpu") + " cgroup rw,cpu 0 0\n"
                + "cgroup " + root.resolve("cpuacct") + " cgroup rw,cpuacct 0 0\n"
                + "cgroup " + root.resolve("memory") + " cgroup rw,memory 0 0\n");
        NodeCgroup cg = NodeCgroup.create(mounts, "node-1-ab", new Capacity(0.5, 512L << 20));
        assertEquals("cgroup-v1", cg.enforcement());
        assertEquals("50000", Files.readString(root.resolve("cpu/unum/node-1-ab/cpu.cfs_quota_us")));
        assertEquals("100000", Files.readString(root.resolve("cpu/unum/node-1-ab/cpu.cfs_period_us")));
        assertEquals(Long.toString(512L << 20), Files.readString(root.resolve("memory/unum/node-1-ab/memory.limit_in_bytes")));
        cg.add(4242);
        for (String c : List.of("cpu", "cpuacct", "memory")) {
            assertEquals("4242", Files.readString(root.resolve(c + "/unum/node-1-ab/cgroup.procs")), c);
        }
        Files.writeString(root.resolve("cpuacct/unum/node-1-ab/cpuacct.usage"), "1500\n");
        assertEquals(1500, cg.cpuNanos());
    }

    @Test
    void v2EnablesTheControllersOnTheWayDownAndWritesCpuMax() throws Exception {
        CgroupMounts mounts = CgroupMounts.parse("cgroup2 " + root + " cgroup2 rw 0 0\n");
        NodeCgroup cg = NodeCgroup.create(mounts, "node-2-cd", new Capacity(1.5, 0));
        assertEquals("cgroup-v2", cg.enforcement());
        assertEquals("+cpu +memory", Files.readString(root.resolve("cgroup.subtree_control")));
        assertEquals("+cpu +memory", Files.readString(root.resolve("unum/cgroup.subtree_control")));
        assertEquals("150000 100000", Files.readString(root.resolve("unum/node-2-cd/cpu.max")));
        assertEquals("max", Files.readString(root.resolve("unum/node-2-cd/memory.max")));
        Files.writeString(root.resolve("unum/node-2-cd/cpu.stat"), "usage_usec 7\nuser_usec 5\n");
        assertEquals(7000, cg.cpuNanos());
        Files.writeString(root.resolve("unum/node-2-cd/cgroup.threads"), "10\n11\n");
        assertEquals(List.of(10L, 11L), cg.threads());
    }
}
