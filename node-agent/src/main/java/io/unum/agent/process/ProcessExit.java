package io.unum.agent.process;

import java.util.Optional;

/** How a supervised program ended: the content of its proc-dir's {@code exit} file. */
public record ProcessExit(boolean signaled, int value) {

    public static ProcessExit code(int code) {
        return new ProcessExit(false, code);
    }

    public static ProcessExit signal(int signal) {
        return new ProcessExit(true, signal);
    }

    /** Parses "code N" or "signal N" (what unum-shim writes). */
    public static Optional<ProcessExit> parse(String text) {
        String[] parts = text.trim().split("\\s+");
        if (parts.length != 2) {
            return Optional.empty();
        }
        try {
            int n = Integer.parseInt(parts[1]);
            return switch (parts[0]) {
                case "code" -> Optional.of(code(n));
                case "signal" -> Optional.of(signal(n));
                default -> Optional.empty();
            };
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** As the control plane's protocol carries it. */
    public io.unum.api.grpc.ExitStatus toProto() {
        return signaled ? io.unum.api.grpc.ExitStatus.newBuilder().setSignal(value).build()
                : io.unum.api.grpc.ExitStatus.newBuilder().setCode(value).build();
    }

    /** The file format, so the agent can write the same marker the shim would. */
    public String format() {
        return (signaled ? "signal " : "code ") + value + "\n";
    }

    @Override
    public String toString() {
        return format().trim();
    }
}
