package io.unum.agent.shm;

import com.google.protobuf.ByteString;
import io.unum.api.grpc.PageGrant;
import io.unum.api.grpc.PageState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The page directory of a segment this node is home of (Li and Hudak's centralized manager): per
 * page, the one node that may write it or the nodes that may read it, each with the number of the
 * grant it holds the page by, and a clean copy of the bytes as they last passed through here.
 * Every change of a page happens under its lock here, so no two nodes ever write a page at once.
 * The requester installs a grant after the lock is let go; grant numbers order that install
 * against a later revocation of the same page (see {@link Grant}), so no node reads a value older
 * than the last completed write.
 */
final class HomeDirectory implements AutoCloseable {
    private static final int STRIPES = 1024;

    /** What the home asks of the nodes; each call reaches the node's agent (or this one). */
    interface Nodes {
        /**
         * Lowers the node's hold of page, taken by grant. The node's bytes when wantData, or null
         * when it had not installed that grant yet (the clean copy here is then current). Throws
         * NodeUnreachable when its agent cannot be reached.
         */
        byte[] revoke(String node, long page, long grant, byte toState, boolean wantData) throws NodeUnreachable;

        /**
         * Makes the home's own node, which writes pages (ascending) by grants, a reader of them.
         * Their bytes, each null when the home's clean copy is current; null when it cannot.
         */
        byte[][] downgradeHome(long[] pages, long[] grants);
    }

    /** A node whose agent did not answer: what it alone held is lost. */
    static final class NodeUnreachable extends Exception {
        NodeUnreachable(String node, Throwable cause) {
            super("node " + node + " did not answer: " + cause.getMessage(), cause);
        }
    }

    /**
     * A state granted to a node, for it to install: data is null when the node's copy is current.
     * Numbers grow with every grant of a page, so the node can tell a grant from an older one.
     */
    record Grant(long page, byte state, byte[] data, long number) {
        static Grant of(PageGrant g) {
            return new Grant(g.getPage(), (byte) g.getStateValue(), g.getData().isEmpty() ? null : g.getData().toByteArray(),
                    g.getNumber());
        }

        PageGrant toProto() {
            PageGrant.Builder b = PageGrant.newBuilder().setPage(page).setState(PageState.forNumber(state)).setNumber(number);
            if (data != null) {
                b.setData(ByteString.copyFrom(data));
            }
            return b.build();
        }
    }

    /** The answer to an acquire: 0 or an errno, and why; the grants in page order. */
    record Outcome(int errno, String detail, List<Grant> grants) {
        static Outcome failed(int errno, String detail) {
            return new Outcome(errno, detail, List.of());
        }
    }

    /** A node that may read a page, and the grant it reads it by. */
    private record Reader(String node, long grant) {
    }

    final int id;
    final long size;
    /** The node this directory is on. */
    private final String self;
    /** Pages whose bytes this home sent to another node. */
    final AtomicLong pagesServed = new AtomicLong();
    private final String[] writer;
    private final long[] writerGrant;
    private final List<List<Reader>> readers;
    private final BitSet lost = new BitSet();
    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];
    private final AtomicLong grants = new AtomicLong();
    private final PageFile store;

    HomeDirectory(int id, long size, String self, Path storePath) {
        this.id = id;
        this.size = size;
        this.self = self;
        int pages = (int) LocalSegment.pages(size);
        this.writer = new String[pages];
        this.writerGrant = new long[pages];
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

    /**
     * Makes node a reader or the only writer of page; hasCopy: node holds the page readable, so
     * the bytes need not travel if it is a holder here. A read also takes up to readAhead
     * following pages that no node writes or only this one does: they cost no call to another
     * node, only their clean copies (and this node's processes one mprotect per run).
     */
    Outcome acquire(long page, String node, boolean write, boolean hasCopy, int readAhead, Nodes nodes) {
        if (page < 0 || page >= writer.length) {
            return Outcome.failed(22, "page " + page + " is outside segment " + id);
        }
        ReentrantLock lock = lock(page);
        lock.lock();
        try {
            int p = (int) page;
            if (lost.get(p)) {
                return Outcome.failed(5, "page " + page + " of segment " + id + " was lost with a node that went away");
            }
            String w = writer[p];
            List<Reader> rs = readers.get(p) == null ? new ArrayList<>() : readers.get(p);
            byte[] data = null;
            boolean current = hasCopy && (node.equals(w) || holds(rs, node));
            if (w != null && !w.equals(node)) {
                try {
                    data = nodes.revoke(w, page, writerGrant[p], write ? LocalSegment.INVALID : LocalSegment.READ, true);
                } catch (NodeUnreachable e) {
                    lost.set(p);
                    writer[p] = null;
                    return Outcome.failed(5, "page " + page + " of segment " + id + " was lost: its only up-to-date copy was on "
                            + e.getMessage());
                }
                if (data != null) {
                    store.write(page, data);
                }
                writer[p] = null;
                if (!write) {
                    rs.add(new Reader(w, writerGrant[p]));
                }
            }
            long number = grants.incrementAndGet();
            if (write) {
                for (Reader r : rs) {
                    if (!r.node().equals(node)) {
                        try {
                            nodes.revoke(r.node(), page, r.grant(), LocalSegment.INVALID, false);
                        } catch (NodeUnreachable e) {
                            // A reader's copy is clean: losing it loses nothing. Its processes lost their
                            // agent, and with it every page (the library makes them all inaccessible).
                        }
                    }
                }
                rs = new ArrayList<>();
                writer[p] = node;
                writerGrant[p] = number;
            } else {
                rs.removeIf(r -> r.node().equals(node));
                rs.add(new Reader(node, number));
            }
            readers.set(p, rs.isEmpty() ? null : rs);
            if (data == null && !current) {
                data = store.read(page);
            }
            List<Grant> granted = new ArrayList<>();
            granted.add(new Grant(page, write ? LocalSegment.WRITE : LocalSegment.READ, current && data == null ? null : data,
                    number));
            if (!write) {
                readAhead(page, node, readAhead, nodes, granted);
            }
            return new Outcome(0, "", granted);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Grants node the pages after page, up to count, that no node writes or only this one does
     * (it keeps reading them), stopping at the first page another node writes, lost or busy: a
     * read-ahead never waits for a lock or calls another node. Pages node already reads are
     * skipped: it holds them. The pages stay locked until every one is recorded.
     */
    private void readAhead(long page, String node, int count, Nodes nodes, List<Grant> granted) {
        List<ReentrantLock> held = new ArrayList<>();
        try {
            List<Long> pages = new ArrayList<>();
            for (long q = page + 1; q <= page + count && q < writer.length; q++) {
                ReentrantLock lock = lock(q);
                if (!lock.tryLock()) {
                    break;
                }
                held.add(lock);
                int p = (int) q;
                boolean selfWrites = self.equals(writer[p]) && !node.equals(self);
                if (lost.get(p) || writer[p] != null && !selfWrites) {
                    break;
                }
                if (selfWrites || readers.get(p) == null || !holds(readers.get(p), node)) {
                    pages.add(q);
                }
            }
            long[] written = pages.stream().filter(q -> writer[(int) (long) q] != null).mapToLong(Long::longValue).toArray();
            if (written.length > 0) {
                byte[][] bytes = nodes.downgradeHome(written, java.util.Arrays.stream(written).map(q -> writerGrant[(int) q]).toArray());
                if (bytes == null) {
                    pages.removeIf(q -> q >= written[0]);
                } else {
                    for (int i = 0; i < written.length; i++) {
                        int p = (int) written[i];
                        if (bytes[i] != null) {
                            store.write(written[i], bytes[i]);
                        }
                        writer[p] = null;
                        readers.set(p, new ArrayList<>(List.of(new Reader(self, writerGrant[p]))));
                    }
                }
            }
            for (long q : pages) {
                int p = (int) q;
                List<Reader> rs = readers.get(p) == null ? new ArrayList<>() : readers.get(p);
                long number = grants.incrementAndGet();
                rs.add(new Reader(node, number));
                readers.set(p, rs);
                granted.add(new Grant(q, LocalSegment.READ, store.read(q), number));
            }
        } finally {
            held.forEach(ReentrantLock::unlock);
        }
    }

    private static boolean holds(List<Reader> rs, String node) {
        return rs.stream().anyMatch(r -> r.node().equals(node));
    }

    private ReentrantLock lock(long page) {
        return locks[(int) (page % STRIPES)];
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
                List<Reader> rs = readers.get(p);
                if (rs != null) {
                    rs.removeIf(r -> r.node().equals(node));
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

    @Override
    public void close() {
        store.close();
    }
}
