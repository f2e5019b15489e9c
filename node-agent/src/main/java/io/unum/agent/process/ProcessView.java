package io.unum.agent.process;

import java.util.Optional;

/**
 * A snapshot of one supervised process. localPid is 0 when the program never started (or a
 * restore has not finished). held: restored with hold and not released (its tasks are stopped).
 * restoredFrom: the image it was restored from, if it was.
 */
public record ProcessView(int gpid, int localPid, boolean running, Optional<ProcessExit> exit, boolean held,
        Optional<String> restoredFrom) {
}
