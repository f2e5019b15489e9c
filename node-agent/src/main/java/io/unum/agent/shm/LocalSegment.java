package io.unum.agent.shm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * This node's copy of a segment: a backing file the node's processes map, and what the node may
 * do with each page (INVALID, READ, WRITE), as the segment's home granted it. The file keeps
 * stale bytes of an invalid page; no process can see them, since every process's mapping of an
 * invalid page is PROT_NONE.
 */
final class LocalSegment implements AutoCloseable {
    static final int PAGE = 4096;
    static final byte INVALID = 1;
    static final byte READ = 2;
    static final byte WRITE = 3;
    /** Page locks are striped: a lock per page would cost too much for a large segment. */
    private static final int STRIPES = 1024;

    final int id;
    final long size;
    final String homeNode;
    final String homeIncarnation;
    final Path backing;
    private final PageFile copy;
    private final byte[] state;
    /** Per page, the number of the last grant installed, and of the last revocation with the state it left. */
    private final long[] installed;
    private final long[] revoked;
    private final byte[] revokedTo;
    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];

    final AtomicLong readFaults = new AtomicLong();
    final AtomicLong writeFaults = new AtomicLong();
    final AtomicLong pagesReceived = new AtomicLong();
    final AtomicLong pagesSent = new AtomicLong();
    final AtomicLong invalidations = new AtomicLong();

    LocalSegment(int id, long size, String homeNode, String homeIncarnation, Path backing) {
        this.id = id;
        this.size = size;
        this.homeNode = homeNode;
        this.homeIncarnation = homeIncarnation;
        this.backing = backing;
        long pages = pages(size);
        if (pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("segment " + id + " is too large: " + size + " bytes");
        }
        this.state = new byte[(int) pages];
        java.util.Arrays.fill(state, INVALID);
        this.installed = new long[(int) pages];
        this.revoked = new long[(int) pages];
        this.revokedTo = new byte[(int) pages];
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
        try {
            // Processes of any uid on this node open it by its unguessable name (the directory
            // cannot be listed); nobody else learns the name.
            Files.deleteIfExists(backing);
            Files.createFile(backing);
            Files.setPosixFilePermissions(backing, PosixFilePermissions.fromString("rw-rw-rw-"));
            FileChannel file = FileChannel.open(backing, StandardOpenOption.READ, StandardOpenOption.WRITE);
            // Sparse: only the pages that arrive take memory.
            if (size > 0) {
                file.write(ByteBuffer.wrap(new byte[1]), pages * PAGE - 1);
            }
            this.copy = new PageFile(backing, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the backing file " + backing, e);
        }
    }

    static long pages(long size) {
        return (size + PAGE - 1) / PAGE;
    }

    int pageCount() {
        return state.length;
    }

    ReentrantLock lock(long page) {
        return locks[(int) (page % STRIPES)];
    }

    byte state(long page) {
        return state[(int) page];
    }

    /**
     * Takes the home's grant of a page, called with its lock. A grant older than the one installed
     * is stale (two acquires crossed). A revocation of this grant or a later one may have come
     * first (the home answers before the grant arrives): the grant then only gets the state that
     * revocation left. False when stale.
     */
    boolean install(HomeDirectory.Grant g) {
        int p = (int) g.page();
        if (g.number() <= installed[p]) {
            return false;
        }
        installed[p] = g.number();
        byte s = revoked[p] >= g.number() ? (byte) Math.min(g.state(), revokedTo[p]) : g.state();
        if (g.data() != null && s >= READ) {
            copy.write(g.page(), g.data());
        }
        state[p] = s;
        return true;
    }

    /**
     * Lowers the page to toState for the home's revocation of grant, called with its lock once no
     * process holds more. True when the node's bytes are the page's (it installed that grant, or
     * it writes the page); false when the grant is still on its way, so the bytes never changed
     * and the home's clean copy is current.
     */
    boolean revoke(long page, long grant, byte toState) {
        int p = (int) page;
        boolean ours = installed[p] >= grant || state[p] == WRITE;
        if (installed[p] < grant) {
            revokedTo[p] = revoked[p] == grant ? (byte) Math.min(revokedTo[p], toState) : toState;
            revoked[p] = Math.max(revoked[p], grant);
        }
        state[p] = (byte) Math.min(state[p], toState);
        return ours;
    }

    byte[] read(long page) {
        return copy.read(page);
    }

    long count(byte s) {
        long n = 0;
        for (byte b : state) {
            if (b >= s) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        copy.close();
    }
}
