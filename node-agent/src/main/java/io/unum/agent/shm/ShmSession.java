package io.unum.agent.shm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One process's conversation with the agent: its requests connection (read here, one request at a
 * time, as the library sends them) and its callbacks connection (the agent's revocations, answered
 * by the library's helper thread). Ends when the process closes the requests connection (exit,
 * exec), detaching every region it still had.
 */
final class ShmSession implements Runnable {
    private static final Logger LOG = Logger.getLogger(ShmSession.class.getName());

    final long id;
    final int pid;
    final int gpid;
    /** The program's effective uid and gid when it said HELLO: what segment modes are checked against. */
    final int uid;
    final int gid;
    private final SocketChannel requests;
    private final ShmNode node;
    private final Map<Long, Region> regions = new ConcurrentHashMap<>();
    /** Segments the control plane let this process attach (ATTACH checked the mode): ATTACHED must name one. */
    private final java.util.Set<Integer> admitted = ConcurrentHashMap.newKeySet();
    private final Object callbackLock = new Object();
    private volatile SocketChannel callbacks;
    private volatile boolean closed;

    ShmSession(long id, int pid, int gpid, int uid, int gid, SocketChannel requests, ShmNode node) {
        this.id = id;
        this.pid = pid;
        this.gpid = gpid;
        this.uid = uid;
        this.gid = gid;
        this.requests = requests;
        this.node = node;
    }

    void connectCallbacks(SocketChannel ch) {
        callbacks = ch;
    }

    boolean hasCallbacks() {
        return callbacks != null;
    }

    void admit(int segment) {
        admitted.add(segment);
    }

    boolean admitted(int segment) {
        return admitted.contains(segment);
    }

    Map<Long, Region> regions() {
        return regions;
    }

    List<Region> regionsOf(LocalSegment segment) {
        return regions.values().stream().filter(r -> r.segment == segment).toList();
    }

    @Override
    public void run() {
        try {
            while (!closed) {
                Frame f = Frame.read(requests);
                node.handle(this, f);
            }
        } catch (IOException e) {
            LOG.fine(() -> "session " + id + " (pid " + pid + ") ended: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "session " + id + " (pid " + pid + ") failed", e);
        } finally {
            close();
        }
    }

    /** The next frame on the requests connection (a FAULT_DONE after a grant). */
    Frame next() throws IOException {
        return Frame.read(requests);
    }

    void reply(int op, long tag, ByteBuffer payload) throws IOException {
        Frame.write(requests, op, tag, payload);
    }

    void result(long tag, long value) throws IOException {
        Frame.result(requests, tag, value);
    }

    /**
     * Lowers the process's protection of count pages from page and waits until its helper thread
     * applied it. False when the process is gone (its mappings went with it).
     */
    boolean protect(Region r, long page, int count, int prot) {
        synchronized (callbackLock) {
            SocketChannel ch = callbacks;
            if (ch == null || closed) {
                return false;
            }
            try {
                Frame.write(ch, Frame.PROTECT, page, Frame.buffer(24).putLong(r.addr).putLong(page).putInt(prot).putInt(count));
                Frame done = Frame.read(ch);
                if (done.op() != Frame.PROTECT_DONE) {
                    throw new IOException("expected PROTECT_DONE, got op " + done.op());
                }
                for (long q = page; q < page + count; q++) {
                    r.setAccess(q, prot);
                }
                return true;
            } catch (IOException e) {
                LOG.fine(() -> "session " + id + " (pid " + pid + ") lost its callbacks: " + e.getMessage());
                close();
                return false;
            }
        }
    }

    /**
     * Asks the library to let go before a dump (its regions become placeholders, it closes both
     * connections and dials again later); true when it said it did.
     */
    boolean suspend() {
        synchronized (callbackLock) {
            SocketChannel ch = callbacks;
            if (ch == null || closed) {
                return false;
            }
            try {
                Frame.write(ch, Frame.SUSPEND, id, Frame.buffer(0));
                Frame done = Frame.read(ch);
                return done.op() == Frame.SUSPEND_DONE;
            } catch (IOException e) {
                close();
                return false;
            }
        }
    }

    void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            requests.close();
        } catch (IOException e) {
            // closing anyway
        }
        SocketChannel ch = callbacks;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        node.ended(this);
    }

    boolean isClosed() {
        return closed;
    }
}
