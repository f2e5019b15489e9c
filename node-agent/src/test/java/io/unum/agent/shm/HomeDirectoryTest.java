package io.unum.agent.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The home's directory against a hand-written set of nodes that keep a copy of each page. */
class HomeDirectoryTest {
    @TempDir
    Path dir;

    /** Nodes as the home sees them: each node's copy of each page and its state; some unreachable. */
    static final class FakeNodes implements HomeDirectory.Nodes {
        final Map<String, byte[]> copy = new HashMap<>();
        final Map<String, Byte> state = new HashMap<>();
        final Set<String> unreachable = new HashSet<>();
        final List<String> calls = new ArrayList<>();
        /** Nodes whose grants are still on the way: a revoke finds their bytes unchanged. */
        final Set<String> slow = new HashSet<>();

        @Override
        public byte[] revoke(String node, long page, long grant, byte toState, boolean wantData) throws HomeDirectory.NodeUnreachable {
            calls.add("revoke " + node + " " + page + " " + toState);
            if (unreachable.contains(node)) {
                throw new HomeDirectory.NodeUnreachable(node, new RuntimeException("connection refused"));
            }
            state.put(node + page, toState);
            if (!wantData || slow.contains(node)) {
                return null;
            }
            return copy.getOrDefault(node + page, new byte[LocalSegment.PAGE]).clone();
        }

        @Override
        public byte[][] downgradeHome(long[] pages, long[] grants) {
            byte[][] bytes = new byte[pages.length][];
            for (int i = 0; i < pages.length; i++) {
                calls.add("downgrade home " + pages[i]);
                state.put("home" + pages[i], LocalSegment.READ);
                bytes[i] = copy.getOrDefault("home" + pages[i], new byte[LocalSegment.PAGE]).clone();
            }
            return bytes;
        }

        /** Asks the home as a node's agent does, and installs what it grants. */
        HomeDirectory.Outcome acquire(HomeDirectory home, long page, String node, boolean write, int readAhead) {
            boolean hasCopy = state.getOrDefault(node + page, LocalSegment.INVALID) >= LocalSegment.READ;
            HomeDirectory.Outcome o = home.acquire(page, node, write, hasCopy, readAhead, this);
            for (HomeDirectory.Grant g : o.grants()) {
                calls.add("install " + node + " " + g.page() + " " + g.state() + (g.data() == null ? " current" : " data"));
                if (g.data() != null) {
                    copy.put(node + g.page(), g.data().clone());
                }
                state.put(node + g.page(), g.state());
            }
            return o;
        }

        HomeDirectory.Outcome acquire(HomeDirectory home, long page, String node, boolean write) {
            return acquire(home, page, node, write, 0);
        }

        /** What a process on node writes into its copy (allowed only while it holds WRITE). */
        void write(String node, long page, int value) {
            assertEquals(LocalSegment.WRITE, state.get(node + page), node + " writes only with WRITE");
            copy.computeIfAbsent(node + page, n -> new byte[LocalSegment.PAGE])[0] = (byte) value;
        }

        void write(String node, int value) {
            write(node, 0, value);
        }

        int read(String node, long page) {
            assertTrue(state.get(node + page) >= LocalSegment.READ, node + " reads only with READ or WRITE");
            return copy.get(node + page)[0];
        }

        int read(String node) {
            return read(node, 0);
        }
    }

    private HomeDirectory directory() {
        return new HomeDirectory(7, 3 * LocalSegment.PAGE, "home", dir.resolve("home-7"));
    }

    @Test
    void aReadAfterAWriteOnAnotherNodeSeesTheWriteAndLeavesTwoReaders() {
        FakeNodes nodes = new FakeNodes();
        HomeDirectory home = directory();
        assertEquals(0, nodes.acquire(home, 0, "a", true).errno());
        nodes.write("a", 42);
        assertEquals(0, nodes.acquire(home, 0, "b", false).errno());
        assertEquals(42, nodes.read("b"));
        assertEquals(LocalSegment.READ, nodes.state.get("a0"), "the writer was downgraded, not invalidated");
    }

    @Test
    void aWriteInvalidatesEveryOtherCopyAndCarriesTheLatestBytes() {
        FakeNodes nodes = new FakeNodes();
        HomeDirectory home = directory();
        nodes.acquire(home, 0, "a", true);
        nodes.write("a", 1);
        nodes.acquire(home, 0, "b", false);
        nodes.acquire(home, 0, "c", false);
        assertEquals(0, nodes.acquire(home, 0, "c", true).errno());
        assertEquals(LocalSegment.INVALID, nodes.state.get("a0"));
        assertEquals(LocalSegment.INVALID, nodes.state.get("b0"));
        assertEquals(1, nodes.read("c"));
        assertTrue(nodes.calls.get(nodes.calls.size() - 1).endsWith("current"),
                "c was a reader: its copy is current, no bytes are sent: " + nodes.calls);
        nodes.write("c", 2);
        nodes.acquire(home, 0, "a", false);
        assertEquals(2, nodes.read("a"), "a reads c's write");
    }

    @Test
    void aHolderWithoutItsCopyGetsTheBytes() {
        FakeNodes nodes = new FakeNodes();
        HomeDirectory home = directory();
        nodes.acquire(home, 0, "a", true);
        nodes.write("a", 5);
        nodes.acquire(home, 0, "b", false);
        // b's grant never arrived (its call failed): the home still counts it a reader.
        nodes.state.put("b0", LocalSegment.INVALID);
        nodes.copy.remove("b0");
        nodes.acquire(home, 0, "b", false);
        assertEquals(5, nodes.read("b"));
    }

