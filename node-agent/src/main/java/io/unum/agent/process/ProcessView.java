package io.unum.agent.process;

import java.util.Optional;

/** A snapshot of one supervised process. localPid is 0 when the program never started. */
public record ProcessView(int gpid, int localPid, boolean running, Optional<ProcessExit> exit) {
}
