package io.unum.agent.process;

import java.util.List;
import java.util.Optional;

/**
 * What the supervisor lets a dumper and a restorer do (see image/ProcessImages): hand a running
 * process over for a dump, and adopt a restored tree. The proc-dir and the shim stay the
 * supervisor's; these calls keep its books straight while CRIU works.
 */
public interface ProcessHandoff {

    Optional<ProcessView> get(int gpid);

    /** The image a running process was restored from, if it was. */
    Optional<String> restoredFrom(int gpid);

    /**
     * Marks a running process as being dumped into imageId, so that the end CRIU causes is not
     * reported as an exit. Every dump is ended with {@link Dumping#release} or {@link Dumping#handOver}.
     */
    Dumping beginDump(int gpid, String imageId) throws SupervisionException;

    /** Lets a tree restored with hold from imageId run; idempotent. */
    void release(int gpid, String imageId) throws SupervisionException;

    /** The image a CRIU dump of gpid is writing right now, if one is. */
    Optional<String> dumpingInto(int gpid);

    /** Dumps an earlier agent began and did not finish. */
    List<Dumping> interruptedDumps();

    /**
     * Creates the proc-dir of a process that is about to be restored; an ended earlier life of
     * the same gpid makes way.
     */
    Restoring beginRestore(int gpid) throws SupervisionException;

    /**
     * A post-copy restore's pages are still arriving (true), or no longer (false): until then an
     * exit report of the process waits a little, as its end may come from pages that never arrive.
     */
    void pagesArriving(int gpid, boolean arriving);

    /**
     * A process that cannot go on (a post-copy restore whose missing memory can no longer arrive):
     * it is stopped (if it still runs and is not held), its exit report is given why's answer, and
     * it is killed. why gets each task's pid inside the namespace mapped to its host pid, read while
     * the tree is stopped; null when it had ended already.
     */
    void end(int gpid, java.util.function.Function<java.util.Map<Integer, Integer>, String> why);
}
