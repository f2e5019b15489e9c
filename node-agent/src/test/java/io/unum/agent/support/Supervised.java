package io.unum.agent.support;

import io.unum.agent.output.OutputStore;
import io.unum.agent.output.OutputStream;
import io.unum.agent.process.ProcessSupervisor;
import io.unum.agent.process.ProcessView;
import io.unum.agent.process.SupervisionException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Test helpers around a real ProcessSupervisor. */
public final class Supervised {

    private Supervised() {
    }

    public static ProcessView awaitEnded(ProcessSupervisor s, int gpid) {
        Await.until("gpid " + gpid + " to end", Duration.ofSeconds(15),
                () -> s.get(gpid).map(v -> !v.running()).orElse(true));
        return s.get(gpid).orElseThrow();
    }

    /** Everything still kept of a stream, from its oldest kept byte. */
    public static String output(ProcessSupervisor s, int gpid, OutputStream stream) {
        return outputFrom(s, gpid, stream, 0);
    }

    public static String outputFrom(ProcessSupervisor s, int gpid, OutputStream stream, long offset) {
        OutputStore store = new OutputStore(s.procDir(gpid).orElseThrow().dir());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long at = offset;
        OutputStore.Chunk c;
        while ((c = store.read(stream, at, OutputStore.MAX_CHUNK)) != null) {
            out.writeBytes(c.data());
            at = c.end();
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Kills whatever still runs: each test cleans up what it started. */
    public static void killAll(ProcessSupervisor s) {
        for (ProcessView v : s.list()) {
            if (v.running()) {
                try {
                    s.signal(v.gpid(), 9);
                } catch (SupervisionException e) {
                    // ended meanwhile
                }
                awaitEnded(s, v.gpid());
            }
        }
    }
}
