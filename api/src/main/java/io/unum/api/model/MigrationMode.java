package io.unum.api.model;

/** How a migration moves memory. */
public enum MigrationMode {
    /**
     * The process stops, its whole image moves, it resumes on the target: the freeze grows with
     * its memory. A failure at any step resumes it on the source.
     */
    STOP_AND_COPY,
    /**
     * Only the image without the memory pages moves; the process resumes on the target and its
     * pages follow on demand and in the background (CRIU lazy pages over userfaultfd), so the
     * freeze hardly grows with memory. Until the restore a failure resumes it on the source;
     * once it runs on the target, losing either node before every page arrived loses the process.
     */
    POST_COPY
}