    @Test
    void aWriterWhoseGrantIsStillOnTheWayLeavesTheCleanCopyCurrent() {
        FakeNodes nodes = new FakeNodes();
        HomeDirectory home = directory();
        nodes.acquire(home, 0, "a", true);
        nodes.write("a", 9);
        nodes.acquire(home, 0, "b", true);
        // b's grant (with a's 9) has not arrived when c reads: b never wrote, and says so.
        nodes.slow.add("b");
        nodes.acquire(home, 0, "c", false);
        assertEquals(9, nodes.read("c"), "the home's clean copy holds a's write");
    }

    @Test
    void aReadTakesTheFollowingPagesNobodyWritesAndStopsAtAWriter() {
        FakeNodes nodes = new FakeNodes();
        HomeDirectory home = new HomeDirectory(8, 8 * LocalSegment.PAGE, "home", dir.resolve("home-8"));
        nodes.acquire(home, 2, "a", true);
        nodes.write("a", 2, 7);
        nodes.acquire(home, 4, "b", false);
        nodes.acquire(home, 5, "a", true);
        nodes.calls.clear();
        HomeDirectory.Outcome o = nodes.acquire(home, 0, "b", false, 7);
        assertEquals(List.of(0L, 1L), o.grants().stream().map(HomeDirectory.Grant::page).toList(),
                "page 2 has a writer: the read-ahead stops before it, revoking nothing");
        assertTrue(nodes.calls.stream().noneMatch(c -> c.startsWith("revoke")), nodes.calls.toString());
        o = nodes.acquire(home, 3, "b", false, 4);
        assertEquals(List.of(3L), o.grants().stream().map(HomeDirectory.Grant::page).toList(),
                "page 4 is b's already (skipped), page 5 has a writer");
        // The home recorded the pages it read ahead: a write there invalidates b's copy.
        nodes.acquire(home, 1, "a", true);
        assertEquals(LocalSegment.INVALID, nodes.state.get("b1"));
    }

    @Test
    void aReadAheadTakesWhatTheHomeWritesInOneGoAndKeepsItReadableThere() {
        FakeNodes nodes = new FakeNodes();
        HomeDirectory home = new HomeDirectory(9, 8 * LocalSegment.PAGE, "home", dir.resolve("home-9"));
        for (int q = 0; q < 4; q++) {
            nodes.acquire(home, q, "home", true);
            nodes.write("home", q, 10 + q);
        }
        nodes.acquire(home, 5, "a", true);
        nodes.calls.clear();
        HomeDirectory.Outcome o = nodes.acquire(home, 0, "b", false, 7);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), o.grants().stream().map(HomeDirectory.Grant::page).toList(),
                "up to page 5, which another node writes");
        assertEquals(13, nodes.read("b", 3));
        assertEquals(LocalSegment.READ, nodes.state.get("home3"), "the home's own writer keeps reading");
        assertTrue(nodes.calls.stream().noneMatch(c -> c.startsWith("revoke a")), "a is not called: " + nodes.calls);
        // The directory counts home and b as readers of page 3: a write by a invalidates both.
        nodes.acquire(home, 3, "a", true);
        assertEquals(LocalSegment.INVALID, nodes.state.get("home3"));
        assertEquals(LocalSegment.INVALID, nodes.state.get("b3"));
        assertEquals(13, nodes.read("a", 3), "a's write starts from the home's bytes");
    }

    @Test
    void aWriterThatCannotBeReachedLosesThePageAndTheSegmentSaysSo() {
        FakeNodes nodes = new FakeNodes();
        HomeDirectory home = directory();
        nodes.acquire(home, 1, "a", true);
        nodes.unreachable.add("a");
        HomeDirectory.Outcome o = nodes.acquire(home, 1, "b", false);
        assertEquals(5, o.errno());
        assertTrue(o.detail().contains("only up-to-date copy") && o.detail().contains("node a"), o.detail());
        assertEquals(1, home.lostPages());
        assertEquals(5, nodes.acquire(home, 1, "c", true).errno(), "a lost page stays lost");
        assertEquals(0, nodes.acquire(home, 2, "c", true).errno(), "other pages are unaffected");
    }

    @Test
    void anUnreachableReaderDoesNotStopAWrite() {
        FakeNodes nodes = new FakeNodes();
        HomeDirectory home = directory();
        nodes.acquire(home, 0, "a", false);
        nodes.acquire(home, 0, "b", false);
        nodes.unreachable.add("a");
        assertEquals(0, nodes.acquire(home, 0, "b", true).errno());
        assertEquals(0, home.lostPages());
    }

    @Test
    void aNodeThatRestartedLosesOnlyThePagesItAloneWrote() {
        FakeNodes nodes = new FakeNodes();
        HomeDirectory home = directory();
        nodes.acquire(home, 0, "a", true);
        nodes.acquire(home, 1, "a", false);
        assertEquals(1, home.forget("a"));
        assertEquals(5, nodes.acquire(home, 0, "b", false).errno());
        assertEquals(0, nodes.acquire(home, 1, "b", true).errno());
    }

    @Test
    void aPageOutsideTheSegmentIsRefused() {
        assertEquals(22, new FakeNodes().acquire(directory(), 3, "a", false).errno());
    }
}
