package io.unum.agent.process;

/**
 * The supervisor's memory of one process. Everything here can be rebuilt from the proc-dir,
 * which is what lets a restarted agent re-adopt its processes. Guarded by its own monitor.
 */
final class Tracked {
    final ProcDir dir;
    /** The program's host pid; 0 until known (or forever, when exec failed). */
    int pid;
    /** /proc start time of pid; -1 when unknown. */
    long pidStart = -1;
    /** The shim supervising the program; null when it is not (or no longer) running. */
    ProcessHandle shim;
    /** Null while the program runs. */
    ProcessExit exit;
    /** The image CRIU is dumping the process into; its end is then not an exit. */
    String dumping;
    /** Restored with hold and not released: every task is stopped until a release. */
    boolean held;
    /** The image this process was restored from; null for a fresh start. */
    final String restoredFrom;

    Tracked(ProcDir dir) {
        this.dir = dir;
        this.held = dir.has(dir.heldFile());
        this.restoredFrom = dir.readRestoredFrom().orElse(null);
    }

    /** Records the pid the shim reported, with its start time so a recycled pid is never mistaken for it. */
    synchronized void started(int hostPid) {
        pid = hostPid;
        pidStart = ProcFs.startTime(hostPid).orElse(-1L);
        if (pidStart >= 0) {
            dir.writeAtomically(dir.pidStartFile(), pidStart + "\n");
        }
    }

    synchronized ProcessView view() {
        return new ProcessView(dir.gpid(), pid, exit == null, java.util.Optional.ofNullable(exit), held,
                java.util.Optional.ofNullable(restoredFrom));
    }
}
