package io.unum.agent.shm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The page directory of a segment this node is home of (Li and Hudak's centralized manager): per
 * page, the one node that may write it or the nodes that may read it, and a clean copy of the
 * bytes as they last passed through here. Every change of a page happens under its lock here, and
 * the requester has installed the page before the lock is let go, so no two nodes ever write a
 * page at once and no node reads a value older than the last completed write.
 */
final class HomeDirectory implements AutoCloseable {
    private static final int STRIPES = 1024;

    /** What the home asks of the nodes; each call reaches the node's agent (or this one). */
    interface Nodes {
        void install(String node, long page, byte state, byte[] data);

        /** The node's bytes when wantData; throws NodeUnreachable when its agent cannot be reached. */
        byte[] revoke(String node, long page, byte toState, boolean wantData) throws NodeUnreachable;
    }

    /** A node whose agent did not answer: what it alone held is lost. */
    static final class NodeUnreachable extends Exception {
        NodeUnreachable(String node, Throwable cause) {
            super("node " + node + " did not answer: " + cause.getMessage(), cause);
        }
    }

    /** The answer to an acquire: 0 or an errno, and why. */
    record Outcome(int errno, String detail) {
        static final Outcome OK = new Outcome(0, "");
    }

    final int id;
    final long size;
    /** Pages whose bytes this home sent to another node. */
    final java.util.concurrent.atomic.AtomicLong pagesServed = new java.util.concurrent.atomic.AtomicLong();
    private final String[] writer;
    private final List<List<String>> readers;
    private final BitSet lost = new BitSet();
    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];
    private final PageFile store;

    HomeDirectory(int id, long size, Path storePath) {
        this.id = id;
        this.size = size;
        int pages = (int) LocalSegment.pages(size);
        this.writer = new String[pages];
        this.readers = new ArrayList<>(pages);
        for (int i = 0; i < pages; i++) {
            readers.add(null);
        }
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
        try {
            Files.deleteIfExists(storePath);
            this.store = new PageFile(storePath, FileChannel.open(storePath, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.READ, StandardOpenOption.WRITE));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + storePath, e);
        }
    }

    /** Makes node a reader or the only writer of page, installing it there before returning. */
    Outcome acquire(long page, String node, boolean write, Nodes nodes) {
        if (page < 0 || page >= writer.length) {
            return new Outcome(22, "page " + page + " is outside segment " + id);
        }
        ReentrantLock lock = locks[(int) (page % STRIPES)];
        lock.lock();
        try {
            int p = (int) page;
            if (lost.get(p)) {
                return new Outcome(5, "page " + page + " of segment " + id + " was lost with a node that went away");
            }
            String w = writer[p];
            List<String> rs = readers.get(p) == null ? new ArrayList<>() : readers.get(p);
            byte[] data = null;
            boolean current = node.equals(w) || rs.contains(node);
            if (w != null && !w.equals(node)) {
                try {
                    data = nodes.revoke(w, page, write ? LocalSegment.INVALID : LocalSegment.READ, true);
                } catch (NodeUnreachable e) {
                    lost.set(p);
                    writer[p] = null;
                    return new Outcome(5, "page " + page + " of segment " + id + " was lost: its only up-to-date copy was on "
                            + e.getMessage());
                }
                putClean(page, data);
                writer[p] = null;
                if (!write) {
                    rs.add(w);
                }
            }
            if (write) {
                for (String r : rs) {
                    if (!r.equals(node)) {
                        try {
                            nodes.revoke(r, page, LocalSegment.INVALID, false);
                        } catch (NodeUnreachable e) {
                            // A reader's copy is clean: losing it loses nothing. Its processes lost their
                            // agent, and with it every page (the library makes them all inaccessible).
                        }
                    }
                }
                rs = new ArrayList<>();
                writer[p] = node;
            } else if (!rs.contains(node)) {
                rs.add(node);
            }
            readers.set(p, rs.isEmpty() ? null : rs);
            if (data == null && !current) {
                data = clean(page);
            }
            nodes.install(node, page, write ? LocalSegment.WRITE : LocalSegment.READ, current && data == null ? null : data);
            return Outcome.OK;
        } finally {
            lock.unlock();
        }
    }

    /** Forgets node everywhere: its agent restarted or it went away. Pages it alone wrote are lost. */
    long forget(String node) {
        long newlyLost = 0;
        for (int p = 0; p < writer.length; p++) {
            ReentrantLock lock = locks[p % STRIPES];
            lock.lock();
            try {
                if (node.equals(writer[p])) {
                    writer[p] = null;
                    lost.set(p);
                    newlyLost++;
                }
                List<String> rs = readers.get(p);
                if (rs != null) {
                    rs.remove(node);
                }
            } finally {
                lock.unlock();
            }
        }
        return newlyLost;
    }

    long lostPages() {
        return lost.cardinality();
    }

    private void putClean(long page, byte[] data) {
        store.write(page, data);
    }

    private byte[] clean(long page) {
        return store.read(page);
    }

    @Override
    public void close() {
        store.close();
    }
}
