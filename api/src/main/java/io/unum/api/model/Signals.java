package io.unum.api.model;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Linux signal names and numbers (x86-64 and arm64 agree on these). */
public final class Signals {
    private static final Map<String, Integer> BY_NAME = new LinkedHashMap<>();

    static {
        String[] names = {
            null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
            "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
            "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"
        };
        for (int i = 1; i < names.length; i++) {
            BY_NAME.put(names[i], i);
        }
    }

    private Signals() {
    }

    /**
     * Parses "TERM", "SIGTERM", "term" or "15".
     *
     * @return the signal number, or empty when it is not a Linux signal
     */
    public static Optional<Integer> parse(String signal) {
        if (signal == null || signal.isBlank()) {
            return Optional.empty();
        }
        String s = signal.trim().toUpperCase(Locale.ROOT);
        if (s.chars().allMatch(Character::isDigit)) {
            try {
                int n = Integer.parseInt(s);
                return n >= 1 && n <= 64 ? Optional.of(n) : Optional.empty();
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        if (s.startsWith("SIG")) {
            s = s.substring(3);
        }
        return Optional.ofNullable(BY_NAME.get(s));
    }

    /** "TERM" for 15; the number itself for real-time signals. */
    public static String name(int number) {
        for (Map.Entry<String, Integer> e : BY_NAME.entrySet()) {
            if (e.getValue() == number) {
                return e.getKey();
            }
        }
        return Integer.toString(number);
    }
}
