package io.unum.controlplane.shm;

import io.unum.api.grpc.ShmAttachment;
import io.unum.api.grpc.ShmNodePages;
import io.unum.api.grpc.ShmSegment;
import io.unum.api.model.ShmNodePagesInfo;
import io.unum.api.model.ShmSegmentInfo;
import io.unum.api.model.ShmState;
import java.util.List;

/** The REST and protobuf shapes of a stored segment. */
final class SegmentViews {
    private SegmentViews() {
    }

    static ShmState state(StoredSegment s) {
        if (s.lostPages() > 0) {
            return ShmState.DEGRADED;
        }
        return s.removed() ? ShmState.REMOVED : ShmState.ACTIVE;
    }

    static ShmSegmentInfo info(StoredSegment s, List<ShmNodePagesInfo> pages) {
        return new ShmSegmentInfo(s.id(), s.key(), s.name(), s.sizeBytes(), s.mode(), s.creatorGpid(), s.uid(), s.gid(),
                s.homeNode(), state(s),
                s.lostPages(), s.lostReason(), s.createdAt(), s.attachments().stream().map(StoredAttachment::info).toList(), pages);
    }

    static ShmSegment proto(StoredSegment s, List<ShmNodePagesInfo> pages) {
        ShmSegment.Builder b = ShmSegment.newBuilder().setId(s.id()).setSizeBytes(s.sizeBytes()).setMode(s.mode())
                .setCreatorGpid(s.creatorGpid()).setUid(s.uid()).setGid(s.gid()).setHomeNode(s.homeNode()).setState(state(s).name())
                .setLostPages(s.lostPages()).setHomeIncarnation(s.homeIncarnation() == null ? "" : s.homeIncarnation());
        if (s.key() != null) {
            b.setKey(s.key());
        }
        if (s.name() != null) {
            b.setName(s.name());
        }
        if (s.lostReason() != null) {
            b.setLostReason(s.lostReason());
        }
        if (s.createdAt() != null) {
            b.setCreatedAtEpochMs(s.createdAt().toEpochMilli());
        }
        s.attachments().forEach(a -> b.addAttachments(ShmAttachment.newBuilder().setGpid(a.gpid()).setNode(a.node())
                .setPid(a.pid()).setAttachedAtEpochMs(a.attachedAt() == null ? 0 : a.attachedAt().toEpochMilli())));
        for (ShmNodePagesInfo p : pages) {
            b.addPages(ShmNodePages.newBuilder().setNode(p.node()).setResidentPages(p.residentPages())
                    .setWritablePages(p.writablePages()).setReadFaults(p.readFaults()).setWriteFaults(p.writeFaults())
                    .setPagesReceived(p.pagesReceived()).setPagesSent(p.pagesSent()).setInvalidations(p.invalidations())
                    .setError(p.error() == null ? "" : p.error()));
        }
        return b.build();
    }
}
