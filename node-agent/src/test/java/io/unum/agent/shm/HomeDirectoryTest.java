package io.unum.agent.shm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

/** The home's directory against a hand-written set of nodes that keep one page each. */
class HomeDirectoryTest {
    @TempDir
    Path dir;

    /** Nodes as the home sees them: each node's copy of page 0 and its state; some unreachable. */
    static final class FakeNodes implements HomeDirectory.Nodes {
        final Map<String, byte[]> copy = new HashMap<>();
        final Map<String, Byte> state = new HashMap<>();
        final Set<String> unreachable = new HashSet<>();
        final List<String> calls = new ArrayList<>();

        @Override
        public void install(String node, long page, byte s, byte[] data) {
            calls.add("install " + node + " " + s + (data == null ? " current" : " data"));
            if (data != null) {
                copy.put(node, data.clone());
            }
            state.put(node, s);
        }

        @Override
        public byte[] revoke(String node, long page, byte toState, boolean wantData) throws HomeDirectory.NodeUnreachable {
            calls.add("revoke " + node + " " + toState);
            if (unreachable.contains(node)) {
                throw new HomeDirectory.NodeUnreachable(node, new RuntimeException("connection refused"));
            }
            state.put(node, toState);
            return wantData ? copy.getOrDefault(node, new byte[LocalSegment.PAGE]).clone() : new byte[0];
        }

        /** What a process on node writes into its copy (allowed only while it holds WRITE). */
        void write(String node, int value) {
            assertEquals(LocalSegment.WRITE, state.get(node), node + " writes only with WRITE");
            byte[] b = copy.computeIfAbsent(node, n -> new byte[LocalSegment.PAGE]);
            b[0] = (byte) value;
        }

        int read(String node) {
            assertTrue(state.get(node) >= LocalSegment.READ, node + " reads only with READ or WRITE");
            return copy.get(node)[0];
        }
    }

    private HomeDirectory directory() {
        return new HomeDirectory(7, 3 * LocalSegment.PAGE, dir.resolve("home-7"));
    }

    @Test
    void aReadAfterAWriteOnAnotherNodeSeesTheWriteAndLeavesTwoReaders() {
        FakeNodes nodes = new FakeNodes();
        HomeDirectory home = directory();
        assertEquals(0, home.acquire(0, "a", true, nodes).errno());
        nodes.write("a", 42);
        assertEquals(0, home.acquire(0, "b", false, nodes).errno());
        assertEquals(42, nodes.read("b"));
        assertEquals(LocalSegment.READ, nodes.state.get("a"), "the writer was downgraded, not invalidated");
    }

    @Test
    void aWriteInvalidatesEveryOtherCopyAndCarriesTheLatestBytes() {
        FakeNodes nodes = new FakeNodes();
        HomeDirectory home = directory();
        home.acquire(0, "a", true, nodes);
        nodes.write("a", 1);
        home.acquire(0, "b", false, nodes);
        home.acquire(0, "c", false, nodes);
        assertEquals(0, home.acquire(0, "c", true, nodes).errno());
        assertEquals(LocalSegment.INVALID, nodes.state.get("a"));
        assertEquals(LocalSegment.INVALID, nodes.state.get("b"));
        assertEquals(1, nodes.read("c"));
        assertTrue(nodes.calls.get(nodes.calls.size() - 1).endsWith("current"),
                "c was a reader: its copy is current, no bytes are sent: " + nodes.calls);
        nodes.write("c", 2);
        home.acquire(0, "a", false, nodes);
        assertEquals(2, nodes.read("a"), "a reads c's write");
    }

    @Test
    void aWriterThatCannotBeReachedLosesThePageAndTheSegmentSaysSo() {
        FakeNodes nodes = new FakeNodes();
        HomeDirectory home = directory();
        home.acquire(1, "a", true, nodes);
        nodes.unreachable.add("a");
        HomeDirectory.Outcome o = home.acquire(1, "b", false, nodes);
        assertEquals(5, o.errno());
        assertTrue(o.detail().contains("only up-to-date copy") && o.detail().contains("node a"), o.detail());
        assertEquals(1, home.lostPages());
        assertEquals(5, home.acquire(1, "c", true, nodes).errno(), "a lost page stays lost");
        assertEquals(0, home.acquire(2, "c", true, nodes).errno(), "other pages are unaffected");
    }

    @Test
    void anUnreachableReaderDoesNotStopAWrite() {
        FakeNodes nodes = new FakeNodes();
        HomeDirectory home = directory();
        home.acquire(0, "a", false, nodes);
        home.acquire(0, "b", false, nodes);
        nodes.unreachable.add("a");
        assertEquals(0, home.acquire(0, "b", true, nodes).errno());
        assertEquals(0, home.lostPages());
    }

    @Test
    void aNodeThatRestartedLosesOnlyThePagesItAloneWrote() {
        FakeNodes nodes = new FakeNodes();
        HomeDirectory home = directory();
        home.acquire(0, "a", true, nodes);
        home.acquire(1, "a", false, nodes);
        assertEquals(1, home.forget("a"));
        assertEquals(5, home.acquire(0, "b", false, nodes).errno());
        assertEquals(0, home.acquire(1, "b", true, nodes).errno());
    }

    @Test
    void aPageOutsideTheSegmentIsRefused() {
        assertEquals(22, directory().acquire(3, "a", false, new FakeNodes()).errno());
    }
}
