package io.unum.controlplane.shm;

import io.unum.api.model.ShmAttachmentInfo;
import java.time.Instant;

/**
 * An attachment as etcd keeps it: with the start of the node's agent that recorded it, so that a
 * restarted agent (whose processes lost their connection, and with it their mappings' use) can
 * have every attachment of its earlier lives dropped without touching its new ones.
 */
public record StoredAttachment(int gpid, String node, int pid, Instant attachedAt, String incarnation) {
    ShmAttachmentInfo info() {
        return new ShmAttachmentInfo(gpid, node, pid, attachedAt);
    }
}
