package io.unum.api.model;

/** Body of {@code POST /api/v1/processes/{gpid}/signal}: a name ("TERM", "SIGKILL") or a number ("9"). */
public record SignalRequest(String signal) {
}
