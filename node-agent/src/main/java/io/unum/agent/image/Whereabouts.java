package io.unum.agent.image;

import io.unum.agent.process.ProcessView;
import java.util.List;
import java.util.Optional;

/**
 * What a node knows of a gpid at one moment: the answer after a dump or restore call failed in
 * an unknown way. process is the supervised process, if there is one; images the whole images
 * here that hold the gpid.
 */
public record Whereabouts(Presence presence, Optional<ProcessView> process, List<String> images) {

    public enum Presence {
        /** Not supervised here, and no whole image here holds it. */
        ABSENT,
        /** Supervised here and running. */
        RUNNING,
        /** Restored with hold and not released: stopped, it never ran here. */
        HELD,
        /** A CRIU dump of it is in progress (possibly begun by an earlier agent). */
        DUMPING,
        /** It ended here. */
        ENDED,
        /**
         * Not supervised here, and a whole image here holds it (dumped here, or received); or a
         * post-copy dump's published image holds it while CRIU keeps the tree frozen, serving its
         * pages (a restore of that image here resumes it).
         */
        LEFT
    }

    /** served: a post-copy dump of the process published its image and serves the pages. */
    static Whereabouts of(Optional<ProcessView> process, Optional<String> dumpingInto, boolean served, List<String> images) {
        Presence presence;
        if (served) {
            presence = Presence.LEFT;
        } else if (process.isEmpty()) {
            presence = images.isEmpty() ? Presence.ABSENT : Presence.LEFT;
        } else if (dumpingInto.isPresent()) {
            presence = Presence.DUMPING;
        } else if (!process.get().running()) {
            presence = Presence.ENDED;
        } else {
            presence = process.get().held() ? Presence.HELD : Presence.RUNNING;
        }
        return new Whereabouts(presence, process, List.copyOf(images));
    }
}
