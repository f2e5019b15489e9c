package io.unum.controlplane.shm;

import io.unum.api.model.ShmSegmentInfo;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** What the REST and gRPC faces of shared memory answer. */
@ApplicationScoped
public class ShmQueries {
    private final ShmSegments segments;
    private final SegmentPages pages;

    public ShmQueries(ShmSegments segments, SegmentPages pages) {
        this.segments = segments;
        this.pages = pages;
    }

    public List<ShmSegmentInfo> list() {
        return segments.list().stream().map(s -> SegmentViews.info(s, null)).toList();
    }

    public ShmSegmentInfo get(int id) {
        StoredSegment s = segments.get(id);
        return SegmentViews.info(s, pages.describe(s));
    }

    StoredSegment stored(int id) {
        return segments.get(id);
    }

    List<io.unum.api.model.ShmNodePagesInfo> pages(StoredSegment s) {
        return pages.describe(s);
    }

    public ShmSegmentInfo remove(int id) {
        segments.get(id);
        ShmSegments.Answer a = segments.remove(id);
        if (a.segment() == null) {
            // It went between the two reads: destroyed by its last detach.
            throw io.unum.controlplane.error.UnumException.notFound("no shared memory segment " + id + " any more");
        }
        if (segments.isDestroyed(id)) {
            pages.drop(a.segment());
        }
        return SegmentViews.info(segments.find(id).orElse(a.segment()), null);
    }
}
