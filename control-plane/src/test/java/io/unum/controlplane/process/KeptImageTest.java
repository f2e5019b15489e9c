package io.unum.controlplane.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The mark of a process kept LOST in an image, and its removal once the image turned out to be gone. */
class KeptImageTest {
    private static ProcessInfo lost(String reason) {
        return new ProcessInfo(7, null, "node-1", 0, List.of("sleep", "9"), null, null, null, ProcessState.LOST,
                null, null, reason, null, Instant.EPOCH, Instant.EPOCH, null, null, null);
    }

    @Test
    void aKeptImageIsNamedAndRestartableUntilItsNodeSaysItIsGone() {
        String kept = KeptImage.reason("the transfer failed; node-1 is DOWN", "node-1", "m-1");
        assertTrue(KeptImage.lostInto(lost(kept), "m-1"), kept);
        assertTrue(kept.contains("unum restart m-1"), kept);

        String gone = KeptImage.gone(kept, "node-1", "m-1");

        assertFalse(KeptImage.lostInto(lost(gone), null), gone);
        assertFalse(gone.contains("unum restart"), gone);
        assertEquals("the transfer failed; node-1 is DOWN; its image was to be kept on node-1, but node-1 came back "
                + "without it or the process (a post-copy source that had sent every page keeps none): no copy is known", gone);
    }
}
