package io.unum.controlplane.fs;

import java.util.List;

/**
 * The locks held on one inode ({@code fs/locks/<ino>}): one key, so that a change compares one
 * revision however many owners there are.
 */
record StoredLocks(List<Held> held) {
    StoredLocks {
        held = held == null ? List.of() : List.copyOf(held);
    }

    /** One owner's lock on an inclusive byte range; kind POSIX or FLOCK. */
    record Held(String node, long owner, int pid, String kind, boolean write, long start, long end) {
        boolean sameOwner(String n, long o, String k) {
            return node.equals(n) && owner == o && kind.equals(k);
        }

        boolean overlaps(long s, long e) {
            return start <= e && s <= end;
        }
    }
}
