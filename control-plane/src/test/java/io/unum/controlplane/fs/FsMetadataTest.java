package io.unum.controlplane.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.stub.StreamObserver;
import io.unum.api.fs.FsLayout;
import io.unum.api.fs.FsPath;
import io.unum.api.grpc.FsEntryResponse;
import io.unum.api.grpc.FsPathRequest;
import io.unum.api.model.FsEntryType;
import io.unum.api.model.NodeState;
import io.unum.testing.EtcdServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The metadata transactions on a real etcd: what each change writes, and what it refuses with which errno. */
@Timeout(120)
class FsMetadataTest {
    private static EtcdServer etcd;
    private FsFixture fs;

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
        fs.node("node-3", NodeState.READY);
        fs.tree.ensureRoot();
    }

    @AfterEach
    void close() {
        fs.close();
    }

    private static FsPath p(String path) {
        return FsPath.parse(path);
    }

    private FsTree.Entry file(String path) {
        return fs.tree.create(p(path), FsEntryType.FILE, 0644, 1000, 1000, null, 0);
    }

    private FsTree.Entry dir(String path) {
        return fs.tree.create(p(path), FsEntryType.DIRECTORY, 0755, 0, 0, null, 0);
    }

    private static int errno(Runnable call) {
        return assertThrows(FsFailure.class, call::run).errno();
    }

    @Test
    void theRootIsMadeOnceEvenByReplicasRacing() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (FsFixture other = new FsFixture(etcd.endpoint(), Duration.ofSeconds(5))) {
            List<Future<?>> all = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            for (int i = 0; i < 4; i++) {
                all.add(pool.submit(() -> {
                    go.await();
                    other.tree.ensureRoot();
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : all) {
                f.get();
            }
            assertEquals(List.of("inodes/0000000000000001"), other.keys("inodes/"));
            assertEquals(2, other.tree.lookup(FsPath.ROOT).inode().replicas(), "the default goal");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aNameIsCreatedOnceAndInheritsItsDirectorysGoal() {
        dir("/data");
        fs.tree.setReplicas(p("/data"), 3, false);
        FsTree.Entry a = file("/data/a.txt");
        assertEquals(3, a.inode().replicas());
        assertEquals(FsErrno.EEXIST, errno(() -> file("/data/a.txt")));
        assertEquals(FsErrno.ENOENT, errno(() -> file("/missing/a.txt")));
        assertEquals(FsErrno.ENOTDIR, errno(() -> file("/data/a.txt/b")));
        assertEquals(2, fs.tree.lookup(p("/data")).inode().links(), "files do not count in a directory's links");
    }

    @Test
    void renameReplacesAFileAtomicallyAndTheReplacedOneBecomesAnOrphan() {
        FsTree.Entry a = file("/a");
        FsTree.Entry b = file("/b");
        fs.tree.rename(p("/a"), p("/b"), false);
        assertEquals(a.inode().ino(), fs.tree.lookup(p("/b")).inode().ino());
        assertEquals(FsErrno.ENOENT, errno(() -> fs.tree.lookup(p("/a"))));
        assertEquals(List.of(FsKeys.orphan(b.inode().ino())), fs.keys("orphans/"));
        assertTrue(fs.tree.inode(b.inode().ino()).isEmpty());
    }

    @Test
    void renameWithoutReplaceRefusesAnExistingTarget() {
        file("/a");
        file("/b");
        assertEquals(FsErrno.EEXIST, errno(() -> fs.tree.rename(p("/a"), p("/b"), true)));
        assertTrue(fs.keys("orphans/").isEmpty(), "nothing was written");
    }

    @Test
    void renameFollowsRename2sRulesForDirectories() {
        dir("/d");
        dir("/d/sub");
        dir("/e");
        file("/e/f");
        file("/g");
        assertEquals(FsErrno.EINVAL, errno(() -> fs.tree.rename(p("/d"), p("/d/sub/x"), false)), "into itself");
        assertEquals(FsErrno.ENOTDIR, errno(() -> fs.tree.rename(p("/d"), p("/g"), false)));
        assertEquals(FsErrno.EISDIR, errno(() -> fs.tree.rename(p("/g"), p("/d"), false)));
        assertEquals(FsErrno.ENOTEMPTY, errno(() -> fs.tree.rename(p("/d"), p("/e"), false)));
        fs.tree.rename(p("/d/sub"), p("/e/sub"), false);
        assertEquals(2, fs.tree.lookup(p("/d")).inode().links());
        assertEquals(3, fs.tree.lookup(p("/e")).inode().links());
        assertEquals(fs.tree.lookup(p("/e")).inode().ino(), fs.tree.lookup(p("/e/sub")).inode().parent());
        dir("/empty");
        fs.tree.rename(p("/d"), p("/empty"), false);
        assertEquals(FsErrno.ENOENT, errno(() -> fs.tree.lookup(p("/d"))));
    }

    @Test
    void rmdirAndUnlinkRefuseWhatTheyMayNotRemove() {
        dir("/d");
        file("/d/f");
        assertEquals(FsErrno.ENOTEMPTY, errno(() -> fs.tree.remove(p("/d"), true)));
        assertEquals(FsErrno.EISDIR, errno(() -> fs.tree.remove(p("/d"), false)));
        assertEquals(FsErrno.ENOTDIR, errno(() -> fs.tree.remove(p("/d/f"), true)));
        assertEquals(FsErrno.EBUSY, errno(() -> fs.tree.remove(FsPath.ROOT, true)));
        fs.tree.remove(p("/d/f"), false);
        fs.tree.remove(p("/d"), true);
        assertEquals(2, fs.tree.lookup(FsPath.ROOT).inode().links());
        assertTrue(fs.tree.list(FsPath.ROOT).isEmpty());
    }

    @Test
    void hardLinksCountNamesAndTheLastUnlinkOrphansTheFile() {
        FsTree.Entry a = file("/a");
        assertEquals(2, fs.tree.link(p("/a"), p("/b")).inode().links());
        dir("/d");
        assertEquals(FsErrno.EPERM, errno(() -> fs.tree.link(p("/d"), p("/d2"))));
        assertEquals(FsErrno.EEXIST, errno(() -> fs.tree.link(p("/a"), p("/d"))));
        fs.tree.rename(p("/a"), p("/b"), false);
        assertEquals(2, fs.tree.lookup(p("/b")).inode().links(), "renaming one name onto another of the same file does nothing");
        fs.tree.remove(p("/a"), false);
        assertEquals(1, fs.tree.lookup(p("/b")).inode().links());
        assertTrue(fs.keys("orphans/").isEmpty());
        fs.tree.remove(p("/b"), false);
        assertEquals(List.of(FsKeys.orphan(a.inode().ino())), fs.keys("orphans/"));
    }

    private FsBlocks.NewChunk chunk(long ino, long index, String... nodes) {
        return new FsBlocks.NewChunk(index, FsKeys.newBlockId(ino, index), FsLayout.CHUNK_SIZE, 42, List.of(nodes));
    }

    @Test
    void truncatePutsTheCutChunksToGarbage() {
        long ino = file("/f").inode().ino();
        List<FsBlocks.NewChunk> chunks = List.of(chunk(ino, 0, "node-1", "node-2"), chunk(ino, 1, "node-1", "node-2"),
                chunk(ino, 2, "node-2", "node-3"));
        fs.blocks.commit(ino, chunks, 3L * FsLayout.CHUNK_SIZE, 0);
        FsTree.Entry cut = fs.tree.setAttributes(p("/f"), new FsTree.Attributes(null, null, null, FsLayout.CHUNK_SIZE + 1L, null, null));
        assertEquals(FsLayout.CHUNK_SIZE + 1L, cut.inode().size());
        assertEquals(Set.of(0L, 1L), fs.tree.chunks(ino).keySet());
        String gone = chunks.get(2).blockId();
        assertEquals(List.of(FsKeys.garbage(gone, "node-2"), FsKeys.garbage(gone, "node-3")), fs.keys("garbage/"));
    }

    @Test
    void aTruncateCuttingMoreThanOneTransactionHoldsStillEndsWhole() {
        long ino = file("/big").inode().ino();
        for (int batch = 0; batch < 3; batch++) {
            List<FsBlocks.NewChunk> chunks = new ArrayList<>();
            for (int i = 0; i < FsBlocks.MAX_CHUNKS_PER_COMMIT; i++) {
                chunks.add(chunk(ino, batch * 32L + i, "node-1", "node-2", "node-3"));
            }
            fs.blocks.commit(ino, chunks, (batch + 1) * 32L * FsLayout.CHUNK_SIZE, 0);
        }
        fs.tree.setAttributes(p("/big"), new FsTree.Attributes(null, null, null, 0L, null, null));
        assertTrue(fs.tree.chunks(ino).isEmpty());
        assertEquals(96 * 3, fs.keys("garbage/").size());
        assertEquals(0, fs.tree.lookup(p("/big")).inode().size());
    }

    @Test
    void aCommitNeedsTheGoalsQuorumAndSendsReplacedBlocksToGarbage() {
        fs.tree.setReplicas(FsPath.ROOT, 3, false);
        long ino = file("/f").inode().ino();
        assertEquals(FsErrno.EIO, errno(() -> fs.blocks.commit(ino, List.of(chunk(ino, 0, "node-1")), 10, 0)));
        assertTrue(fs.tree.chunks(ino).isEmpty(), "nothing was written");
        assertEquals(FsErrno.EINVAL, errno(() -> fs.blocks.commit(ino, List.of(new FsBlocks.NewChunk(0,
                FsKeys.newBlockId(ino + 1, 0), 10, 0, List.of("node-1", "node-2"))), 10, 0)), "a block of another inode");
        FsBlocks.NewChunk first = chunk(ino, 0, "node-1", "node-2");
        fs.blocks.commit(ino, List.of(first), 10, 0);
        assertEquals(10, fs.tree.lookup(p("/f")).inode().size());
        fs.blocks.commit(ino, List.of(chunk(ino, 0, "node-2", "node-3")), 20, 0);
        assertEquals(List.of(FsKeys.garbage(first.blockId(), "node-1"), FsKeys.garbage(first.blockId(), "node-2")),
                fs.keys("garbage/"));
        List<FsBlocks.NewChunk> tooMany = new ArrayList<>();
        for (int i = 0; i <= FsBlocks.MAX_CHUNKS_PER_COMMIT; i++) {
            tooMany.add(chunk(ino, i, "node-1", "node-2"));
        }
        assertEquals(FsErrno.EINVAL, errno(() -> fs.blocks.commit(ino, tooMany, 10, 0)));
    }

    @Test
    void allocationPicksDistinctReadyNodesTheCallerFirstThenTheMostFreeSpace() {
        fs.node("node-4", NodeState.DOWN);
        fs.blocks.report("node-2", List.of(), 100, 10, 0);
        fs.blocks.report("node-3", List.of(), 100, 90, 0);
        long ino = file("/f").inode().ino();
        FsBlocks.Allocation a = fs.blocks.allocate("node-1", ino, 7, Set.of());
        assertEquals(List.of("node-1", "node-3"), a.targets());
        assertEquals(2, a.quorum());
        assertEquals(ino, FsKeys.chunkOf(a.blockId()).orElseThrow().ino());
        assertEquals(7, FsKeys.chunkOf(a.blockId()).orElseThrow().index());
        assertEquals(List.of("node-3", "node-2"), fs.blocks.allocate("node-4", ino, 7, Set.of()).targets(), "a DOWN caller");
        assertEquals(FsErrno.EIO, errno(() -> fs.blocks.allocate("node-1", ino, 7, Set.of("node-2", "node-3"))));
        assertEquals(List.of("node-3"), fs.blocks.targets(null, 1, Set.of("node-1", "node-2")), "the repair's choice of target");
    }

    @Test
    void aBlockReportNamesTheCopiesNoChunkListsForThatNode() {
        long ino = file("/f").inode().ino();
        FsBlocks.NewChunk kept = chunk(ino, 0, "node-1", "node-2");
        FsBlocks.NewChunk replaced = chunk(ino, 1, "node-1", "node-2");
        fs.blocks.commit(ino, List.of(kept, replaced), 2L * FsLayout.CHUNK_SIZE, 0);
        FsBlocks.NewChunk now = chunk(ino, 1, "node-2", "node-3");
        fs.blocks.commit(ino, List.of(now), 2L * FsLayout.CHUNK_SIZE, 0);
        String stray = FsKeys.newBlockId(ino, 5);
        assertEquals(List.of(replaced.blockId(), now.blockId(), stray), fs.blocks.report("node-1",
                List.of(kept.blockId(), replaced.blockId(), now.blockId(), stray), 100, 50, 10));
        assertEquals(List.of(), fs.blocks.report("node-3", List.of(now.blockId()), 100, 50, 10));
        fs.blocks.corrupt("node-3", now.blockId());
        assertEquals(List.of("node-2"), fs.tree.chunks(ino).get(1L).replicas());
    }

    @Test
    void theRepairKeepsTheGoalOnReadyNodesAndDropsTheRest() {
        long ino = file("/f").inode().ino();
        FsBlocks.NewChunk c = chunk(ino, 0, "node-1", "node-2", "node-3");
        fs.blocks.commit(ino, List.of(c), 10, 0);
        fs.node("node-1", NodeState.DOWN);
        FsRepair repair = new FsRepair(fs.store, fs.tree, fs.blocks, fs.nodes, null, new io.unum.controlplane.leader.LeaderState() {
            @Override
            public boolean isLeader() {
                return true;
            }

            @Override
            public long term() {
                return 1;
            }
        }, new FsRepairState(), fs.config, java.time.InstantSource.system(),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), null);
        try {
            repair.scan(); // no chunk below its goal before or after: no event to publish
            assertEquals(List.of("node-2", "node-3"), fs.tree.chunks(ino).get(0L).replicas());
            assertEquals(List.of(FsKeys.garbage(c.blockId(), "node-1")), fs.keys("garbage/"));
            StoredRepairStatus figures = fs.store.read(t -> t.get(FsKeys.REPAIR_STATUS, fs.store.repairStatus)).orElseThrow();
            assertEquals(1, figures.chunks());
            assertEquals(0, figures.underReplicatedChunks(), "two healthy replicas meet the goal of 2");
            assertFalse(repair.added(FsKeys.chunk(ino, 0), "0000000000000009-0-0000000000000000", "node-1"),
                    "a copy of a block the chunk no longer names");
        } finally {
            repair.stop();
        }
    }

    @Test
    void etcdUnreachableAnswersEio() throws Exception {
        try (FsFixture dead = new FsFixture("http://127.0.0.1:1", Duration.ofMillis(500))) {
            FsMetadataGrpcService service = new FsMetadataGrpcService(dead.tree, dead.blocks, dead.nodes,
                    new FsLocks(dead.store, dead.nodes));
            FsEntryResponse[] answer = new FsEntryResponse[1];
            service.getAttributes(FsPathRequest.newBuilder().setPath("/a").build(), new StreamObserver<>() {
                @Override
                public void onNext(FsEntryResponse value) {
                    answer[0] = value;
                }

                @Override
                public void onError(Throwable t) {
                    throw new AssertionError(t);
                }

                @Override
                public void onCompleted() {
                }
            });
            assertEquals(FsErrno.EIO, answer[0].getErrno());
        }
    }
}
