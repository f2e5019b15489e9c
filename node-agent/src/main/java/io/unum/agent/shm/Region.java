package io.unum.agent.shm;

/**
 * One mapping of a segment in one process: what that process may do with each page (0 none,
 * 1 read, 3 read and write, as its mprotect says), so a revocation reaches exactly the
 * processes that could still see the page; and how far its reads run on in order.
 */
final class Region {
    /** At most this many pages after the one a read faulted on come with it (1 MiB in all). */
    static final int MAX_READ_AHEAD = 255;
    /** A read that goes on where the last fault's pages ended takes at least this many more. */
    private static final int FIRST_READ_AHEAD = 3;

    final ShmSession session;
    final LocalSegment segment;
    final long addr;
    /** Pages the mapping covers: a POSIX mapping may be shorter than its segment. */
    final long pages;
    final boolean readOnly;
    private final byte[] access;
    /** Only the session's thread, which answers the process's faults one at a time, reads these. */
    private long next = -1;
    private int window;

    Region(ShmSession session, LocalSegment segment, long addr, long size, boolean readOnly) {
        this.session = session;
        this.segment = segment;
        this.addr = addr;
        this.pages = LocalSegment.pages(size);
        this.readOnly = readOnly;
        this.access = new byte[segment.pageCount()];
    }

    /** Called with the page's lock held. */
    int access(long page) {
        return access[(int) page];
    }

    void setAccess(long page, int prot) {
        access[(int) page] = (byte) prot;
    }

    /**
     * How many pages after page a read fault should also ask for: none for a random read, then
     * doubling while the reads go on in order, so a sequential reader soon moves 1 MiB a fault
     * and a random one fetches nothing it did not touch.
     */
    int readAhead(long page) {
        window = page == next ? Math.min(Math.max(FIRST_READ_AHEAD, 2 * window), MAX_READ_AHEAD) : 0;
        return window;
    }

    /** The process was granted pages up to end (exclusive). */
    void granted(long end) {
        next = end;
    }
}
