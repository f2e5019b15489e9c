package io.unum.controlplane.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.NodeState;
import io.unum.testing.EtcdServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Cluster-wide file locks on a real etcd: conflicts, POSIX range splitting, dead holders, races. */
class FsLocksTest {
    private static final long EOF = Long.MAX_VALUE;
    private static EtcdServer etcd;
    private FsFixture fs;
    private FsLocks locks;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdServer.start();
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @BeforeEach
    void open() {
        fs = new FsFixture(etcd.endpoint(), Duration.ofSeconds(5));
        fs.node("node-1", NodeState.READY);
        fs.node("node-2", NodeState.READY);
        locks = new FsLocks(fs.store, fs.nodes);
    }

    @AfterEach
    void close() {
        fs.close();
    }

    private boolean posix(String node, long owner, boolean write, long start, long end) {
        return locks.lock(7, node, owner, 100, FsLocks.POSIX, write, false, start, end, false).granted();
    }

    private void unlock(String node, long owner, long start, long end) {
        assertTrue(locks.lock(7, node, owner, 100, FsLocks.POSIX, false, true, start, end, false).granted());
    }

    @Test
    void readersShareAWriterExcludesAcrossNodes() {
        assertTrue(posix("node-1", 1, false, 0, EOF));
        assertTrue(posix("node-2", 1, false, 0, EOF), "two readers");
        assertFalse(posix("node-2", 2, true, 10, 20), "a writer meets the readers");
        unlock("node-1", 1, 0, EOF);
        assertFalse(posix("node-2", 2, true, 10, 20), "node-2's own reader (another owner) is still in the way");
        unlock("node-2", 1, 0, EOF);
        assertTrue(posix("node-2", 2, true, 10, 20));
        StoredLocks.Held in = locks.lock(7, "node-1", 9, 55, FsLocks.POSIX, false, false, 0, 15, true).conflict().orElseThrow();
        assertEquals(List.of("node-2", 10L, 20L, true), List.of(in.node(), in.start(), in.end(), in.write()), "F_GETLK says who");
        assertTrue(posix("node-1", 1, true, 21, 30), "a range beside it is free");
    }

    @Test
    void anOwnersUnlockOfTheMiddleSplitsItsLockAndFlockIsApart() {
        assertTrue(posix("node-1", 1, true, 0, 99));
        unlock("node-1", 1, 40, 59);
        assertTrue(posix("node-2", 1, true, 40, 59), "the middle is free");
        assertFalse(posix("node-2", 1, true, 30, 30), "the head is still held");
        assertFalse(posix("node-2", 1, true, 60, 60), "the tail is still held");
        assertTrue(locks.lock(7, "node-2", 1, 100, FsLocks.FLOCK, true, false, 0, EOF, false).granted(),
                "flock locks do not meet fcntl locks");
        assertTrue(posix("node-1", 1, false, 0, 39), "an owner changes its own lock's type");
        assertTrue(posix("node-2", 3, false, 0, 10), "a reader now shares it");
    }

    @Test
    void aDownNodesLocksAreDroppedWhenInTheWayAndARestartedAgentDropsItsOwn() {
        assertTrue(posix("node-1", 1, true, 0, EOF));
        assertFalse(posix("node-2", 1, true, 0, EOF));
        fs.node("node-1", NodeState.DOWN);
        assertTrue(posix("node-2", 1, true, 0, EOF), "node-1 is DOWN: its lock goes");
        fs.node("node-1", NodeState.READY);
        locks.releaseNode("node-2");
        assertTrue(posix("node-1", 1, true, 0, EOF), "node-2 started again: its locks went");
        unlock("node-1", 1, 0, EOF);
        assertEquals(List.of(), fs.keys("locks/"), "no lock left, no key left");
    }

    @Test
    void racingWritersNeverBothHoldTheLock() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger entries = new AtomicInteger();
        try {
            List<Future<?>> all = new java.util.ArrayList<>();
            for (int t = 0; t < 8; t++) {
                String node = t % 2 == 0 ? "node-1" : "node-2";
                long owner = t;
                all.add(pool.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        while (!posix(node, owner, true, 0, EOF)) {
                            Thread.onSpinWait();
                        }
                        if (inside.incrementAndGet() > 1) {
                            overlaps.incrementAndGet();
                        }
                        entries.incrementAndGet();
                        inside.decrementAndGet();
                        unlock(node, owner, 0, EOF);
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(80, entries.get());
        assertEquals(0, overlaps.get(), "two writers held the lock at once");
    }
}
