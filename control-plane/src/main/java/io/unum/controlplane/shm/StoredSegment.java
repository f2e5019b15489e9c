package io.unum.controlplane.shm;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A segment as etcd keeps it ({@code /unum/shm/segments/<id>}). nodes is every node that ever
 * held a copy: they are told to drop it when the segment is destroyed.
 */
public record StoredSegment(int id, Integer key, String name, long sizeBytes, int mode, int creatorGpid, int uid, int gid,
        String homeNode,
        String homeIncarnation, List<StoredAttachment> attachments, boolean removed, long lostPages, String lostReason,
        Instant createdAt, Set<String> nodes) {

    public StoredSegment {
        attachments = attachments == null ? List.of() : List.copyOf(attachments);
        nodes = nodes == null ? Set.of() : Set.copyOf(new TreeSet<>(nodes));
    }

    /**
     * Whether uid/gid may read and write it, by its mode as the kernel's ipcperms decides: the owner's
     * bits for its uid, the group's for its gid, the others' for everyone else; root always.
     */
    boolean allows(int callerUid, int callerGid) {
        if (callerUid == 0) {
            return true;
        }
        int bits = callerUid == uid ? (mode >> 6) : callerGid == gid ? (mode >> 3) : mode;
        return (bits & 06) == 06;
    }

    /** The name index entry of this segment; null for IPC_PRIVATE (no name). */
    String nameKey() {
        return nameKey(key, name);
    }

    static String nameKey(Integer key, String name) {
        if (name != null) {
            return "posix-" + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8);
        }
        return key == null || key == 0 ? null : "sysv-" + Integer.toUnsignedString(key);
    }

    StoredSegment withAttachment(StoredAttachment a) {
        List<StoredAttachment> more = new ArrayList<>(attachments);
        more.add(a);
        Set<String> seen = new TreeSet<>(nodes);
        seen.add(a.node());
        return new StoredSegment(id, key, name, sizeBytes, mode, creatorGpid, uid, gid, homeNode, homeIncarnation, more, removed,
                lostPages, lostReason, createdAt, seen);
    }

    /** Without one attachment of (gpid, node, pid); the same instance when there is none. */
    StoredSegment withoutAttachment(int gpid, String node, int pid) {
        List<StoredAttachment> fewer = new ArrayList<>(attachments);
        for (int i = 0; i < fewer.size(); i++) {
            StoredAttachment a = fewer.get(i);
            if (a.gpid() == gpid && a.node().equals(node) && a.pid() == pid) {
                fewer.remove(i);
                return new StoredSegment(id, key, name, sizeBytes, mode, creatorGpid, uid, gid, homeNode, homeIncarnation, fewer,
                        removed, lostPages, lostReason, createdAt, nodes);
            }
        }
        return this;
    }

    /** Without the attachments node recorded in other starts of its agent than incarnation. */
    StoredSegment withoutStaleAttachments(String node, String incarnation) {
        List<StoredAttachment> kept = attachments.stream()
                .filter(a -> !a.node().equals(node) || incarnation.equals(a.incarnation())).toList();
        return kept.size() == attachments.size() ? this : new StoredSegment(id, key, name, sizeBytes, mode, creatorGpid, uid, gid,
                homeNode, homeIncarnation, kept, removed, lostPages, lostReason, createdAt, nodes);
    }

    StoredSegment asRemoved() {
        return removed ? this : new StoredSegment(id, key, name, sizeBytes, mode, creatorGpid, uid, gid, homeNode, homeIncarnation,
                attachments, true, lostPages, lostReason, createdAt, nodes);
    }

    StoredSegment withSize(long size) {
        return new StoredSegment(id, key, name, size, mode, creatorGpid, uid, gid, homeNode, homeIncarnation, attachments, removed,
                lostPages, lostReason, createdAt, nodes);
    }

    StoredSegment withLost(long pages, String reason) {
        if (pages <= lostPages) {
            return this;
        }
        return new StoredSegment(id, key, name, sizeBytes, mode, creatorGpid, uid, gid, homeNode, homeIncarnation, attachments, removed,
                pages, reason, createdAt, nodes);
    }
}
