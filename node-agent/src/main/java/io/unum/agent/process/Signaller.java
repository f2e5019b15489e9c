package io.unum.agent.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Sends a signal to a host pid. Java cannot call kill(2) with an arbitrary signal
 * (ProcessHandle only knows TERM and KILL), so this runs {@code unum-shim -k SIG PID}: argv,
 * no shell, and no dependency on procps' /bin/kill. A FIFO to the shim was the alternative,
 * but opening a FIFO blocks when its reader is gone, and Java cannot open one non-blocking.
 */
final class Signaller {

    private Signaller() {
    }

    /** @return null on success, else the error */
    static String send(Path shim, int pid, int sig) {
        try {
            Process p = new ProcessBuilder(shim.toString(), "-k", Integer.toString(sig), Integer.toString(pid))
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "kill timed out";
            }
            return p.exitValue() == 0 ? null : out;
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
