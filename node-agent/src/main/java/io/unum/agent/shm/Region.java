package io.unum.agent.shm;

/**
 * One mapping of a segment in one process: what that process may do with each page (0 none,
 * 1 read, 3 read and write, as its mprotect says), so a revocation reaches exactly the
 * processes that could still see the page.
 */
final class Region {
    final ShmSession session;
    final LocalSegment segment;
    final long addr;
    final boolean readOnly;
    private final byte[] access;

    Region(ShmSession session, LocalSegment segment, long addr, boolean readOnly) {
        this.session = session;
        this.segment = segment;
        this.addr = addr;
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
}
